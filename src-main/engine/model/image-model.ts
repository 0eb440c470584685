/**
 * The image classifier of one modality for the TCGM loop: a 3D DenseNet over hippocampal crops,
 * behind the `ModalityModel` interface (plain Float32Arrays in and out).
 */
import * as tf from '@tensorflow/tfjs'
import { chooseBackend, currentBackend } from '../backend/choose'
import { throwIfGpuFailed } from '../backend/webgpu'
import { createLogger } from '../../log'
import type { ModalityModel, ModelState } from '../train/modality-model'
import { Adam } from './adam'
import { minInputEdge, resolveConfig, validateConfig, type DenseNetConfig } from './config'
import { assembleBatch, centredWindow, drawAugmentation, validateCrops, type AugmentOptions, type CropDataset } from './crops'
import { countParameters, denseNetForward, initialValue, paramSpecs, PopulationStats, updateRunningStats, type BnRecord } from './densenet'
import { createFastOps } from './ops/fast'
import { createReferenceOps } from './ops/reference'
import type { NetOps } from './ops/types'
import { SeededRandom } from '../../domain/random/mulberry32'
import { freemem } from 'node:os'
import { checkTrainingFits, WASM_HEAP_LIMIT } from './memory'
import { shareOf, type Collective } from './parallel/collective'

const log = createLogger('model')

export type Implementation = 'fast' | 'reference' | 'auto'

export interface ImageModelOptions {
  modality: string
  numClasses: number
  /** 'tiny', 'small', 'paper' or a full config. */
  preset: string | DenseNetConfig
  crops: CropDataset
  /** Network input [sx, sy, sz] in voxels, a random window of the crop in training, the centred
   *  one in inference. Default: the crop dims minus 2 voxels on each side (dims as they are for
   *  edges under 12). */
  inputSize?: [number, number, number]
  /** Seeds the weights and the augmentation. */
  seed: number
  /** 'auto' (default): the fast ops on the cpu, wasm and webgpu backends, tf.conv3d elsewhere. */
  implementation?: Implementation
  /** Default: flips and transposes on. */
  augment?: Partial<AugmentOptions>
  /** Samples per forward pass in predictLogProbs (bounds memory). Default 8. */
  inferenceBatch?: number
  /** The largest batch a training call will get, for the memory check before building (default
   *  32: a TC step of the default CE batch of 16 takes twice as many). */
  trainBatch?: number
  /** Data-parallel replicas (threads) for this network, in a modality worker (parallel/build.ts):
   *  a positive integer, or automatic when absent (TCGM_REPLICAS overrides). */
  replicas?: number
  /** Networks training at the same time, which share the cores (automatic replicas). Default 1. */
  networks?: number
  /** Backend preference ('auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'; TCGM_BACKEND
   *  overrides). When given, or when no backend was chosen in this process yet, `chooseBackend`
   *  runs first; otherwise the active backend is used. */
  backend?: string
}

/** The fast ops are for the backends where tf.conv3d is a scalar loop. */
export function pickImplementation(requested: Implementation | undefined, backend: string): 'fast' | 'reference' {
  if (requested === 'reference' && backend === 'wasm') {
    // tfjs 4.22's wasm Conv3DBackpropInputV2 fills only the first depth slice: training would be silently wrong.
    throw new Error(
      "the 'reference' implementation (tf.conv3d) cannot train on the wasm backend: its Conv3D input gradient is wrong in tfjs 4.22; use 'fast' or 'auto'"
    )
  }
  if (requested === 'fast' || requested === 'reference') return requested
  // webgpu: tf.conv3d's WGSL is a plain loop there too, and the fast ops are checked on it.
  return backend === 'wasm' || backend === 'cpu' || backend === 'webgpu' ? 'fast' : 'reference'
}

export function defaultInputSize(dims: readonly number[]): [number, number, number] {
  return dims.map((d) => (d >= 12 ? d - 4 : d)) as [number, number, number]
}

export const DEFAULT_TRAIN_BATCH = 32

export const STATE_FORMAT = 'tcgm-densenet3d'
export const STATE_VERSION = 1

/** A ModalityModel that can say what it is (parameter count, implementation, backend). */
export interface ImageModalityModel extends ModalityModel {
  info(): ImageModelInfo
}

/** Which samples [start, end) of a batch of `total` this replica computes, and how many of the
 *  `replicas` are active (have samples) in this call. */
interface Share {
  start: number
  end: number
  total: number
  active: number
  replicas: number
}

