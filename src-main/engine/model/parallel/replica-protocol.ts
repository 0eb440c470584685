/**
 * What the coordinator of a data-parallel network (data-parallel-model.ts) and its replica
 * threads (replica-entry.ts) exchange. The crops travel once, in shared memory.
 */
import type { ImageModelInfo, ImageModelOptions } from '../image-model'
import type { ModalityMethod } from '../modality-protocol'
import type { CollectiveLayout } from './collective'

/** The crops as one SharedArrayBuffer: sample i is values [i*L, (i+1)*L). */
export interface SharedCrops {
  dims: [number, number, number]
  channels: number
  count: number
  memory: SharedArrayBuffer
}

export interface ReplicaData {
  rank: number
  layout: CollectiveLayout
  collective: SharedArrayBuffer
  crops: SharedCrops
  /** The model options without the crops. */
  options: Omit<ImageModelOptions, 'crops'>
}

export type ReplicaRequest = { method: 'init' } | { method: ModalityMethod; args: unknown[] }

export type ToReplica = ReplicaRequest & { id: number }

export type FromReplica = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }

export type ReplicaInit = ImageModelInfo
