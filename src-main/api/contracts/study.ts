/**
 * Requests and events of the researcher's workflow: studies, import, subjects, labels, splits,
 * training runs and export.
 *
 * Every request names its study folder explicitly (`study`: the absolute path main returned from
 * study.create / study.open / study.createDemo or a dialog); main keeps no hidden "current study".
 * Long work (demo generation, import, training, export) starts a job: the request answers
 * `{ jobId }` at once and the job reports through `job.progress` / `job.done` / `job.error`
 * (contracts/app.ts); each job's `result` and progress `detail` schemas are exported below.
 *
 * Node- and DOM-free: the renderer bundles this module.
 */
import { z } from 'zod'
import { JobStarted, event, request } from '../define'
import { defaultTrainConfig } from '../../train/config'

/** An absolute folder path chosen through a dialog or returned by main. */
const Path = z.string().min(1)
const StudyRef = { study: Path }
const SubjectId = z.string().min(1).max(200)

/** Modalities of an imaging study, in the order the models and tables use. */
export const Modality = z.enum(['smri', 'pet'])
export type Modality = z.infer<typeof Modality>

export const ImportLayout = z.enum(['adni', 'bids', 'manifest'])
export type ImportLayout = z.infer<typeof ImportLayout>

/** How MCI diagnoses from ADNIMERGE become labels. */
export const MciPolicy = z.enum(['exclude', 'as-first-class', 'as-second-class', 'converters-36m'])
export type MciPolicy = z.infer<typeof MciPolicy>

export const StudySettings = z.object({
  /** Class names in index order (index 0 = proba0). Default ['NC', 'AD']. */
  classNames: z.array(z.string().min(1).max(40)).min(2).max(10),
  /** Visit used when pairing sMRI and PET ('bl' = baseline, ADNI VISCODE or BIDS session label). */
  visit: z.string().min(1),
  /** PET normalisation: SUVR against this reference region. */
  petReference: z.enum(['pons', 'cerebellum']),
  /** Divide grey-matter maps by the subject's mean grey matter before cropping (VBM convention). */
  proportionalScaling: z.boolean()
})
export type StudySettings = z.infer<typeof StudySettings>

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
  source: z.string().nullable()
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
  modalityOverrides: z.record(z.string(), z.enum(['smri', 'pet', 'ignore'])).optional()
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
  known: z.boolean()
})
export type PreviewSubject = z.infer<typeof PreviewSubject>

