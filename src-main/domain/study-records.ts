/**
 * The records of the researcher's workflow as the services produce them and the API carries them:
 * a study's summary and counts, import previews and results with their problems, subject rows and
 * details, label events, split counts, export and demo results.
 */
import { z } from 'zod'
import { Path } from './paths'
import { Modality, SeriesChoice } from './modality'
import { ImportLayout, SplitName, StudySettings } from './study-settings'
import { InputKind, InputSpace } from './input-kind'

/** An absolute path chosen through a dialog or returned by main. */

export const StudyCounts = z.object({
  subjects: z.number().int(),
  withSmri: z.number().int(),
  withPet: z.number().int(),
  withBoth: z.number().int(),
  /** Subjects with a visible label, by class name. */
  labelled: z.number().int(),
  labelledByClass: z.record(z.string(), z.number().int()),
  /** Labels hidden by "simulate a label rate" (kept for evaluation only). */
  hidden: z.number().int(),
  runs: z.number().int()
})
export type StudyCounts = z.infer<typeof StudyCounts>

export const StudySummary = z.object({
  path: z.string(),
  name: z.string(),
  /** schemaVersion of study.json as read (after migration, the current version). */
  version: z.number().int(),
  createdAt: z.string(),
  settings: StudySettings,
  counts: StudyCounts,
  /** Whether splits.make has been run. */
  hasSplits: z.boolean(),
  /** Subjects the split does not assign (imported after it): place them or re-split before training. */
  unsplit: z.number().int(),
  /** Folder of the cohort the study was imported from (last import), if any. */
  source: z.string().nullable(),
  /** What opening it repaired, for the researcher (e.g. a damaged label log tail set aside). */
  notices: z.array(z.string()).optional()
})
export type StudySummary = z.infer<typeof StudySummary>

export const Problem = z.object({
  /** The file (or folder) concerned. */
  file: z.string(),
  message: z.string(),
  /** 'error': the item was skipped; 'warning': imported with a caveat. */
  severity: z.enum(['error', 'warning'])
})
export type Problem = z.infer<typeof Problem>

export const ImportOptions = z.object({
  /** Cohort folder (ADNI download root or BIDS root) or a manifest CSV/TSV file. */
  source: Path,
  /** Detected when absent. */
  layout: ImportLayout.optional(),
  /** Visit to pair (default: the study's visit, else baseline). */
  visit: z.string().min(1).optional(),
  /** ADNI collection CSV; found automatically beside / inside the source when absent. */
  collectionCsv: Path.optional(),
  /** Optional ADNIMERGE CSV for diagnoses. */
  adnimerge: Path.optional(),
  /** User corrections: series description (ADNI) or file path -> modality, or 'ignore'. */
  modalityOverrides: z.record(z.string(), SeriesChoice).optional()
})
export type ImportOptions = z.infer<typeof ImportOptions>

export const PreviewSubject = z.object({
  id: z.string(),
  visits: z.array(z.string()),
  /** Scans found at the chosen visit. */
  smri: z.string().nullable(),
  pet: z.string().nullable(),
  group: z.string().nullable(),
  /** Already in the study (re-import changes nothing for it). */
  known: z.boolean(),
  /** Why the import would skip this subject's sMRI / PET scan (read from its header at preview), with what to do; null when it passes. */
  smriProblem: z.string().nullable(),
  petProblem: z.string().nullable()
})
export type PreviewSubject = z.infer<typeof PreviewSubject>

export const ImportPreview = z.object({
  source: z.string(),
  layout: ImportLayout,
  visit: z.string(),
  visits: z.array(z.string()),
  /** Series descriptions (ADNI) or folders (BIDS) with the modality they were assigned and why. */
  series: z.array(z.object({ name: z.string(), modality: SeriesChoice, reason: z.string() })),
  subjects: z.array(PreviewSubject),
  /** What the scans will be taken as, per modality and series, and whether they will be registered to MNI. */
  inputs: z.array(
    z.object({ modality: Modality, series: z.string().nullable(), kind: InputKind, space: InputSpace, scans: z.number().int(), reason: z.string() })
  ),
  counts: z.object({ subjects: z.number().int(), withSmri: z.number().int(), withPet: z.number().int(), new: z.number().int() }),
  problems: z.array(Problem)
})
export type ImportPreview = z.infer<typeof ImportPreview>