class LocalImageModel implements ImageModalityModel {
  private readonly weights = new Map<string, tf.Variable>()
  private readonly trainable = new Map<string, tf.Variable>()
  private readonly adam: Adam
  private readonly rng: SeededRandom
  private readonly refreshSeed: number
  /** The batch of the last tcForward (this replica's share of it), kept for tcBackward. */
  private pending: { x: tf.Tensor5D | null; size: number; share: Share } | null = null
  private disposed = false

  constructor(
    readonly modality: string,
    readonly numClasses: number,
    readonly config: DenseNetConfig,
    readonly inputSize: [number, number, number],
    readonly implementation: 'fast' | 'reference',
    private readonly ops: NetOps,
    private readonly crops: CropDataset,
    private readonly augment: AugmentOptions,
    private readonly inferenceBatch: number,
    seed: number,
    /** Set when this model is one of K data-parallel replicas (one per thread; see parallel/). */
    private readonly collective: Collective | null = null
  ) {
    this.rng = new SeededRandom(seed)
    this.refreshSeed = (seed ^ 0x0b57a75) >>> 0
    const initRng = new SeededRandom(seed ^ 0x5eed1234)
    for (const spec of paramSpecs(config)) {
      const values = initialValue(spec, initRng)
      const v = tf.tidy(() => tf.variable(tf.tensor(values, spec.shape), spec.trainable))
      this.weights.set(spec.name, v)
      if (spec.trainable) this.trainable.set(spec.name, v)
    }
    this.adam = new Adam(this.trainable)
  }

  info(): ImageModelInfo {
    const chosen = currentBackend()
    const backend = tf.getBackend()
    const backendReason = chosen && chosen.tfBackend === backend ? `${chosen.name}: ${chosen.reason}` : `${backend}: set directly, not by chooseBackend`
    return {
      config: this.config,
      parameterCount: countParameters(this.config),
      inputSize: this.inputSize,
      implementation: this.implementation,
      backend,
      backendReason
    }
  }

  describe(): Record<string, unknown> {
    return { ...this.info() }
  }