export const ImportPreview = z.object({
  source: z.string(),
  layout: ImportLayout,
  visit: z.string(),
  visits: z.array(z.string()),
  /** Series descriptions (ADNI) or folders (BIDS) with the modality they were assigned and why. */
  series: z.array(z.object({ name: z.string(), modality: z.enum(['smri', 'pet', 'ignore']), reason: z.string() })),
  subjects: z.array(PreviewSubject),
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
  split: z.enum(['train', 'val', 'test']).nullable(),
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
  stats: z.object({
    hippocampalGmMl: z.number().nullable(),
    hippocampalMeanSuvr: z.number().nullable(),
    nonFiniteVoxels: z.number().int()
  }).nullable()
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

export const Hyperparameters = z.object({
  /** Learning rate of the supervised (CE) steps, gamma_l. */
  lrLabelled: z.number().positive().max(1).optional(),
  /** Learning rate of the TC steps, gamma_u. */
  lrUnlabelled: z.number().positive().max(1).optional(),
  batchSize: z.number().int().min(2).max(512).optional(),
  /** CE warm-up epochs before the first TC step. */
  warmupEpochs: z.number().int().min(0).max(1000).optional(),
  /** Which epoch's model is kept: best on validation by a metric, the last one, or 'auto' (the
   *  default): balanced accuracy when validation has enough visible labels, else the last epoch. */
  selectBy: z.enum(['auto', 'balancedAccuracy', 'accuracy', 'auc', 'last']).optional()
})
export type Hyperparameters = z.infer<typeof Hyperparameters>

/** What a run uses for hyperparameters the user leaves alone (the window shows these). */
export const HYPERPARAMETER_DEFAULTS = {
  lrLabelled: defaultTrainConfig.lrLabelled,
  lrUnlabelled: defaultTrainConfig.lrUnlabelled,
  batchSize: defaultTrainConfig.batchSize,
  selectBy: 'auto'
} as const

/** Below this many visible validation labels in some class, choosing an epoch on validation
 *  is mostly noise (one subject moves a class's recall by 10 points or more, and the best of 30
 *  noisy scores is optimistic): selectBy 'auto' then keeps the last epoch. */
export const MIN_VAL_LABELS_FOR_SELECTION = 10

/** CE warm-up epochs when not given: a third of the epochs (at least one epoch of TC steps). */
export function defaultWarmupEpochs(epochs: number): number {
  return Math.min(Math.round(epochs / 3), Math.max(0, epochs - 1))
}

export const TrainingOptions = z.object({
  method: z.enum(['tcgm', 'ce']),
  /** Image model preset (see src-main/model presets), e.g. 'tiny', 'small', 'paper'. */
  preset: z.string().min(1).max(40),
  seeds: z.number().int().min(1).max(20),
  /** First seed; seeds run firstSeed, firstSeed+1, ... */
  firstSeed: z.number().int().min(0).optional(),
  epochs: z.number().int().min(1).max(10000).optional(),
  hyperparameters: Hyperparameters.optional()
})
export type TrainingOptions = z.infer<typeof TrainingOptions>

/** `detail` of training job progress events. */
export const TrainingProgressDetail = z.object({
  runId: z.string(),
  seed: z.number().int(),
  seedIndex: z.number().int(),
  seeds: z.number().int(),
  epoch: z.number().int(),
  epochs: z.number().int(),
  phase: z.enum(['warmup', 'ce', 'tc', 'eval', 'done']),
  step: z.number().int().nullable(),
  steps: z.number().int().nullable(),
  ceLoss: z.number().nullable(),
  tcGain: z.number().nullable(),
  /** Validation metrics by modality name and 'aggregator'. */
  val: z.record(z.string(), z.object({ accuracy: z.number(), balancedAccuracy: z.number() })).nullable(),
  etaSeconds: z.number().nullable()
})
export type TrainingProgressDetail = z.infer<typeof TrainingProgressDetail>

export const MetricSet = z.object({
  accuracy: z.number(),
  balancedAccuracy: z.number(),
  auc: z.number().nullable(),
  sensitivity: z.number(),
  specificity: z.number(),
  f1: z.number()
})
export type MetricSet = z.infer<typeof MetricSet>

/** One line of the metrics table: a model (modality or 'aggregator') on a split, over seeds. */
export const MetricsRow = z.object({
  model: z.string(),
  split: z.enum(['train', 'val', 'test', 'hidden']),
  mean: MetricSet,
  std: MetricSet,
  n: z.number().int(),
  seeds: z.number().int()
})
export type MetricsRow = z.infer<typeof MetricsRow>

export const RunStatus = z.enum(['running', 'done', 'failed', 'cancelled', 'interrupted'])

export const RunSummary = z.object({
  id: z.string(),
  method: z.enum(['tcgm', 'ce']),
  preset: z.string(),
  seeds: z.number().int(),
  epochs: z.number().int(),
  status: RunStatus,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Aggregator test accuracy mean over seeds when finished. */
  testAccuracy: z.number().nullable(),
  message: z.string().nullable()
})
export type RunSummary = z.infer<typeof RunSummary>

export const CurvePoint = z.object({
  epoch: z.number().int(),
  ceLoss: z.number().nullable(),
  tcGain: z.number().nullable(),
  /** Validation balanced accuracy by modality name and 'aggregator'. */
  val: z.record(z.string(), z.number())
})

export const PredictionRow = z.object({
  participantId: z.string(),
  sessionId: z.string(),
  split: z.enum(['train', 'val', 'test']).nullable(),
  trueLabel: z.string().nullable(),
  /** True label hidden by a simulated label rate (evaluation only). */
  hiddenLabel: z.string().nullable(),
  predictedLabel: z.string(),
  aggregator: Probs,
  modalities: z.record(z.string(), Probs)
})
export type PredictionRow = z.infer<typeof PredictionRow>

export const RunDetail = z.object({
  summary: RunSummary,
  /** The run's config as saved (config.json). */
  config: z.record(z.string(), z.unknown()),
  classNames: z.array(z.string()),
  /** Training curves per seed. */
  curves: z.array(z.object({ seed: z.number().int(), points: z.array(CurvePoint) })),
  metrics: z.array(MetricsRow),
  /** Predictions of the first seed's selected model (mean over seeds in probabilities). */
  predictions: z.array(PredictionRow),
  /** Aggregator confusion matrix on the test split, [true][predicted], counts summed over seeds. */
  confusion: z.array(z.array(z.number().int())),
  /** Aggregator ROC on the test split (two classes; class index 1 positive), first seed. */
  roc: z.object({ fpr: z.array(z.number()), tpr: z.array(z.number()), auc: z.number().nullable() }).nullable()
})
export type RunDetail = z.infer<typeof RunDetail>

export const ExportResult = z.object({ out: z.string(), files: z.array(z.string()) })
export type ExportResult = z.infer<typeof ExportResult>

/** Default share of the demo's diagnoses left visible (stratified, seeded); the rest are hidden and
 *  used for evaluation only, so the demo shows the few-labels setting the app is for. */
export const DEMO_VISIBLE_LABEL_RATE = 0.1

export const DemoResult = z.object({
  study: z.string(),
  cohort: z.string(),
  import: ImportResult,
  /** Diagnoses left visible and hidden (for evaluation) after the import. */
  labels: z.object({ visible: z.number().int(), hidden: z.number().int() })
})
export type DemoResult = z.infer<typeof DemoResult>

export const studyRequests = {
  'study.createDemo': request(
    z.object({
      subjects: z.number().int().min(4).max(2000).optional(),
      seed: z.number().int().min(0).optional(),
      /** Share of the diagnoses left visible; default DEMO_VISIBLE_LABEL_RATE; 1 keeps them all. */
      visibleRate: z.number().min(0).max(1).optional(),
      /** Parent folder; default: <userData>/studies. The cohort and the study go in subfolders. */
      folder: Path.optional()
    }).strict(),
    JobStarted,
    'Job: write the synthetic demo cohort (DEMO_COHORT.md), import it into a new study and keep a share of its diagnoses visible; result DemoResult'
  ),
  'study.create': request(
    z.object({ folder: Path, name: z.string().min(1).max(200).optional(), classNames: z.array(z.string().min(1).max(40)).min(2).max(10).optional() }).strict(),
    StudySummary,
    'Create an empty study in a new or empty folder'
  ),
  'study.open': request(z.object(StudyRef).strict(), StudySummary, 'Open a study folder (migrating an older study.json or saying why not)'),
  'study.settings': request(
    z.object({ ...StudyRef, classNames: z.array(z.string().min(1).max(40)).min(2).max(10).optional(), visit: z.string().min(1).optional() }).strict(),
    StudySummary,
    'Change class names (only while no labels use them) or the visit to pair'
  ),
  'import.preview': request(
    z.object({ study: Path.optional(), ...ImportOptions.shape }).strict(),
    ImportPreview,
    'What a cohort folder or manifest holds (layout, subjects, modalities, visits, problems); writes nothing'
  ),
  'import.run': request(
    z.object({ ...StudyRef, ...ImportOptions.shape }).strict(),
    JobStarted,
    'Job: import (and preprocess, cached) a cohort into the study; result ImportResult'
  ),
  'subjects.list': request(
    z.object({ ...StudyRef, /** Run whose predictions to show; default (or when not finished): the newest finished run. */ runId: z.string().min(1).max(200).optional() }).strict(),
    z.object({
      classNames: z.array(z.string()),
      latestRunId: z.string().nullable(),
      /** The run whose predictions the rows carry (null when no run has finished). */
      runId: z.string().nullable(),
      rows: z.array(SubjectRow)
    }),
    'All subjects with modalities, visible labels, split and one finished run\'s predictions (hidden diagnoses left out)'
  ),
  'subject.detail': request(
    z.object({ ...StudyRef, subject: SubjectId }).strict(),
    SubjectDetail,
    'One subject: metadata, scans, central hippocampal slices of each crop, label history'
  ),
  'labels.set': request(z.object({ ...StudyRef, subject: SubjectId, label: z.string().min(1) }).strict(), LabelChange, 'Set a subject\'s label'),
  'labels.clear': request(z.object({ ...StudyRef, subject: SubjectId }).strict(), LabelChange, 'Clear a subject\'s label'),
  'labels.undo': request(z.object(StudyRef).strict(), z.object({ undone: LabelEvent.nullable(), change: LabelChange.nullable() }), 'Undo the last label change not yet undone'),
  'labels.redo': request(z.object(StudyRef).strict(), z.object({ redone: LabelEvent.nullable(), change: LabelChange.nullable() }), 'Redo the change the latest undo reverted, when nothing changed since'),
  'labels.revealHidden': request(
    z.object(StudyRef).strict(),
    z.object({
      time: z.string(),
      /** Hidden label and source group (the diagnosis in the source metadata) by subject id. */
      subjects: z.array(z.object({ id: z.string(), label: z.string(), group: z.string().nullable() }))
    }),
    'The researcher\'s explicit request to see the labels hidden for evaluation; logged in the study (reveals.log.tsv)'
  ),
  'labels.history': request(
    z.object({ ...StudyRef, subject: SubjectId.optional(), limit: z.number().int().min(1).max(100000).optional() }).strict(),
    z.array(LabelEvent),
    'The label log, newest first (optionally one subject)'
  ),
  'labels.simulateRate': request(
    z.object({ ...StudyRef, rate: z.number().min(0).max(1), seed: z.number().int().min(0) }).strict(),
    z.object({ visible: z.number().int(), hidden: z.number().int(), visibleByClass: z.record(z.string(), z.number().int()) }),
    'Keep a stratified, seeded fraction of the known labels visible; hide the rest for evaluation only'
  ),
  'labels.importFile': request(
    z.object({ ...StudyRef, file: Path, format: z.enum(['auto', 'table', 'adnimerge']).optional(), mci: MciPolicy.optional() }).strict(),
    LabelImportResult,
    'Import labels from a TSV/CSV (participant_id, label) or ADNIMERGE'
  ),
  'splits.make': request(
    z.object({
      ...StudyRef,
      seed: z.number().int().min(0),
      fractions: z.object({ train: z.number().min(0).max(1), val: z.number().min(0).max(1), test: z.number().min(0).max(1) }).optional()
    }).strict(),
    SplitCounts,
    'Subject-level stratified train/val/test split (60/20/20 default), stored in the study'
  ),
  'splits.place': request(
    z.object(StudyRef).strict(),
    z.object({ placed: SplitCounts, counts: SplitCounts }),
    'Put the subjects imported after the split into it (stratified like the split), moving no one already assigned'
  ),
  'training.start': request(z.object({ ...StudyRef, ...TrainingOptions.shape }).strict(), JobStarted, 'Job: train a run (progress detail: TrainingProgressDetail; result RunSummary)'),
  'training.resume': request(z.object({ ...StudyRef, runId: z.string().min(1) }).strict(), JobStarted, 'Job: resume an interrupted run from its checkpoints'),
  'runs.list': request(z.object(StudyRef).strict(), z.array(RunSummary), 'Runs of the study, newest first'),
  'runs.get': request(z.object({ ...StudyRef, runId: z.string().min(1) }).strict(), RunDetail, 'One run: config, curves, metrics, predictions, confusion matrix, ROC'),
  'export.run': request(
    z.object({ ...StudyRef, runId: z.string().min(1), out: Path }).strict(),
    JobStarted,
    'Job: write predictions TSV, metrics TSV, report HTML + JSON to a folder; result ExportResult'
  )
} as const

export const studyEvents = {
  'study.changed': event(
    z.object({ study: z.string(), what: z.enum(['subjects', 'labels', 'splits', 'runs', 'settings']) }),
    'Something in a study changed (reload the matching store)'
  )
} as const
export type StudyRequestName = keyof typeof studyRequests
