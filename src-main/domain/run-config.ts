/**
 * config.json of a run folder: everything a run was made with, so the folder describes itself
 * (in the spirit of ClinicaDL's MAPS): the app and its version, the backend expected and why,
 * the preprocessing of each modality with its hash, every engine setting as resolved, the split,
 * the seeds. Read back through runs/config-file.ts, which migrates older formats.
 */
import { z } from 'zod'
import { BackendInfo } from './backend'
import { Method } from './method'
import { Modality } from './modality'
import { SplitName } from './study-settings'
import { Hyperparameters } from './training'

/** The format this code writes. Bump it with a migration in runs/config-file.ts. */
export const RUN_FORMAT_VERSION = 1

/** The engine's TrainConfig (domain/train-config.ts) as recorded, every field resolved. */
export const RecordedTrainConfig = z.object({
  method: Method,
  epochs: z.number().int(),
  warmupEpochs: z.number().int(),
  warmupAccuracy: z.number().nullable(),
  batchSize: z.number().int(),
  tcBatchSize: z.number().int(),
  lrLabelled: z.number(),
  lrUnlabelled: z.number(),
  seed: z.number().int(),
  selectionMetric: z.enum(['aggregator-balanced-accuracy', 'aggregator-accuracy', 'aggregator-auc', 'last']),
  priorPseudoCount: z.number(),
  priorMinProbability: z.number().nullable(),
  evalBatchSize: z.number().int()
})

/** The preprocessing a modality's crops were made with (preprocessing/preprocess.ts). */
export const RecordedPreprocessing = z.object({
  settings: z.record(z.string(), z.unknown()),
  /** preprocessSettingsHash of the settings: part of every crop's cache key. */
  hash: z.string()
})

export const RecordedSplit = z.object({
  seed: z.number().int(),
  fractions: z.object({ train: z.number(), val: z.number(), test: z.number() }),
  createdAt: z.string(),
  /** sha256 of the assignment (subject ids sorted, one `id<TAB>split` line each), shortened. */
  hash: z.string(),
  counts: z.record(SplitName, z.number().int()),
  /** The split itself, beside config.json (split.json). */
  file: z.string()
})

export const RunConfig = z.object({
  formatVersion: z.literal(RUN_FORMAT_VERSION),
  id: z.string().min(1),
  /** The app that wrote the run; null when written before runs recorded it (format 0). */
  app: z.object({ name: z.string(), version: z.string() }).nullable(),
  createdAt: z.string(),
  method: Method,
  preset: z.string().min(1),
  seeds: z.array(z.number().int()).min(1),
  epochs: z.number().int().min(1),
  classNames: z.array(z.string()).min(2),
  /** The researcher's choices as given (absent = the default). */
  hyperparameters: Hyperparameters,
  /** The engine configuration the seeds train with (the seed field is replaced per seed). */
  train: RecordedTrainConfig,
  /** The backend the app expected when the run was planned, and why; each seed's result.json
   *  records the backend its models actually used. null: not recorded (format 0). */
  backend: BackendInfo.nullable(),
  /** Per modality of the study; null: not recorded (format 0). */
  preprocessing: z.partialRecord(Modality, RecordedPreprocessing).nullable(),
  /** The study's split when the run was planned; null: not recorded (format 0). */
  split: RecordedSplit.nullable()
})
export type RunConfig = z.infer<typeof RunConfig>
