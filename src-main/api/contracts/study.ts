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
import { Path, RunId, SubjectId } from '../../domain/paths'
import { Modality } from '../../domain/modality'
import { ClassNames, ImportLayout, MciPolicy, StudySettings } from '../../domain/study-settings'
import { TrainingOptions } from '../../domain/training'
import { MetricsRow, PredictionRow, RunDetail, RunSummary, TrainingProgressDetail } from '../../domain/runs'
import {
  ImportOptions,
  ImportPreview,
  LabelChange,
  LabelEvent,
  LabelImportResult,
  SplitCounts,
  StudySummary,
  SubjectDetail,
  SubjectRow
} from '../../domain/study-records'

// The domain's records, as the contract carries them (the renderer imports these types from here).
export { Modality, ImportLayout, MciPolicy, StudySettings, TrainingOptions, MetricsRow, PredictionRow, RunDetail, RunSummary, TrainingProgressDetail }
export * from '../../domain/study-records'
export type { Hyperparameters } from '../../domain/training'
export type { MetricSet } from '../../domain/runs'

/** Every request names its study folder: an absolute path chosen through a dialog or returned by main. */
const StudyRef = { study: Path }
/** The study folder must exist (the dispatcher checks it against the allowed folders). */
const inStudy = { study: 'existing' } as const
/** The source, and the tables beside it, must exist; the study too when named. */
const importPaths = { study: 'existing', source: 'existing', collectionCsv: 'existing', adnimerge: 'existing' } as const

