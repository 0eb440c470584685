/**
 * Clinica's CAPS folder, read as it is: the outputs of Clinica's pipelines under
 * subjects/sub-<label>/ses-<label>/, each taken with the input kind it is (already in MNI space,
 * so resampled to the app's grid through its own affine, the cropped t1-linear grid too):
 *   t1/spm/dartel/group-<g>/*_segm-graymatter_space-Ixi549Space_modulated-on[_fwhm-8mm]_probability.nii.gz   grey-matter map (preferred)
 *   t1/spm/segmentation/normalized_space/*_segm-graymatter_space-Ixi549Space_modulated-*_probability.nii.gz  grey-matter map
 *   t1_linear/*_space-MNI152NLin2009cSym[_desc-Crop]_res-1x1x1_T1w.nii.gz                                  T1-weighted
 *   pet/preprocessing/group-<g>/*_space-Ixi549Space[_pvc-*]_suvr-<region>_pet.nii.gz                         PET (SUVR, preferred)
 *   pet_linear/*_space-MNI152NLin2009cSym*_suvr-<region>_pet.nii.gz                                        PET (SUVR)
 * CAPS holds no diagnoses: label from a table (Label -> Import labels) after the import.
 */
import { join } from 'node:path'
import type { ScanInput } from '../../domain/input-kind'
import {
  type ImportPlan,
  type LayoutPlan,
  type PlanOptions,
  type PlannedScan,
  type PlannedSubject,
  NIFTI_FILE,
  adniIdFromBids,
  checkAborted,
  isDirectory,
  listDir,
  normaliseVisit,
  sortVisits
} from './plan'
import type { Modality } from '../../domain/modality'

interface Output {
  /** Relative folder under the session, or a function of the session folder listing group-* subfolders. */
  dirs: (session: string) => Promise<string[]>
  pattern: RegExp
  modality: Modality
  input: ScanInput
  series: string
}

const groups = (base: string) => async (session: string) =>
  (await listDir(join(session, base)).catch(() => [])).filter((e) => e.dir && e.name.startsWith('group-')).map((e) => e.path)
const fixed = (rel: string) => async (session: string) => [join(session, rel)]

/** In order of preference per modality. */
const OUTPUTS: Output[] = [
  {
    dirs: groups('t1/spm/dartel'),
    pattern: /_segm-graymatter_space-Ixi549Space_modulated-on(_fwhm-\d+mm)?_probability\.nii(\.gz)?$/,
    modality: 'smri',
    input: { kind: 'grey-matter-map', space: 'mni' },
    series: 't1/spm/dartel'
  },
  {
    dirs: fixed('t1/spm/segmentation/normalized_space'),
    pattern: /_segm-graymatter_space-Ixi549Space_modulated-(on|off)_probability\.nii(\.gz)?$/,
    modality: 'smri',
    input: { kind: 'grey-matter-map', space: 'mni' },
    series: 't1/spm/segmentation'
  },
  {
    dirs: fixed('t1_linear'),
    pattern: /_space-MNI152NLin2009cSym(_desc-Crop)?_res-1x1x1_T1w\.nii(\.gz)?$/,
    modality: 'smri',
    input: { kind: 't1-weighted', space: 'mni' },
    series: 't1_linear'
  },
  {
    dirs: groups('pet/preprocessing'),
    pattern: /_space-Ixi549Space(_pvc-[a-z]+)?_suvr-[a-zA-Z0-9]+_pet\.nii(\.gz)?$/,
    modality: 'pet',
    input: { kind: 'pet', space: 'mni' },
    series: 'pet/preprocessing'
  },
  {
    dirs: fixed('pet_linear'),
    pattern: /_space-MNI152NLin2009cSym.*_suvr-[a-zA-Z0-9]+_pet\.nii(\.gz)?$/,
    modality: 'pet',
    input: { kind: 'pet', space: 'mni' },
    series: 'pet_linear'
  }
]

/** A CAPS folder: subjects/sub-<label>/ses-<label>/ folders. */
export async function isCaps(source: string): Promise<boolean> {
  const subjects = join(source, 'subjects')
  if (!(await isDirectory(subjects))) return false
  const sub = (await listDir(subjects).catch(() => [])).find((e) => e.dir && e.name.startsWith('sub-'))
  return Boolean(sub && (await listDir(sub.path)).some((e) => e.dir && e.name.startsWith('ses-')))
}

export async function planCaps(source: string, opts: PlanOptions): Promise<LayoutPlan> {
  const problems: ImportPlan['problems'] = []
  const visit = normaliseVisit(opts.visit)
  const allVisits = new Set<string>()
  const subjects: PlannedSubject[] = []
  const used = new Set<string>()
  for (const sub of (await listDir(join(source, 'subjects'))).filter((e) => e.dir && e.name.startsWith('sub-'))) {
    checkAborted(opts.signal)
    const sessions = (await listDir(sub.path)).filter((e) => e.dir && e.name.startsWith('ses-'))
    sessions.forEach((s) => allVisits.add(normaliseVisit(s.name)))
    const ses = sessions.find((s) => normaliseVisit(s.name) === visit)
    if (!ses) {
      problems.push({
        file: sub.path,
        severity: 'warning',
        message: `${sub.name} has no session at visit ${visit} (sessions: ${sessions.map((s) => s.name).join(', ') || 'none'})`
      })
      continue
    }
    const pick = async (modality: Modality): Promise<PlannedScan | null> => {
      for (const out of OUTPUTS.filter((o) => o.modality === modality)) {
        for (const dir of await out.dirs(ses.path)) {
          const files = (await listDir(dir).catch(() => [])).filter((e) => !e.dir && NIFTI_FILE.test(e.name) && out.pattern.test(e.name))
          if (files.length > 1) problems.push({ file: dir, severity: 'warning', message: `${files.length} ${out.series} outputs; using ${files[0]!.name}` })
          if (files[0]) {
            used.add(out.series)
            return { path: files[0].path, visit, series: out.series, imageId: null, suv: null, input: out.input }
          }
        }
      }
      return null
    }
    const smri = await pick('smri')
    const pet = await pick('pet')
    if (!smri && !pet) {
      problems.push({
        file: ses.path,
        severity: 'warning',
        message: `${sub.name} ${ses.name}: no Clinica output this app reads (t1/spm/dartel, t1/spm/segmentation, t1_linear, pet/preprocessing, pet_linear)`
      })
      continue
    }
    subjects.push({
      id: adniIdFromBids(sub.name),
      sessionId: ses.name,
      group: null,
      sex: null,
      age: null,
      visits: sortVisits(sessions.map((s) => normaliseVisit(s.name))),
      smri,
      pet
    })
  }
  if (subjects.length === 0 && problems.length === 0) throw new Error(`${source}: a CAPS folder without subjects`)
  return {
    source,
    layout: 'caps',
    visit,
    visits: sortVisits(allVisits),
    series: OUTPUTS.filter((o) => used.has(o.series)).map((o) => ({ name: o.series, modality: o.modality, reason: `Clinica CAPS ${o.series}` })),
    subjects: subjects.sort((a, b) => (a.id < b.id ? -1 : 1)),
    problems,
    labelSource: null
  }
}