  private check(where: string, indices: readonly number[]): void {
    if (this.disposed) throw new Error(`${where}: the ${this.modality} model was disposed`)
    if (indices.length === 0) throw new Error(`${where}: empty batch`)
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= this.crops.samples.length)
        throw new Error(`${where}: sample index ${i} is outside 0..${this.crops.samples.length - 1}`)
    }
  }

  /** This replica's share of a batch of n samples (all of it without replicas); tells the
   *  collective how many replicas take part in this call. */
  private share(n: number): Share {
    if (!this.collective) return { start: 0, end: n, total: n, active: 1, replicas: 1 }
    const replicas = this.collective.size
    const active = Math.min(n, replicas)
    this.collective.setActive(active)
    const [start, end] = this.collective.rank < active ? shareOf(n, this.collective.rank, active) : [n, n]
    return { start, end, total: n, active, replicas }
  }

  /** The input of samples [share.start, share.end) of the batch. Augmentations are drawn for the
   *  whole batch, so every replica's generator stays in step whatever its share. Null when the
   *  share is empty (an idle replica). */
  private batch(indices: readonly number[], training: boolean, rng: SeededRandom = this.rng, share?: Share): tf.Tensor5D | null {
    const size = this.inputSize
    const augs = indices.map(() => (training ? drawAugmentation(rng, this.crops.dims, size, this.augment) : centredWindow(this.crops.dims, size)))
    const [start, end] = share ? [share.start, share.end] : [0, indices.length]
    if (end <= start) return null
    const data = assembleBatch(this.crops, indices.slice(start, end), size, augs.slice(start, end))
    return tf.tensor5d(data, [end - start, size[2], size[1], size[0], this.crops.channels])
  }

  /** Copies rank 0's running BN statistics to every replica, after a call in which some replicas
   *  were idle (they saw none of the statistics). */
  private syncRunningStats(share: Share): void {
    if (!this.collective || share.active === share.replicas) return
    const stats = [...this.weights].filter(([name]) => name.endsWith('.runningMean') || name.endsWith('.runningVar')).map(([, v]) => v)
    const flat = new Float32Array(stats.reduce((a, v) => a + v.size, 0))
    let at = 0
    for (const v of stats) {
      flat.set(v.dataSync() as Float32Array, at)
      at += v.size
    }
    const got = this.collective.broadcastAll(flat)
    at = 0
    tf.tidy(() => {
      for (const v of stats) {
        v.assign(tf.tensor(got.subarray(at, at + v.size), v.shape))
        at += v.size
      }
    })
  }

  private forward(x: tf.Tensor5D, training: boolean, records: BnRecord[]): tf.Tensor2D {
    return tf.logSoftmax(denseNetForward(this.config, this.ops, this.weights, x, training, records)) as tf.Tensor2D
  }

  /** Gradients of `loss` with respect to the trainable weights, then one Adam step.
   *  Returns the loss value. Running statistics are updated only when `updateStats`.
   *  With replicas, `loss` is this replica's part of the batch loss (null for an idle replica):
   *  the parts' gradients and values are added across replicas before the same Adam step is
   *  taken everywhere, so the replicas' weights stay identical. */
  private async step(loss: ((records: BnRecord[]) => tf.Scalar) | null, lr: number, updateStats: boolean, share: Share): Promise<number> {
    const records: BnRecord[] = []
    const names = [...this.trainable.keys()]
    const vars = names.map((n) => this.trainable.get(n)!)
    const result = loss ? tf.variableGrads(() => loss(records), vars) : null
    const byName = new Map<string, tf.Tensor>()
    try {
      let v: number
      if (this.collective) {
        const flat = new Float32Array(vars.reduce((a, x) => a + x.size, 0) + 1)
        let at = 0
        for (const x of vars) {
          if (result) flat.set(result.grads[x.name].dataSync() as Float32Array, at)
          at += x.size
        }
        flat[at] = result ? result.value.dataSync()[0] : 0
        const sum = this.collective.sumAll(flat)
        at = 0
        names.forEach((n, i) => {
          byName.set(n, tf.tensor(sum.subarray(at, at + vars[i].size), vars[i].shape))
          at += vars[i].size
        })
        v = sum[at]
      } else {
        names.forEach((n, i) => byName.set(n, result!.grads[vars[i].name]))
        v = (await result!.value.data())[0]
      }
      throwIfGpuFailed()
      if (!Number.isFinite(v)) throw new Error(`${this.modality} model: the loss became ${v} (learning rate ${lr} too high, or bad input values)`)
      this.adam.apply(this.trainable, byName, lr)
      return v
    } finally {
      if (result) tf.dispose([result.value, ...Object.values(result.grads)])
      if (this.collective) tf.dispose([...byName.values()])
      if (updateStats) updateRunningStats(this.weights, records)
      else tf.dispose(records.flatMap((r) => [r.stats.mean, r.stats.variance]))
      if (updateStats) this.syncRunningStats(share)
    }
  }

  async predictLogProbs(indices: readonly number[]): Promise<Float32Array> {
    this.check('predictLogProbs', indices)
    const out = new Float32Array(indices.length * this.numClasses)
    for (let s = 0; s < indices.length; s += this.inferenceBatch) {
      const part = indices.slice(s, s + this.inferenceBatch)
      const logp = tf.tidy(() => this.forward(this.batch(part, false)!, false, []))
      out.set(await logp.data(), s * this.numClasses)
      logp.dispose()
      throwIfGpuFailed()
    }
    return out
  }

  /** Sets every BN's running statistics to the exact statistics of training-mode passes over
   *  `indices`. With few training steps the momentum averages are still far from the network's
   *  current statistics (15 steps of momentum 0.1 keep 21% of the initial mean 0 / variance 1)
   *  and from a handful of labelled subjects; in eval mode that shift pushes every subject to
   *  one class. The inputs are augmented as in training (the statistics the network was trained
   *  under, which momentum averages estimate too), from a generator of their own reset on each
   *  call: the result depends only on the weights, and the training stream is untouched. */
  async refreshNormStats(indices: readonly number[]): Promise<void> {
    this.check('refreshNormStats', indices)
    const pop = new PopulationStats()
    const rng = new SeededRandom(this.refreshSeed)
    let someIdle: Share | null = null
    for (let s = 0; s < indices.length; s += this.inferenceBatch) {
      const part = indices.slice(s, s + this.inferenceBatch)
      // With replicas each pass is split over them, its statistics those of the whole pass.
      const share = this.share(part.length)
      if (share.active < share.replicas) someIdle = share
      const records: BnRecord[] = []
      try {
        tf.tidy(() => {
          const x = this.batch(part, true, rng, share)
          if (x) this.forward(x, true, records)
        })
        await pop.add(records)
      } catch (e) {
        tf.dispose(records.flatMap((r) => [r.stats.mean, r.stats.variance]))
        throw e
      }
    }
    pop.assign(this.weights)
    if (someIdle) this.syncRunningStats(someIdle)
  }

  async ceStep(indices: readonly number[], labels: readonly number[], lr: number): Promise<number> {
    this.check('ceStep', indices)
    if (labels.length !== indices.length) throw new Error(`ceStep: ${indices.length} indices but ${labels.length} labels`)
    for (const y of labels)
      if (!Number.isInteger(y) || y < 0 || y >= this.numClasses) throw new Error(`ceStep: label ${y} is not a class index in 0..${this.numClasses - 1}`)
    const share = this.share(indices.length)
    const x = this.batch(indices, true, this.rng, share)
    const target = tf.tidy(() => tf.oneHot(tf.tensor1d(labels.slice(share.start, share.end), 'int32'), this.numClasses))
    // The mean over the whole batch: with replicas each adds its share's sum divided by the batch size.
    const loss = (records: BnRecord[]) => {
      const perSample = tf.sum(tf.mul(this.forward(x!, true, records), target), 1)
      return tf.neg(this.collective ? tf.div(tf.sum(perSample), share.total) : tf.mean(perSample)) as tf.Scalar
    }
    try {
      return await this.step(x ? loss : null, lr, true, share)
    } finally {
      x?.dispose()
      target.dispose()
    }
  }

  async tcForward(indices: readonly number[]): Promise<Float32Array> {
    this.check('tcForward', indices)
    this.dropPending()
    const share = this.share(indices.length)
    const x = this.batch(indices, true, this.rng, share)
    const records: BnRecord[] = []
    const logp = x ? tf.tidy(() => this.forward(x, true, records)) : null
    updateRunningStats(this.weights, records)
    this.syncRunningStats(share)
    const out = logp ? new Float32Array(await logp.data()) : new Float32Array(0)
    logp?.dispose()
    throwIfGpuFailed()
    this.pending = { x, size: indices.length, share }
    // With replicas: the rows of this replica's share (the coordinator puts them together).
    return out
  }

  async tcBackward(gradLogProbs: Float32Array, lr: number): Promise<void> {
    if (!this.pending) throw new Error(`tcBackward: no batch pending for the ${this.modality} model (call tcForward first)`)
    const { x, size, share } = this.pending
    if (gradLogProbs.length !== size * this.numClasses)
      throw new Error(`tcBackward: gradient has ${gradLogProbs.length} values, expected ${size} x ${this.numClasses}`)
    this.collective?.setActive(share.active)
    const c = this.numClasses
    const g = tf.tensor2d(gradLogProbs.subarray(share.start * c, share.end * c), [share.end - share.start, c])
    try {
      // The forward pass is recomputed on the same batch (same augmentation, batch statistics)
      // so its gradient is exactly d(sum gradLogProbs * logH)/dtheta; its statistics were
      // already taken into the running averages by tcForward.
      await this.step(x ? (records) => tf.sum(tf.mul(this.forward(x, true, records), g)) : null, lr, false, share)
    } finally {
      g.dispose()
      this.dropPending()
    }
  }

  private dropPending(): void {
    this.pending?.x?.dispose()
    this.pending = null
  }

  async getState(): Promise<ModelState> {
    const tensors: ModelState['tensors'] = {}
    const put = async (name: string, t: tf.Tensor) => {
      tensors[name] = { shape: [...t.shape], data: new Float32Array(await t.data()) }
    }
    for (const [name, v] of this.weights) await put(`weights/${name}`, v)
    for (const [name, v] of this.adam.m) await put(`adam.m/${name}`, v)
    for (const [name, v] of this.adam.v) await put(`adam.v/${name}`, v)
    return {
      tensors,
      meta: {
        format: STATE_FORMAT,
        version: STATE_VERSION,
        modality: this.modality,
        numClasses: this.numClasses,
        config: this.config,
        inputSize: this.inputSize,
        adamStep: this.adam.step,
        rngState: this.rng.getState()
      }
    }
  }

  async setState(state: ModelState): Promise<void> {
    const meta = state.meta
    if (meta.format !== STATE_FORMAT) throw new Error(`setState: not a 3D DenseNet state (format ${String(meta.format)}, expected ${STATE_FORMAT})`)
    if (meta.version !== STATE_VERSION) throw new Error(`setState: state version ${String(meta.version)} is not supported (expected ${STATE_VERSION})`)
    validateConfig(meta.config as DenseNetConfig)
    if (JSON.stringify(meta.config) !== JSON.stringify(this.config)) {
      throw new Error(`setState: the state's architecture ${JSON.stringify(meta.config)} differs from this model's ${JSON.stringify(this.config)}`)
    }
    const load = (name: string, target: tf.Variable) => {
      const t = state.tensors[name]
      if (!t) throw new Error(`setState: tensor '${name}' is missing from the state`)
      if (t.shape.join('x') !== target.shape.join('x')) throw new Error(`setState: tensor '${name}' has shape [${t.shape}], expected [${target.shape}]`)
      target.assign(tf.tensor(t.data, t.shape))
    }
    tf.tidy(() => {
      for (const [name, v] of this.weights) load(`weights/${name}`, v)
      for (const [name, v] of this.adam.m) load(`adam.m/${name}`, v)
      for (const [name, v] of this.adam.v) load(`adam.v/${name}`, v)
    })
    this.adam.step = Number(meta.adamStep ?? 0)
    if (typeof meta.rngState === 'number') this.rng.setState(meta.rngState)
    this.dropPending()
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    this.dropPending()
    for (const v of this.weights.values()) v.dispose()
    this.weights.clear()
    this.trainable.clear()
    this.adam.dispose()
    this.ops.dispose()
  }
}