export const studyRequests = {
  'study.createDemo': request(
    z
      .object({
        subjects: z.number().int().min(4).max(2000).optional(),
        seed: z.number().int().min(0).optional(),
        /** Share of the diagnoses left visible; default DEMO_VISIBLE_LABEL_RATE; 1 keeps them all. */
        visibleRate: z.number().min(0).max(1).optional(),
        /** Parent folder; default: <userData>/studies. The cohort and the study go in subfolders. */
        folder: Path.optional()
      })
      .strict(),
    JobStarted,
    'Job: write the synthetic demo cohort (DEMO_COHORT.md), import it into a new study and keep a share of its diagnoses visible; result DemoResult',
    { folder: 'create' }
  ),
  'study.create': request(
    z.object({ folder: Path, name: z.string().min(1).max(200).optional(), classNames: ClassNames.optional() }).strict(),
    StudySummary,
    'Create an empty study in a new or empty folder',
    { folder: 'create' }
  ),
  'study.open': request(z.object(StudyRef).strict(), StudySummary, 'Open a study folder (migrating an older study.json or saying why not)', inStudy),
  'study.settings': request(
    z.object({ ...StudyRef, classNames: ClassNames.optional(), visit: z.string().min(1).optional() }).strict(),
    StudySummary,
    'Change class names (only while no labels use them) or the visit to pair',
    inStudy
  ),
  'import.preview': request(
    z.object({ study: Path.optional(), ...ImportOptions.shape }).strict(),
    ImportPreview,
    'What a cohort folder or manifest holds (layout, subjects, modalities, visits, problems); writes nothing',
    importPaths
  ),
  'import.run': request(
    z.object({ ...StudyRef, ...ImportOptions.shape }).strict(),
    JobStarted,
    'Job: import (and preprocess, cached) a cohort into the study; result ImportResult',
    importPaths
  ),
  'subjects.list': request(
    z
      .object({
        ...StudyRef,
        /** Run whose predictions to show; default (or when not finished): the newest finished run. */ runId: z.string().min(1).max(200).optional()
      })
      .strict(),
    z.object({
      classNames: z.array(z.string()),
      latestRunId: z.string().nullable(),
      /** The run whose predictions the rows carry (null when no run has finished). */
      runId: z.string().nullable(),
      rows: z.array(SubjectRow)
    }),
    "All subjects with modalities, visible labels, split and one finished run's predictions (hidden diagnoses left out)",
    inStudy
  ),
  'subject.detail': request(
    z.object({ ...StudyRef, subject: SubjectId }).strict(),
    SubjectDetail,
    'One subject: metadata, scans, central hippocampal slices of each crop, label history',
    inStudy
  ),
  'labels.set': request(z.object({ ...StudyRef, subject: SubjectId, label: z.string().min(1) }).strict(), LabelChange, "Set a subject's label", inStudy),
  'labels.clear': request(z.object({ ...StudyRef, subject: SubjectId }).strict(), LabelChange, "Clear a subject's label", inStudy),
  'labels.undo': request(
    z.object(StudyRef).strict(),
    z.object({ undone: LabelEvent.nullable(), change: LabelChange.nullable() }),
    'Undo the last label change not yet undone',
    inStudy
  ),
  'labels.redo': request(
    z.object(StudyRef).strict(),
    z.object({ redone: LabelEvent.nullable(), change: LabelChange.nullable() }),
    'Redo the change the latest undo reverted, when nothing changed since',
    inStudy
  ),
  'labels.revealHidden': request(
    z.object(StudyRef).strict(),
    z.object({
      time: z.string(),
      /** Hidden label and source group (the diagnosis in the source metadata) by subject id. */
      subjects: z.array(z.object({ id: z.string(), label: z.string(), group: z.string().nullable() }))
    }),
    "The researcher's explicit request to see the labels hidden for evaluation; logged in the study (reveals.log.tsv)",
    inStudy
  ),
  'labels.history': request(
    z.object({ ...StudyRef, subject: SubjectId.optional(), limit: z.number().int().min(1).max(100000).optional() }).strict(),
    z.array(LabelEvent),
    'The label log, newest first (optionally one subject)',
    inStudy
  ),
  'labels.simulateRate': request(
    z.object({ ...StudyRef, rate: z.number().min(0).max(1), seed: z.number().int().min(0) }).strict(),
    z.object({ visible: z.number().int(), hidden: z.number().int(), visibleByClass: z.record(z.string(), z.number().int()) }),
    'Keep a stratified, seeded fraction of the known labels visible; hide the rest for evaluation only',
    inStudy
  ),
  'labels.importFile': request(
    z.object({ ...StudyRef, file: Path, format: z.enum(['auto', 'table', 'adnimerge']).optional(), mci: MciPolicy.optional() }).strict(),
    LabelImportResult,
    'Import labels from a TSV/CSV (participant_id, label) or ADNIMERGE',
    { study: 'existing', file: 'existing' }
  ),
  'splits.make': request(
    z
      .object({
        ...StudyRef,
        seed: z.number().int().min(0),
        fractions: z.object({ train: z.number().min(0).max(1), val: z.number().min(0).max(1), test: z.number().min(0).max(1) }).optional()
      })
      .strict(),
    SplitCounts,
    'Subject-level stratified train/val/test split (60/20/20 default), stored in the study',
    inStudy
  ),
  'splits.place': request(
    z.object(StudyRef).strict(),
    z.object({ placed: SplitCounts, counts: SplitCounts }),
    'Put the subjects imported after the split into it (stratified like the split), moving no one already assigned',
    inStudy
  ),
  'training.start': request(
    z.object({ ...StudyRef, ...TrainingOptions.shape }).strict(),
    JobStarted,
    'Job: train a run (progress detail: TrainingProgressDetail; result RunSummary)',
    inStudy
  ),
  'training.resume': request(z.object({ ...StudyRef, runId: RunId }).strict(), JobStarted, 'Job: resume an interrupted run from its checkpoints', inStudy),
  'runs.list': request(z.object(StudyRef).strict(), z.array(RunSummary), 'Runs of the study, newest first', inStudy),
  'runs.get': request(
    z.object({ ...StudyRef, runId: RunId }).strict(),
    RunDetail,
    'One run: config, curves, metrics, predictions, confusion matrix, ROC',
    inStudy
  ),
  'export.run': request(
    z.object({ ...StudyRef, runId: RunId, out: Path }).strict(),
    JobStarted,
    'Job: write predictions TSV, metrics TSV, report HTML + JSON to a folder; result ExportResult',
    { study: 'existing', out: 'create' }
  )
} as const

export const studyEvents = {
  'study.changed': event(
    z.object({ study: z.string(), what: z.enum(['subjects', 'labels', 'splits', 'runs', 'settings']) }),
    'Something in a study changed (reload the matching store)'
  )
} as const
export type StudyRequestName = keyof typeof studyRequests
