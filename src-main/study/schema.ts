/**
 * study.json: what it holds, how it is validated on load, and how older versions are migrated.
 *
 * Paths of source scans are absolute (the cohort stays where the user keeps it); paths inside the
 * study (cache, runs) are relative to the study folder so the folder can be moved.
 */
import { z } from 'zod'
import { ScanInput } from '../domain/input-kind'
import { describeReadError } from '../files/read-error'

/** The version this code writes. Bump it with a migration in `migrations` below. */
export const STUDY_SCHEMA_VERSION = 1

export const DEFAULT_CLASS_NAMES = ['NC', 'AD'] as const

export const ScanRecord = z.object({
  /** Absolute path of the source NIfTI. */
  path: z.string(),
  visit: z.string(),
  /** Identity of the source content used in the cache key (bytes, ms since epoch). */
  size: z.number(),
  mtimeMs: z.number(),
  /** ADNI series description / image id, BIDS suffix: shown to the user, used for overrides. */
  series: z.string().nullable().default(null),
  imageId: z.string().nullable().default(null),
  /** PET SUV metadata when known (BIDS sidecar or manifest). */
  suv: z.object({ injectedDoseMBq: z.number().positive(), bodyWeightKg: z.number().positive() }).nullable().default(null),
  /** cache/<cacheKey>/ holds the preprocessed crops; null until preprocessed. */
  cacheKey: z.string().nullable().default(null),
  stats: z
    .object({ hippocampalGmMl: z.number().nullable(), hippocampalMeanSuvr: z.number().nullable(), nonFiniteVoxels: z.number().int() })
    .nullable()
    .default(null),
  /** What the source is (null: recorded before input kinds, i.e. a grey-matter map or PET in MNI space). */
  input: ScanInput.nullable().default(null),
  /** Registration QC of a native-space scan; a flagged scan enters training only once accepted. */
  qc: z.object({ ncc: z.number(), threshold: z.number(), flagged: z.boolean(), accepted: z.boolean() }).nullable().default(null)
})
export type ScanRecord = z.infer<typeof ScanRecord>

/** A scan enters training when preprocessed and not flagged by registration QC (or flagged and accepted by the researcher). */
export function usableForTraining(scan: ScanRecord | undefined): scan is ScanRecord & { cacheKey: string } {
  return Boolean(scan?.cacheKey) && !(scan!.qc?.flagged && !scan!.qc.accepted)
}

export const SubjectRecord = z.object({
  id: z.string().min(1),
  sessionId: z.string(),
  group: z.string().nullable().default(null),
  sex: z.string().nullable().default(null),
  age: z.number().nullable().default(null),
  scans: z.object({ smri: ScanRecord.optional(), pet: ScanRecord.optional() })
})
export type SubjectRecord = z.infer<typeof SubjectRecord>

export const SplitName = z.enum(['train', 'val', 'test'])
export type SplitName = z.infer<typeof SplitName>

export const Splits = z.object({
  seed: z.number().int(),
  fractions: z.object({ train: z.number(), val: z.number(), test: z.number() }),
  createdAt: z.string(),
  assignment: z.record(z.string(), SplitName)
})
export type Splits = z.infer<typeof Splits>

export const StudyFile = z.object({
  schemaVersion: z.literal(STUDY_SCHEMA_VERSION),
  name: z.string(),
  createdAt: z.string(),
  app: z.string(),
  settings: z.object({
    classNames: z.array(z.string().min(1)).min(2),
    visit: z.string().min(1),
    petReference: z.enum(['pons', 'cerebellum']),
    proportionalScaling: z.boolean()
  }),
  source: z.string().nullable(),
  subjects: z.array(SubjectRecord),
  splits: Splits.nullable()
})
export type StudyFile = z.infer<typeof StudyFile>

/** version -> function turning a study.json of that version into one of version + 1. */
const migrations: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {}

/**
 * Parses the text of `file` (study.json) into the current schema, migrating older versions.
 * @throws Error naming the file and exactly what is wrong (not JSON, newer version, bad field).
 */
export function parseStudyFile(file: string, text: string): { study: StudyFile; migratedFrom: number | null } {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new Error(`${file} is ${describeReadError(err)}; the study cannot be opened`, { cause: err })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file} does not hold a JSON object; the study cannot be opened`)
  let obj = raw as Record<string, unknown>
  const version = obj.schemaVersion
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new Error(`${file} has no integer schemaVersion (found ${typeof version === 'number' ? version : typeof version}); it is not a TCGM Lab study file`)
  }
  if (version > STUDY_SCHEMA_VERSION) {
    throw new Error(
      `${file} was written by a newer version of TCGM Lab (schemaVersion ${version}; this version reads up to ${STUDY_SCHEMA_VERSION}); update the app to open it`
    )
  }
  let migratedFrom: number | null = null
  for (let v = version; v < STUDY_SCHEMA_VERSION; v++) {
    const step = migrations[v]
    if (!step) throw new Error(`${file} has schemaVersion ${v}, which this version of TCGM Lab cannot migrate (no migration from ${v} to ${v + 1})`)
    obj = { ...step(obj), schemaVersion: v + 1 }
    migratedFrom ??= version
  }
  const parsed = StudyFile.safeParse(obj)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${file} is damaged: field '${issue?.path.join('.') || '(root)'}' ${issue?.message ?? 'is invalid'}`)
  }
  const ids = new Set<string>()
  for (const s of parsed.data.subjects) {
    if (ids.has(s.id)) throw new Error(`${file} is damaged: subject ${s.id} appears twice`)
    ids.add(s.id)
  }
  return { study: parsed.data, migratedFrom }
}