/** `result` of an import job (also of study.createDemo, under `import`). */
export const ImportResult = z.object({
  added: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  preprocessed: z.number().int(),
  fromCache: z.number().int(),
  problems: z.array(Problem),
  summary: StudySummary
})
export type ImportResult = z.infer<typeof ImportResult>

/** Probabilities per class (index order of classNames). */
const Probs = z.array(z.number())

export const SubjectPrediction = z.object({
  runId: z.string(),
  /** Per modality probabilities; a missing modality is absent. */
  modalities: z.record(z.string(), Probs),
  aggregator: Probs,
  predicted: z.string()
})
export type SubjectPrediction = z.infer<typeof SubjectPrediction>

export const SubjectRow = z.object({
  id: z.string(),
  sessionId: z.string(),
  /** Diagnosis from the source metadata (collection CSV Group, participants.tsv, ADNIMERGE), if
   *  any; null while the subject's label is hidden for evaluation (it would show the diagnosis). */
  group: z.string().nullable(),
  sex: z.string().nullable(),
  age: z.number().nullable(),
  hasSmri: z.boolean(),
  hasPet: z.boolean(),
  /** Visible label (class name) or null. */
  label: z.string().nullable(),
  /** True when a known label is hidden by "simulate a label rate". */
  labelHidden: z.boolean(),
  split: SplitName.nullable(),
  /** The chosen (default: newest) finished run's predictions, when there is one. */
  prediction: SubjectPrediction.nullable()
})
export type SubjectRow = z.infer<typeof SubjectRow>

/** A small 2-D image: row-major, `dims` = [width, height], x fastest. */
export const Preview = z.object({
  modality: Modality,
  side: z.enum(['left', 'right']),
  plane: z.enum(['axial', 'coronal', 'sagittal']),
  dims: z.tuple([z.number().int(), z.number().int()]),
  data: z.array(z.number()),
  /** Intensity window suggested for display. */
  range: z.tuple([z.number(), z.number()])
})
export type Preview = z.infer<typeof Preview>

export const ScanInfo = z.object({
  modality: Modality,
  source: z.string(),
  visit: z.string(),
  /** Cache folder of the preprocessed crops (NIfTI files), relative to the study. */
  cache: z.string().nullable(),
  stats: z
    .object({
      hippocampalGmMl: z.number().nullable(),
      hippocampalMeanSuvr: z.number().nullable(),
      nonFiniteVoxels: z.number().int()
    })
    .nullable()
})
export type ScanInfo = z.infer<typeof ScanInfo>

export const LabelEvent = z.object({
  /** 1-based position in the append-only log. */
  seq: z.number().int(),
  time: z.string(),
  action: z.enum(['set', 'clear', 'undo']),
  subject: z.string(),
  /** Label after the event (null when cleared). */
  label: z.string().nullable(),
  /** Label before the event. */
  previous: z.string().nullable(),
  /** For 'undo': the seq of the event undone; for a redo (a user set/clear): the seq of the undo it reverses. */
  undoes: z.number().int().nullable(),
  /** Who wrote it: 'user', 'import:<file>', 'simulate'. */
  source: z.string(),
  /** The subject's label is hidden for evaluation: label and previous are left out (null). */
  redacted: z.boolean().optional()
})
export type LabelEvent = z.infer<typeof LabelEvent>

export const SubjectDetail = z.object({
  row: SubjectRow,
  scans: z.array(ScanInfo),
  previews: z.array(Preview),
  /** This subject's label history, oldest first. */
  history: z.array(LabelEvent)
})
export type SubjectDetail = z.infer<typeof SubjectDetail>

export const LabelChange = z.object({ subject: z.string(), label: z.string().nullable(), previous: z.string().nullable(), seq: z.number().int() })

export const LabelImportResult = z.object({
  applied: z.number().int(),
  unchanged: z.number().int(),
  /** Ids in the file that the study does not hold (nothing applied for them). */
  unknownSubjects: z.array(z.string()),
  problems: z.array(Problem)
})
export type LabelImportResult = z.infer<typeof LabelImportResult>

export const SplitCounts = z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() })

export const ExportResult = z.object({ out: z.string(), files: z.array(z.string()) })
export type ExportResult = z.infer<typeof ExportResult>

export const DemoResult = z.object({
  study: z.string(),
  cohort: z.string(),
  import: ImportResult,
  /** Diagnoses left visible and hidden (for evaluation) after the import. */
  labels: z.object({ visible: z.number().int(), hidden: z.number().int() })
})
export type DemoResult = z.infer<typeof DemoResult>