/** What a caller may want to show about a built model (parameter count, implementation). */
export interface ImageModelInfo {
  config: DenseNetConfig
  parameterCount: number
  inputSize: [number, number, number]
  implementation: 'fast' | 'reference'
  /** TensorFlow.js backend the model runs on, and why it was chosen (for the run record). */
  backend: string
  backendReason: string
  /** Data-parallel replicas (threads) training this network; absent for one. */
  replicas?: number
}

/** The info of an image model (in-process or remote); null for other ModalityModels. */
export function describeImageModel(model: ModalityModel): ImageModelInfo | null {
  const m = model as Partial<ImageModalityModel>
  return typeof m.info === 'function' ? m.info() : null
}

/**
 * Builds the 3D DenseNet classifier of one modality in this process, on the backend chosen by
 * `chooseBackend` (run here when `opts.backend` is given or nothing was chosen yet).
 * @throws when the crops, the preset or the input size are unusable, naming the problem.
 */
export async function createImageModalityModel(opts: ImageModelOptions, replica: Collective | null = null): Promise<ImageModalityModel> {
  const where = `createImageModalityModel(${opts.modality})`
  validateCrops(opts.crops, where)
  if (opts.backend !== undefined || currentBackend() === null) await chooseBackend(opts.backend)
  await tf.ready()
  const config = resolveConfig(opts.preset, opts.crops.channels, opts.numClasses)
  const inputSize = opts.inputSize ?? defaultInputSize(opts.crops.dims)
  const minEdge = minInputEdge(config)
  inputSize.forEach((s, a) => {
    if (!Number.isInteger(s) || s < minEdge || s > opts.crops.dims[a]) {
      throw new Error(
        `${where}: input size ${inputSize.join('x')} is invalid along axis ${'xyz'[a]}: needs ${minEdge} <= size <= crop size ${opts.crops.dims[a]}`
      )
    }
  })
  const trainBatch = opts.trainBatch ?? DEFAULT_TRAIN_BATCH
  // A replica trains on its share of each batch only.
  checkTrainingFits(`${where}`, config, inputSize, Math.ceil(trainBatch / (replica?.size ?? 1)), tf.getBackend() === 'wasm' ? WASM_HEAP_LIMIT : null, freemem())
  const implementation = pickImplementation(opts.implementation, tf.getBackend())
  if (replica && implementation !== 'fast')
    throw new Error(`${where}: data-parallel replicas need the fast ops (the CPU backends), not '${implementation}' on ${tf.getBackend()}`)
  const ops = implementation === 'fast' ? createFastOps(replica && replica.size > 1 ? { sumStats: (v) => replica.sumStats(v) } : {}) : createReferenceOps()
  const augment: AugmentOptions = { flip: opts.augment?.flip ?? true, transpose: opts.augment?.transpose ?? true }
  const inferenceBatch = opts.inferenceBatch ?? 8
  if (!Number.isInteger(inferenceBatch) || inferenceBatch < 1) throw new Error(`${where}: inferenceBatch must be a positive integer, got ${inferenceBatch}`)
  const model = new LocalImageModel(
    opts.modality,
    opts.numClasses,
    config,
    [...inputSize],
    implementation,
    ops,
    opts.crops,
    augment,
    inferenceBatch,
    opts.seed,
    replica && replica.size > 1 ? replica : null
  )
  const presetName = typeof opts.preset === 'string' ? `'${opts.preset}'` : 'custom'
  log.info(
    `${opts.modality}: 3D DenseNet ${presetName} (blocks ${config.blocks.join('-')}, growth ${config.growth}), ${countParameters(config).toLocaleString('en-US')} parameters, input ${inputSize.join('x')}x${config.inChannels}, ${implementation} ops on ${tf.getBackend()}`
  )
  return model
}
