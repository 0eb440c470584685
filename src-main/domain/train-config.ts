/**
 * The engine's training configuration of a TCGM (or CE-baseline) run, with defaults and
 * validation. The user-facing options (training.ts) are resolved into it by runs/plan.
 */
import { Method } from './method'

export type SelectionMetric = 'aggregator-balanced-accuracy' | 'aggregator-accuracy' | 'aggregator-auc' | 'last'

export interface TrainConfig {
  /** 'tcgm' = CE steps then TC steps each epoch (Algorithm 1); 'ce' = CE steps only (baseline). */
  method: Method
  /** Total epochs, the warm-up included. */
  epochs: number
  /** CE-only epochs before the first TC step. */
  warmupEpochs: number
  /** Ends the warm-up early once every modality's accuracy on its labelled training subjects
   *  reaches this value (0..1); null = epochs only. */
  warmupAccuracy: number | null
  /** Batch size of the CE steps. */
  batchSize: number
  /** Batch size of the TC steps (>= number of modalities). */
  tcBatchSize: number
  /** Adam learning rate of the CE steps (gamma_l). */
  lrLabelled: number
  /** Adam learning rate of the TC steps (gamma_u). */
  lrUnlabelled: number
  seed: number
  /** Which epoch's model is kept: best on validation, or the last one. */
  selectionMetric: SelectionMetric
  /** Prior estimation from the labelled training subjects. */
  priorPseudoCount: number
  priorMinProbability: number | null
  /** Batch size for inference passes (validation, final predictions). */
  evalBatchSize: number
}

export const defaultTrainConfig: TrainConfig = {
  method: 'tcgm',
  epochs: 60,
  warmupEpochs: 20,
  warmupAccuracy: null,
  batchSize: 16,
  // Measured on the 300-subject demo cohort at 10% labels (README, "Accuracy on the demo cohort"):
  // with gamma_u = 0.001 and TC batches of 64 the TC steps barely moved the networks.
  tcBatchSize: 32,
  lrLabelled: 0.01,
  lrUnlabelled: 0.01,
  seed: 0,
  selectionMetric: 'aggregator-balanced-accuracy',
  priorPseudoCount: 1,
  priorMinProbability: null,
  evalBatchSize: 256
}

/** Fills defaults and checks every field; errors name the field and the value received. */
export function resolveTrainConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const c: TrainConfig = { ...defaultTrainConfig, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) }
  const bad = (field: string, want: string): never => {
    throw new Error(`train config: ${field} must be ${want}, got ${JSON.stringify((c as unknown as Record<string, unknown>)[field])}`)
  }
  if (!Method.options.includes(c.method)) bad('method', Method.options.map((m) => `'${m}'`).join(' or '))
  if (!Number.isInteger(c.epochs) || c.epochs < 1) bad('epochs', 'an integer >= 1')
  if (!Number.isInteger(c.warmupEpochs) || c.warmupEpochs < 0) bad('warmupEpochs', 'an integer >= 0')
  if (c.warmupAccuracy !== null && !(c.warmupAccuracy >= 0 && c.warmupAccuracy <= 1)) bad('warmupAccuracy', 'null or in 0..1')
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) bad('batchSize', 'an integer >= 1')
  if (!Number.isInteger(c.tcBatchSize) || c.tcBatchSize < 2) bad('tcBatchSize', 'an integer >= 2')
  if (!(c.lrLabelled > 0)) bad('lrLabelled', 'a positive number')
  if (!(c.lrUnlabelled > 0)) bad('lrUnlabelled', 'a positive number')
  if (!Number.isInteger(c.seed)) bad('seed', 'an integer')
  if (!['aggregator-balanced-accuracy', 'aggregator-accuracy', 'aggregator-auc', 'last'].includes(c.selectionMetric)) {
    bad('selectionMetric', "'aggregator-balanced-accuracy', 'aggregator-accuracy', 'aggregator-auc' or 'last'")
  }
  if (!(c.priorPseudoCount >= 0)) bad('priorPseudoCount', '>= 0')
  if (c.priorMinProbability !== null && !(c.priorMinProbability >= 0)) bad('priorMinProbability', 'null or >= 0')
  if (!Number.isInteger(c.evalBatchSize) || c.evalBatchSize < 1) bad('evalBatchSize', 'an integer >= 1')
  return c
}
