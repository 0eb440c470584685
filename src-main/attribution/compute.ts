/**
 * The heavy part of an attribution map, run in the attribution worker (or in-process in tests):
 * for each seed's selected model of one modality, occlusion sensitivity over the subject's crop,
 * then the mean over seeds. Everything in crop space; mapping to the MNI grid and caching are
 * the caller's (index.ts).
 */
import { readCheckpoint } from '../engine/train/checkpoint'
import type { ModelState } from '../engine/train/modality-model'
import { centredWindow } from '../engine/model/crops'
import { occlusionSensitivity } from './occlusion'
import type { ModelSource } from './run-models'
import { createStateNet } from './state-net'

export interface AttributionTask {
  /** The subject's preprocessed crop (cache/<key>/), channel-major. */
  crop: { dims: [number, number, number]; channels: number; data: Float32Array }
  models: Array<{ seed: number; file: string; source: ModelSource; selectedEpoch: number; modalityIndex: number }>
  /** Names the modality in messages. */
  modality: string
  classIndex: number
  cube: number
  stride: number
  batchSize: number
}

export interface CropAttribution {
  /** Mean over seeds of the per-voxel drop of p(class), crop space; NaN outside the model's window. */
  map: Float32Array
  /** Unoccluded probabilities per seed (all classes). */
  probabilities: number[][]
  window: { offset: [number, number, number]; size: [number, number, number] }
  /** Forward passes over all seeds. */
  passes: number
}

export interface ComputeCallbacks {
  signal?: AbortSignal
  onProgress?: (fraction: number, message: string) => void
}

interface CheckpointShape {
  kind?: string
  epoch?: number
  nextEpoch?: number
  models?: ModelState[]
}

/** The state of one modality's model from a run checkpoint, checked against the selected epoch. */
export function loadSelectedState(m: AttributionTask['models'][number], modality: string): ModelState {
  const ck = readCheckpoint<CheckpointShape>(m.file)
  if (!ck) throw new Error(`seed ${m.seed}: the model file ${m.file} is missing`)
  const expected = { 'selected-models': 'tcgm-selected-models', 'best-models': 'tcgm-best-models', loop: 'tcgm-loop' }[m.source]
  if (ck.kind !== expected) throw new Error(`seed ${m.seed}: ${m.file} is not a ${m.source} checkpoint (kind ${String(ck.kind)})`)
  const epoch = m.source === 'loop' ? (ck.nextEpoch ?? 0) - 1 : ck.epoch
  if (epoch !== m.selectedEpoch) throw new Error(`seed ${m.seed}: ${m.file} holds the models of epoch ${epoch}, the run selected epoch ${m.selectedEpoch}`)
  const state = ck.models?.[m.modalityIndex]
  if (!state) throw new Error(`seed ${m.seed}: ${m.file} has no ${modality} model (position ${m.modalityIndex})`)
  return state
}

/** Runs the task on the active tfjs backend. @throws the signal's reason when cancelled */
export async function computeCropAttribution(task: AttributionTask, cb: ComputeCallbacks = {}): Promise<CropAttribution> {
  const { crop } = task
  const sum = new Float64Array(crop.data.length)
  const probabilities: number[][] = []
  let window: CropAttribution['window'] | null = null
  let passes = 0
  const S = task.models.length
  for (let s = 0; s < S; s++) {
    const m = task.models[s]!
    const net = createStateNet(loadSelectedState(m, task.modality), `${m.file} (${task.modality})`)
    try {
      const w = centredWindow(crop.dims, net.inputSize)
      window = { offset: w.offset, size: [...net.inputSize] }
      const r = await occlusionSensitivity(
        { dims: crop.dims, channels: crop.channels, data: crop.data, window },
        async (samples) => net.predictProbs(samples, crop.dims, crop.channels),
        {
          classIndex: task.classIndex,
          cube: task.cube,
          stride: task.stride,
          batchSize: task.batchSize,
          signal: cb.signal,
          onProgress: (done, total) => cb.onProgress?.((s + done / total) / S, `seed ${m.seed} (${s + 1}/${S}): ${done}/${total} forward passes`)
        }
      )
      for (let v = 0; v < sum.length; v++) sum[v] += r.map[v]!
      probabilities.push(Array.from(r.probabilities))
      passes += r.passes
    } finally {
      net.dispose()
    }
  }
  const map = new Float32Array(crop.data.length)
  for (let v = 0; v < map.length; v++) map[v] = sum[v]! / S
  return { map, probabilities, window: window!, passes }
}
