/**
 * The ADNI download layout: <root>/ADNI/<PTID>/<series description>/<date>/<image id>/*.nii[.gz]
 * or *.dcm (a DICOM series, read from the folder),
 * with the collection CSV of the download (Image Data ID, Subject, Group, Sex, Age, Visit,
 * Modality, Description, Type, Acq Date) beside or inside the root, and optionally ADNIMERGE.
 *
 * Modality: the user's override for the series > the CSV's Modality (MRI / PET) > a guess from
 * the series description. Visit: the CSV's Visit, else the order of acquisition dates (the first
 * is the baseline). Several scans of one modality at one visit: the highest image id is used.
 */
import { basename, dirname, join } from 'node:path'
import { type Table, column, findColumn, readTable } from '../../files/tables'
import {
  type ImportPlan,
  type LayoutPlan,
  type PlanOptions,
  type PlannedScan,
  type PlannedSubject,
  type SeriesChoice,
  ADNI_PTID,
  NIFTI_FILE,
  checkAborted,
  guessModality,
  isDirectory,
  listDir,
  normaliseVisit,
  sortVisits
} from './plan'
import { promises as fsp } from 'node:fs'
import { looksLikeDicomFolder } from '../../readers/dicom/series'
import type { Modality } from '../../domain/modality'

interface FoundScan {
  ptid: string
  series: string
  date: string
  imageId: string
  file: string
}

/** The folder holding the PTID folders: <source>/ADNI or the source itself. */
export async function adniRoot(source: string): Promise<string | null> {
  if (await isDirectory(join(source, 'ADNI'))) return join(source, 'ADNI')
  if (basename(source) === 'ADNI' && (await isDirectory(source))) return source
  const entries = await listDir(source).catch(() => [])
  return entries.some((e) => e.dir && ADNI_PTID.test(e.name)) ? source : null
}

/** A CSV beside the ADNI folder whose header has 'Image Data ID' and 'Subject'. */
async function findCollectionCsv(source: string, root: string): Promise<string | null> {
  for (const dir of [...new Set([source, dirname(root)])]) {
    const entries = await listDir(dir).catch(() => [])
    for (const e of entries.filter((x) => !x.dir && /\.csv$/i.test(x.name))) {
      const head = (await fsp.readFile(e.path, 'utf8').catch(() => '')).split(/\r?\n/, 1)[0] ?? ''
      if (/Image Data ID/i.test(head) && /Subject/i.test(head)) return e.path
    }
  }
  return null
}

async function walk(root: string, signal?: AbortSignal): Promise<{ scans: FoundScan[]; strays: string[] }> {
  const scans: FoundScan[] = []
  const strays: string[] = []
  for (const subj of await listDir(root)) {
    checkAborted(signal)
    if (!subj.dir) continue
    for (const series of (await listDir(subj.path)).filter((e) => e.dir)) {
      for (const date of (await listDir(series.path)).filter((e) => e.dir)) {
        for (const image of (await listDir(date.path)).filter((e) => e.dir)) {
          const files = (await listDir(image.path)).filter((e) => !e.dir && NIFTI_FILE.test(e.name))
          // An image folder of DICOM files is one scan: the folder (readers/dicom reads its series).
          if (files.length === 0 && (await looksLikeDicomFolder(image.path))) files.push({ name: image.name, path: image.path, dir: true })
          if (files.length === 0) strays.push(image.path)
          for (const f of files) scans.push({ ptid: subj.name, series: series.name, date: date.name.slice(0, 10), imageId: image.name, file: f.path })
        }
      }
    }
  }
  return { scans, strays }
}

function imageKey(id: string): string {
  return id.replace(/^I/i, '')
}

function idNumber(id: string): number {
  return Number(imageKey(id)) || 0
}

