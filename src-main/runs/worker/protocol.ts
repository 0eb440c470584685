/**
 * Messages between a training run's caller (run-client.ts) and its worker process
 * (worker-entry.ts). Versioned: a worker refuses a message of another version with an 'error'.
 * Typed arrays travel as such (the channel uses structured-clone serialisation).
 */
import type { TrainConfig } from '../../domain/train-config'
import type { TrainData, TrainProgress, TrainResult } from '../../engine/train/train-tcgm'

export const TRAIN_PROTOCOL_VERSION = 1

export interface RunSpec {
  /** Which factory in model-factories.ts builds the models and data ('tables', 'gaussian-sim', ...). */
  kind: string
  /** The factory's parameters (validated by the factory). */
  params: unknown
  train: Partial<TrainConfig>
  /** The run's folder; checkpoints go to runDir/checkpoints. */
  runDir: string
  /** Continue from runDir/checkpoints when a checkpoint is there. */
  resume?: boolean
  /** Minimum interval between 'step' progress events (epoch events always go). Default 200 ms. */
  progressIntervalMs?: number
}

export type RunResult =
  | {
      status: 'completed'
      result: TrainResult
      subjectIds?: string[]
      classNames?: string[]
      /** Each model's `describe()` (architecture, compute backend and the reason), in modality order. */
      models?: Array<Record<string, unknown> | null>
      /** The labels, splits and availability the run used, one entry per subject row. */
      data: Pick<TrainData, 'labels' | 'split' | 'available'>
    }
  | { status: 'cancelled'; epoch: number }

export type ToWorker = { v: typeof TRAIN_PROTOCOL_VERSION; type: 'start'; spec: RunSpec } | { v: typeof TRAIN_PROTOCOL_VERSION; type: 'cancel' }

export type FromWorker =
  | { v: typeof TRAIN_PROTOCOL_VERSION; type: 'started'; pid: number; modalities: string[]; numSubjects: number }
  | { v: typeof TRAIN_PROTOCOL_VERSION; type: 'progress'; progress: TrainProgress }
  | { v: typeof TRAIN_PROTOCOL_VERSION; type: 'done'; result: RunResult }
  | { v: typeof TRAIN_PROTOCOL_VERSION; type: 'error'; message: string; stack?: string }

/** What the caller's onEvent sees. */
export type RunEvent = { type: 'started'; pid: number; modalities: string[]; numSubjects: number } | { type: 'progress'; progress: TrainProgress }

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && 'type' in m && 'v' in m
}
