/**
 * What an importer finds in a source before anything is written: subjects with the scans at
 * the chosen visit, metadata, and problems. Each layout (ADNI, BIDS, manifest) produces one.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { InputKind, InputSpace, ScanInput } from '../../domain/input-kind'
import type { Modality } from '../../domain/modality'

export type ImportModality = Modality

export interface PlannedScan {
  path: string
  visit: string
  series: string | null
  imageId: string | null
  suv: { injectedDoseMBq: number; bodyWeightKg: number } | null
  /** What the file is (set by describeInputs, inputs.ts, once the layout is planned). */
  input?: ScanInput
  /** For a folder holding several DICOM series: the one to read. */
  dicomSeries?: string | null
}

/** One line of the preview's "what will be done": scans of a modality and series taken as one input kind. */
export interface InputSummary {
  modality: ImportModality
  /** Series description (ADNI), or null for the whole modality. */
  series: string | null
  kind: InputKind
  space: InputSpace
  scans: number
  /** Why this kind and space, with the numbers measured on a sample scan. */
  reason: string
}

export interface PlannedSubject {
  id: string
  sessionId: string
  /** Diagnosis as the source writes it (CN, AD, MCI, Dementia, a class name...). */
  group: string | null
  sex: string | null
  age: number | null
  /** All visits with at least one scan (normalised). */
  visits: string[]
  smri: PlannedScan | null
  pet: PlannedScan | null
}

export interface PlanProblem {
  file: string
  message: string
  severity: 'error' | 'warning'
}

export interface SeriesChoice {
  name: string
  modality: ImportModality | 'ignore'
  reason: string
}

export interface ImportPlan {
  source: string
  layout: 'adni' | 'bids' | 'manifest' | 'caps'
  visit: string
  visits: string[]
  series: SeriesChoice[]
  subjects: PlannedSubject[]
  problems: PlanProblem[]
  /** What each modality's scans will be taken as, and whether they will be registered (inputs.ts). */
  inputs: InputSummary[]
  /** Table the group labels came from (for the label log's source). */
  labelSource: string | null
}

/** What a layout's planner returns: the plan before the input kinds are described. */
export type LayoutPlan = Omit<ImportPlan, 'inputs'>

export interface PlanOptions {
  visit: string
  collectionCsv?: string
  adnimerge?: string
  modalityOverrides?: Record<string, ImportModality | 'ignore'>
  signal?: AbortSignal
}

/**
 * Visit codes as one vocabulary: ADNI VISCODEs (sc, scmri, bl, m06, ...), BIDS session labels
 * (ses-bl, ses-M00, ses-baseline, ses-M12) -> 'bl', 'm06', 'm12', ... Screening counts as
 * baseline (ADNI's screening MRI pairs with the baseline PET).
 */
export function normaliseVisit(raw: string): string {
  const v = raw.trim().toLowerCase().replace(/^ses-/, '')
  if (['sc', 'scmri', 'bl', 'baseline', 'screening', 'm00', 'm0', 'init', 'v01', '1', '01'].includes(v)) return 'bl'
  const m = /^m(?:onth)?0*(\d+)$/.exec(v)
  if (m) return `m${m[1]!.padStart(2, '0')}`
  return v
}

/** ADNI PTIDs look like 002_S_0295; BIDS conversions write sub-ADNI002S0295. */
export const ADNI_PTID = /^\d{3}_S_\d{4}$/
export function adniIdFromBids(label: string): string {
  const m = /^(?:sub-)?ADNI(\d{3})S(\d{4})$/.exec(label)
  return m ? `${m[1]}_S_${m[2]}` : label.replace(/^sub-/, '')
}

export const NIFTI_FILE = /\.nii(\.gz)?$/i

export async function isDirectory(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    (s) => s.isDirectory(),
    () => false
  )
}

export async function listDir(dir: string): Promise<Array<{ name: string; path: string; dir: boolean }>> {
  const entries = await fsp.readdir(dir, { withFileTypes: true })
  return entries
    .filter((e) => !e.name.startsWith('.'))
    .map((e) => ({ name: e.name, path: join(dir, e.name), dir: e.isDirectory() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('import cancelled')
}

/** Guess from a series description or file name, when no table says which modality it is. */
export function guessModality(name: string): SeriesChoice {
  const n = name.toLowerCase()
  if (/(^|[^a-z])(pet|fdg|pt|av45|pib|suvr?)([^a-z]|$)|coreg,?_avg|_pet/.test(n)) return { name, modality: 'pet', reason: 'series name looks like PET' }
  if (/mprage|t1w?|spgr|gm|grey|gray|dartel|vbm|mri|_mr_|_t1/.test(n)) return { name, modality: 'smri', reason: 'series name looks like structural MRI' }
  return { name, modality: 'ignore', reason: 'cannot tell the modality from the name; choose one' }
}

/** Orders visits bl, m03, m06, ... then the rest alphabetically. */
export function sortVisits(visits: Iterable<string>): string[] {
  const key = (v: string) => (v === 'bl' ? -1 : /^m(\d+)$/.test(v) ? Number(v.slice(1)) : 1e6)
  return [...new Set(visits)].sort((a, b) => key(a) - key(b) || (a < b ? -1 : 1))
}
