/**
 * Messages between a RemoteImageModel (parent) and its modality worker process. Every request
 * carries an id and gets exactly one reply with that id. Float32Arrays travel as structured
 * clones (the advanced serialization of process/fork.ts, or utilityProcess).
 */
import type { ModalityModel } from '../train/modality-model'
import type { ImageModelInfo, ImageModelOptions } from './image-model'

export const MODALITY_PROTOCOL_VERSION = 1

/** The ModalityModel methods a worker answers, plus 'init' (build the model) first. */
export type ModalityMethod = Exclude<keyof ModalityModel, 'modality' | 'numClasses'>

export interface InitArgs {
  /** With `backend` as the worker's preference (TCGM_BACKEND still overrides). */
  options: ImageModelOptions
}

export type ToModalityWorker =
  { v: number; type: 'init'; id: number; args: InitArgs } | { v: number; type: 'call'; id: number; method: ModalityMethod; args: unknown[] }

export type FromModalityWorker =
  | { v: number; type: 'ready'; pid: number }
  | { v: number; type: 'reply'; id: number; ok: true; result: unknown }
  | { v: number; type: 'reply'; id: number; ok: false; error: string }

/** What 'init' answers. */
export interface InitResult {
  info: ImageModelInfo
}
