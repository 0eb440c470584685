/**
 * How much memory training a network takes, estimated before it starts, so that a network that
 * will not fit is refused with a clear message instead of dying out of memory half-way (wasm's
 * heap is capped at 4 GiB per instance) and the number of data-parallel replicas can be bounded.
 *
 * The estimate counts what the forward pass allocates (forwardValuesPerSample); the backward
 * pass's own tensors on top of it are covered by GRADIENT_PEAK, calibrated against tf.profile's
 * peakBytes of one training step on wasm (bench/densenet-bench.ts --memory prints both).
 */
import { planDenseNet, countParameters } from './densenet'
import type { DenseNetConfig } from './config'

/** Peak bytes of a step / forward allocations, measured (bench/densenet-bench.ts --memory). */
// 2.5 (small preset, 17x21x20, batch 16), 3.2 (tiny), 3.5 (paper at 24^3 and 32^3): the largest.
const GRADIENT_PEAK = 3.5
/** TensorFlow.js, the wasm runtime and the process itself. */
const BASE_BYTES = 160 * 2 ** 20
/** wasm32 addresses 4 GiB per instance. */
export const WASM_HEAP_LIMIT = 4 * 2 ** 30

/** Float32 values the forward pass allocates per sample of input [sx, sy, sz], walking the
 *  network as densenet.ts and the fast ops build it. All of them live until the gradient step
 *  ends (they are freed with its scope), so this is what the step holds before its backward pass:
 *  per BN + ReLU the centred input, its square and the output (3C); per 1x1x1 convolution of each
 *  piece of a dense block its output and the running sum (the pieces make a block's memory grow
 *  with the square of its layers, as a concatenating DenseNet's does); per 3x3x3 convolution the
 *  depth-stacked side (3x the smaller channel count) and the output. */
export function forwardValuesPerSample(cfg: DenseNetConfig, inputSize: readonly [number, number, number]): number {
  let dims = [...inputSize]
  const voxels = () => dims[0]! * dims[1]! * dims[2]!
  const pool = () => (dims = dims.map((d) => Math.floor(d / 2)))
  const bnRelu = (c: number) => 3 * c * voxels()
  const conv3 = (cin: number, cout: number) => (3 * Math.min(cin, cout) + cout) * voxels()
  const s = cfg.stemChannels
  let values = conv3(cfg.inChannels, s)
  if (cfg.stemPool === 'afterConv1') pool()
  values += bnRelu(s) + conv3(s, s)
  if (cfg.stemPool === 'afterStem') pool()
  const bott = cfg.bottleneck * cfg.growth
  const plan = planDenseNet(cfg)
  for (const block of plan.blocks) {
    block.layers.forEach((layer, l) => {
      const pieces = l + 1
      values += bnRelu(layer.inChannels) + (2 * pieces - 1) * bott * voxels() + bnRelu(bott) + conv3(bott, cfg.growth)
    })
    if (block.transition) {
      const pieces = block.layers.length + 1
      values += bnRelu(block.transition.inChannels) + (2 * pieces - 1) * block.transition.outChannels * voxels()
      pool()
    }
  }
  return values + bnRelu(plan.headChannels)
}

/** Bytes one process needs to train `cfg` on batches of `batch` samples: activations, weights,
 *  gradients and Adam's two moments, and the runtime. */
export function estimateTrainingBytes(cfg: DenseNetConfig, inputSize: readonly [number, number, number], batch: number): number {
  const activations = forwardValuesPerSample(cfg, inputSize) * batch * 4 * GRADIENT_PEAK
  return Math.round(BASE_BYTES + activations + countParameters(cfg) * 4 * 4)
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`

/**
 * Refuses a training set-up that will not fit, before anything is built.
 * @param heapLimit the per-process limit of the backend (WASM_HEAP_LIMIT on wasm), or null
 * @param freeBytes the memory the machine has free
 * @throws naming the network, the estimate and what to change
 */
export function checkTrainingFits(
  what: string,
  cfg: DenseNetConfig,
  inputSize: readonly [number, number, number],
  batch: number,
  heapLimit: number | null,
  freeBytes: number
): void {
  const need = estimateTrainingBytes(cfg, inputSize, batch)
  const hint = `use a smaller preset, input or batch (a batch of ${batch} at ${inputSize.join('x')} needs about ${gib(need)})`
  if (heapLimit !== null && need > heapLimit)
    throw new Error(
      `${what}: training needs about ${gib(need)}, more than the backend's ${gib(heapLimit)} per process; ${hint}, or more data-parallel replicas (each takes a share of the batch)`
    )
  if (need > freeBytes) throw new Error(`${what}: training needs about ${gib(need)} but the machine has ${gib(freeBytes)} free; ${hint}`)
}