export async function planAdni(source: string, opts: PlanOptions): Promise<LayoutPlan> {
  const root = await adniRoot(source)
  if (!root) throw new Error(`${source} does not look like an ADNI download: no ADNI folder and no <PTID> folders (e.g. 002_S_0295) inside`)
  const problems: ImportPlan['problems'] = []
  const csvFile = opts.collectionCsv ?? (await findCollectionCsv(source, root))
  let csv: Table | null = null
  const byImage = new Map<string, Record<string, string>>()
  if (csvFile) {
    csv = await readTable(csvFile)
    const idCol = column(csv, ['Image Data ID', 'Image ID', 'ImageID'], 'image id')
    column(csv, ['Subject', 'PTID'], 'subject')
    for (const r of csv.rows) byImage.set(imageKey(r.values[idCol]!), r.values)
  } else {
    problems.push({
      file: source,
      severity: 'warning',
      message:
        'no collection CSV found (a .csv with Image Data ID and Subject columns): modalities guessed from series names, visits from acquisition dates, no diagnoses'
    })
  }
  const { scans, strays } = await walk(root, opts.signal)
  for (const s of strays) problems.push({ file: s, severity: 'warning', message: 'image folder without a .nii or .nii.gz file or DICOM series' })
  if (scans.length === 0) throw new Error(`${source}: no scans (.nii, .nii.gz or DICOM series) found under ${root}`)

  // Modality per series.
  const seriesChoice = new Map<string, SeriesChoice>()
  const modalityOf = (scan: FoundScan, row: Record<string, string> | undefined): SeriesChoice => {
    const override = opts.modalityOverrides?.[scan.series]
    if (override) return { name: scan.series, modality: override, reason: 'chosen by the user' }
    const m = row && csv ? row[findColumn(csv, ['Modality']) ?? ''] : undefined
    if (m && /^mri?$/i.test(m)) return { name: scan.series, modality: 'smri', reason: 'collection CSV: Modality MRI' }
    if (m && /^pet$/i.test(m)) return { name: scan.series, modality: 'pet', reason: 'collection CSV: Modality PET' }
    return guessModality(scan.series)
  }

  // Group scans per subject.
  const perSubject = new Map<string, Array<FoundScan & { modality: Modality; visit: string; row?: Record<string, string> }>>()
  const meta = new Map<string, { group: string | null; sex: string | null; age: number | null }>()
  const col = (name: string[]) => (csv ? findColumn(csv, name) : null)
  const [visitCol, groupCol, sexCol, ageCol, subjCol] = [
    col(['Visit', 'VISCODE']),
    col(['Group', 'DX_bl']),
    col(['Sex']),
    col(['Age']),
    col(['Subject', 'PTID'])
  ]
  const undated: typeof scans = []
  for (const scan of scans) {
    const row = byImage.get(imageKey(scan.imageId))
    if (csv && !row) problems.push({ file: scan.file, severity: 'warning', message: `image ${scan.imageId} is not in the collection CSV ${csvFile}` })
    if (row && subjCol && row[subjCol] !== scan.ptid) {
      problems.push({
        file: scan.file,
        severity: 'error',
        message: `the collection CSV lists image ${scan.imageId} under subject ${row[subjCol]}, the folder says ${scan.ptid}; skipped`
      })
      continue
    }
    const choice = modalityOf(scan, row)
    if (!seriesChoice.has(scan.series) || seriesChoice.get(scan.series)!.modality === 'ignore') seriesChoice.set(scan.series, choice)
    if (choice.modality === 'ignore') continue
    if (!ADNI_PTID.test(scan.ptid))
      problems.push({ file: scan.file, severity: 'warning', message: `subject folder '${scan.ptid}' is not an ADNI PTID (like 002_S_0295)` })
    const visit = row && visitCol && row[visitCol] ? normaliseVisit(row[visitCol]!) : ''
    if (!visit) undated.push(scan)
    const list = perSubject.get(scan.ptid) ?? []
    list.push({ ...scan, modality: choice.modality, visit, row })
    perSubject.set(scan.ptid, list)
    if (row && !meta.has(scan.ptid)) {
      const age = ageCol ? Number(row[ageCol]) : NaN
      meta.set(scan.ptid, { group: groupCol ? row[groupCol] || null : null, sex: sexCol ? row[sexCol] || null : null, age: Number.isFinite(age) ? age : null })
    }
  }
  // Without a CSV visit: dates in order per subject -> bl, then v2, v3 ...
  for (const list of perSubject.values()) {
    const dates = [...new Set(list.filter((s) => !s.visit).map((s) => s.date))].sort()
    for (const s of list) if (!s.visit) s.visit = dates.indexOf(s.date) === 0 ? 'bl' : `v${dates.indexOf(s.date) + 1}`
  }

  const visit = normaliseVisit(opts.visit)
  const subjects: PlannedSubject[] = []
  const allVisits = new Set<string>()
  for (const [ptid, list] of perSubject) {
    const visits = sortVisits(list.map((s) => s.visit))
    visits.forEach((v) => allVisits.add(v))
    const pick = (modality: Modality): PlannedScan | null => {
      const at = list.filter((s) => s.modality === modality && s.visit === visit).sort((a, b) => idNumber(b.imageId) - idNumber(a.imageId))
      if (at.length > 1)
        problems.push({
          file: at[0]!.file,
          severity: 'warning',
          message: `${ptid} has ${at.length} ${modality === 'smri' ? 'sMRI' : 'PET'} scans at visit ${visit}; using image ${at[0]!.imageId} (the newest)`
        })
      const s = at[0]
      return s ? { path: s.file, visit, series: s.series, imageId: s.imageId, suv: null } : null
    }
    const smri = pick('smri')
    const pet = pick('pet')
    if (!smri && !pet) {
      problems.push({ file: join(root, ptid), severity: 'warning', message: `${ptid} has no scan at visit ${visit} (visits found: ${visits.join(', ')})` })
      continue
    }
    const m = meta.get(ptid) ?? { group: null, sex: null, age: null }
    subjects.push({ id: ptid, sessionId: `ses-${visit === 'bl' ? 'M00' : visit.toUpperCase()}`, ...m, visits, smri, pet })
  }
  if (csv && subjCol) {
    const found = new Set(perSubject.keys())
    const missing = [...new Set(csv.rows.map((r) => r.values[subjCol]!))].filter((s) => s && !found.has(s))
    if (missing.length)
      problems.push({
        file: csvFile!,
        severity: 'warning',
        message: `${missing.length} subject(s) of the collection CSV have no scan in the folder: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`
      })
  }
  return {
    source,
    layout: 'adni',
    visit,
    visits: sortVisits(allVisits),
    series: [...seriesChoice.values()],
    subjects: subjects.sort((a, b) => (a.id < b.id ? -1 : 1)),
    problems,
    labelSource: csvFile && groupCol ? csvFile : null
  }
}
