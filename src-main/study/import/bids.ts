/**
 * BIDS: participants.tsv (participant_id, sex, age, group / diagnosis), sub-<label>/[ses-<label>/]
 * anat/*_T1w.nii[.gz] and pet/*_pet.nii[.gz] with JSON sidecars (InjectedRadioactivity in MBq,
 * BodyWeight in kg, for SUV), and derivatives/<pipeline>/sub-<label>/[ses-<label>/]anat/*_label-GM*.nii[.gz]
 * grey-matter maps, preferred over the raw T1w (the models read grey-matter density).
 * BIDS ids of ADNI subjects (sub-ADNI002S0295) become ADNI PTIDs (002_S_0295).
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { findColumn, readTable } from '../../files/tables'
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
import { describeReadError } from '../../files/read-error'
import type { Modality } from '../../domain/modality'

export async function isBids(source: string): Promise<boolean> {
  if (
    await fsp.stat(join(source, 'dataset_description.json')).then(
      () => true,
      () => false
    )
  )
    return true
  const entries = await listDir(source).catch(() => [])
  return entries.some((e) => e.dir && e.name.startsWith('sub-'))
}

interface Found {
  modality: Modality
  visit: string
  file: string
  derived: boolean
}

async function sessionsOf(subjectDir: string): Promise<Array<{ visit: string; dir: string }>> {
  const entries = await listDir(subjectDir)
  const ses = entries.filter((e) => e.dir && e.name.startsWith('ses-'))
  return ses.length ? ses.map((e) => ({ visit: normaliseVisit(e.name), dir: e.path })) : [{ visit: 'bl', dir: subjectDir }]
}

async function niftis(dir: string): Promise<string[]> {
  return (await listDir(dir).catch(() => [])).filter((e) => !e.dir && NIFTI_FILE.test(e.name)).map((e) => e.path)
}

async function suvFromSidecar(file: string, problems: ImportPlan['problems']): Promise<PlannedScan['suv']> {
  const sidecar = file.replace(NIFTI_FILE, '.json')
  let json: Record<string, unknown>
  try {
    json = JSON.parse(await fsp.readFile(sidecar, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push({ file: sidecar, severity: 'warning', message: `unreadable JSON sidecar (${describeReadError(err)}); SUV not computed` })
    return null
  }
  const dose = Number(json.InjectedRadioactivity)
  const units = String(json.InjectedRadioactivityUnits ?? 'MBq')
  const weight = Number(json.BodyWeight)
  if (!(dose > 0) || !(weight > 0)) return null
  const factor = units === 'MBq' ? 1 : units === 'kBq' ? 1e-3 : units === 'mCi' ? 37 : NaN
  if (!Number.isFinite(factor)) {
    problems.push({ file: sidecar, severity: 'warning', message: `InjectedRadioactivityUnits '${units}' not understood (MBq, kBq, mCi); SUV not computed` })
    return null
  }
  return { injectedDoseMBq: dose * factor, bodyWeightKg: weight }
}

export async function planBids(source: string, opts: PlanOptions): Promise<LayoutPlan> {
  const problems: ImportPlan['problems'] = []
  const found = new Map<string, Found[]>()
  const add = (id: string, f: Found) => found.set(id, [...(found.get(id) ?? []), f])
  const subjectDirs = (await listDir(source)).filter((e) => e.dir && e.name.startsWith('sub-'))
  for (const sub of subjectDirs) {
    checkAborted(opts.signal)
    for (const ses of await sessionsOf(sub.path)) {
      for (const f of await niftis(join(ses.dir, 'anat')))
        if (/_T1w\.nii/i.test(f)) add(sub.name, { modality: 'smri', visit: ses.visit, file: f, derived: false })
      for (const f of await niftis(join(ses.dir, 'pet')))
        if (/_pet\.nii/i.test(f)) add(sub.name, { modality: 'pet', visit: ses.visit, file: f, derived: false })
    }
  }
  // Grey-matter maps from any derivatives pipeline.
  const derivatives = join(source, 'derivatives')
  if (await isDirectory(derivatives)) {
    for (const pipeline of (await listDir(derivatives)).filter((e) => e.dir)) {
      for (const sub of (await listDir(pipeline.path)).filter((e) => e.dir && e.name.startsWith('sub-'))) {
        for (const ses of await sessionsOf(sub.path)) {
          for (const f of await niftis(join(ses.dir, 'anat'))) {
            if (/_(label-GM|desc-gm|GM_probseg|label-GM_probseg)/i.test(f)) add(sub.name, { modality: 'smri', visit: ses.visit, file: f, derived: true })
          }
        }
      }
    }
  }
  if (found.size === 0) throw new Error(`${source}: no BIDS scans found (sub-*/[ses-*/]anat/*_T1w.nii[.gz] or pet/*_pet.nii[.gz])`)

  const meta = new Map<string, { group: string | null; sex: string | null; age: number | null }>()
  const participants = join(source, 'participants.tsv')
  let labelSource: string | null = null
  if (
    await fsp.stat(participants).then(
      () => true,
      () => false
    )
  ) {
    const t = await readTable(participants)
    const idCol = findColumn(t, ['participant_id'])
    if (!idCol)
      problems.push({ file: participants, severity: 'warning', message: `no participant_id column among its ${t.columns.length} column(s); metadata ignored` })
    else {
      const [g, s, a] = [findColumn(t, ['group', 'diagnosis', 'dx', 'diagnosis_bl', 'DX_bl']), findColumn(t, ['sex']), findColumn(t, ['age'])]
      if (g) labelSource = participants
      for (const r of t.rows) {
        const age = a ? Number(r.values[a]) : NaN
        meta.set(r.values[idCol]!, { group: g ? r.values[g] || null : null, sex: s ? r.values[s] || null : null, age: Number.isFinite(age) ? age : null })
      }
    }
  }

  const visit = normaliseVisit(opts.visit)
  const allVisits = new Set<string>()
  const subjects: PlannedSubject[] = []
  const ids = new Map<string, string>()
  for (const [bidsId, list] of found) {
    const id = adniIdFromBids(bidsId)
    if (ids.has(id)) {
      problems.push({ file: join(source, bidsId), severity: 'error', message: `${bidsId} and ${ids.get(id)} are the same subject ${id}; both skipped` })
      subjects.splice(
        subjects.findIndex((s) => s.id === id),
        1
      )
      continue
    }
    ids.set(id, bidsId)
    const visits = sortVisits(list.map((f) => f.visit))
    visits.forEach((v) => allVisits.add(v))
    const pick = async (m: Modality): Promise<PlannedScan | null> => {
      const at = list.filter((f) => f.modality === m && f.visit === visit).sort((x, y) => Number(y.derived) - Number(x.derived))
      const f = at[0]
      if (!f) return null
      if (m === 'smri' && !f.derived)
        problems.push({
          file: f.file,
          severity: 'warning',
          message: 'raw T1w used (no grey-matter map under derivatives/): taken as a T1-weighted image, registered to MNI here when in scanner space'
        })
      return {
        path: f.file,
        visit,
        series: f.derived ? 'derivatives GM' : m === 'smri' ? 'T1w' : 'pet',
        imageId: null,
        suv: m === 'pet' ? await suvFromSidecar(f.file, problems) : null
      }
    }
    const smri = await pick('smri')
    const pet = await pick('pet')
    if (!smri && !pet) {
      problems.push({ file: join(source, bidsId), severity: 'warning', message: `${bidsId} has no scan at visit ${visit} (sessions: ${visits.join(', ')})` })
      continue
    }
    const m = meta.get(bidsId) ?? { group: null, sex: null, age: null }
    subjects.push({ id, sessionId: `ses-${visit === 'bl' ? 'M00' : visit.toUpperCase()}`, ...m, visits, smri, pet })
  }
  return {
    source,
    layout: 'bids',
    visit,
    visits: sortVisits(allVisits),
    series: [
      { name: 'anat/*_T1w or derivatives GM', modality: 'smri', reason: 'BIDS datatype anat' },
      { name: 'pet/*_pet', modality: 'pet', reason: 'BIDS datatype pet' }
    ],
    subjects: subjects.sort((a, b) => (a.id < b.id ? -1 : 1)),
    problems,
    labelSource
  }
}
