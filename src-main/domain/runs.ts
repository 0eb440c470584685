/**
 * The records of a training run as the app reads, shows and exports them: its status and summary,
 * the live progress of training, metrics over seeds, learning curves and predictions.
 * The run folder that holds them is described in runs/folder.ts.
 */
import { z } from 'zod'
import { Method } from './method'
import { SplitName } from './study-settings'

/** Probabilities per class (index order of classNames). */
const Probs = z.array(z.number())

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
  method: Method,
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
  split: SplitName.nullable(),
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
