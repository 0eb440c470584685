/**
 * Messages between the main process and an attribution worker (worker-entry.ts). One worker
 * computes one map and exits; cancelling kills it. Float32Arrays travel as structured clones.
 */
import type { AttributionTask, CropAttribution } from './compute'

export const ATTRIBUTION_PROTOCOL_VERSION = 1

export type ToAttributionWorker = { v: number; type: 'run'; task: AttributionTask }

export type FromAttributionWorker =
  | { v: number; type: 'ready'; pid: number }
  | { v: number; type: 'progress'; fraction: number; message: string }
  | { v: number; type: 'result'; result: CropAttribution; backend: string }
  | { v: number; type: 'error'; error: string }
