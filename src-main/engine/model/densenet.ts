/**
 * The 3D DenseNet-BC as functional ops over named variables (the layers API cannot build it: its
 * batch norm rejects rank-5 inputs and it has no 3D global average pooling).
 *
 * Input x: [N, D, H, W, C] = [N, nz, ny, nx, channels]. Output: class logits [N, numClasses].
 */
import * as tf from '@tensorflow/tfjs'
import type { DenseNetConfig } from './config'
import { BN_EPSILON, type BatchStats, type NetOps } from './ops/types'
import type { SeededRandom } from '../../domain/random/mulberry32'

/** One weight of the network. Conv kernels are [3,3,3,in,out] (kd, kh, kw as tf.conv3d) or
 *  [in,out] for 1x1x1; BN vectors are [channels]. */
export interface ParamSpec {
  name: string
  shape: number[]
  init: 'he' | 'glorot' | 'ones' | 'zeros'
  /** Running BN statistics are state, not trained. */
  trainable: boolean
}

interface LayerPlan {
  prefix: string
  /** Channels entering the layer (sum of the pieces). */
  inChannels: number
}

/** The channel bookkeeping of the architecture, shared by the weight list and the forward pass. */
export interface DenseNetPlan {
  blocks: { layers: LayerPlan[]; transition: { prefix: string; inChannels: number; outChannels: number } | null }[]
  headChannels: number
}

export function planDenseNet(cfg: DenseNetConfig): DenseNetPlan {
  let channels = cfg.stemChannels
  const blocks: DenseNetPlan['blocks'] = []
  cfg.blocks.forEach((numLayers, b) => {
    const layers: LayerPlan[] = []
    for (let l = 0; l < numLayers; l++) {
      layers.push({ prefix: `block${b + 1}.layer${l + 1}`, inChannels: channels })
      channels += cfg.growth
    }
    let transition = null
    if (b < cfg.blocks.length - 1) {
      const out = Math.max(1, Math.floor(channels * cfg.compression))
      transition = { prefix: `transition${b + 1}`, inChannels: channels, outChannels: out }
      channels = out
    }
    blocks.push({ layers, transition })
  })
  return { blocks, headChannels: channels }
}

function bnSpecs(prefix: string, c: number): ParamSpec[] {
  return [
    { name: `${prefix}.gamma`, shape: [c], init: 'ones', trainable: true },
    { name: `${prefix}.beta`, shape: [c], init: 'zeros', trainable: true },
    { name: `${prefix}.runningMean`, shape: [c], init: 'zeros', trainable: false },
    { name: `${prefix}.runningVar`, shape: [c], init: 'ones', trainable: false }
  ]
}

/** Every weight and running statistic, in a fixed order (the order of seeded initialisation). */
export function paramSpecs(cfg: DenseNetConfig): ParamSpec[] {
  const plan = planDenseNet(cfg)
  const s = cfg.stemChannels
  const bott = cfg.bottleneck * cfg.growth
  const specs: ParamSpec[] = [
    { name: 'stem.conv1', shape: [3, 3, 3, cfg.inChannels, s], init: 'he', trainable: true },
    ...bnSpecs('stem.bn', s),
    { name: 'stem.conv2', shape: [3, 3, 3, s, s], init: 'he', trainable: true }
  ]
  for (const block of plan.blocks) {
    for (const layer of block.layers) {
      specs.push(
        ...bnSpecs(`${layer.prefix}.bn1`, layer.inChannels),
        { name: `${layer.prefix}.conv1`, shape: [layer.inChannels, bott], init: 'he', trainable: true },
        ...bnSpecs(`${layer.prefix}.bn2`, bott),
        { name: `${layer.prefix}.conv2`, shape: [3, 3, 3, bott, cfg.growth], init: 'he', trainable: true }
      )
    }
    const t = block.transition
    if (t)
      specs.push(...bnSpecs(`${t.prefix}.bn`, t.inChannels), { name: `${t.prefix}.conv`, shape: [t.inChannels, t.outChannels], init: 'he', trainable: true })
  }
  specs.push(
    ...bnSpecs('head.bn', plan.headChannels),
    { name: 'head.dense.kernel', shape: [plan.headChannels, cfg.numClasses], init: 'glorot', trainable: true },
    { name: 'head.dense.bias', shape: [cfg.numClasses], init: 'zeros', trainable: true }
  )
  return specs
}

/** Number of trained weights (BN running statistics excluded, as PyTorch counts parameters). */
export function countParameters(cfg: DenseNetConfig): number {
  return paramSpecs(cfg)
    .filter((p) => p.trainable)
    .reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0)
}

/** Initial values from a seeded generator, in JavaScript, so that every backend and process
 *  starts from the same weights. He-normal for convolutions (fan-in = kernel volume x inputs),
 *  Glorot-uniform for the dense layer. */
export function initialValue(spec: ParamSpec, rng: SeededRandom): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1)
  const out = new Float32Array(size)
  if (spec.init === 'ones') out.fill(1)
  else if (spec.init === 'he') {
    const fanIn = size / spec.shape[spec.shape.length - 1]
    const std = Math.sqrt(2 / fanIn)
    for (let i = 0; i < size; i++) out[i] = rng.normal() * std
  } else if (spec.init === 'glorot') {
    const limit = Math.sqrt(6 / (spec.shape[0] + spec.shape[1]))
    for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * limit
  }
  return out
}

/** Batch statistics of one named BN in one forward pass, per piece of its input. */
export interface BnRecord {
  bn: string
  offset: number
  /** N*D*H*W of the BN input: the number of values each statistic was taken over. */
  count: number
  stats: BatchStats
}

/**
 * Runs the network. In training mode BN uses batch statistics, which are appended to `records`
 * (kept tensors: the caller disposes them); in inference mode BN uses the running statistics.
 * @param weights name -> tensor for every ParamSpec
 * @returns logits [N, numClasses]
 */
export function denseNetForward(
  cfg: DenseNetConfig,
  ops: NetOps,
  weights: ReadonlyMap<string, tf.Tensor>,
  x: tf.Tensor5D,
  training: boolean,
  records: BnRecord[]
): tf.Tensor2D {
  const plan = planDenseNet(cfg)
  const w = (name: string) => {
    const t = weights.get(name)
    if (!t) throw new Error(`denseNetForward: weight '${name}' is missing`)
    return t
  }
  /** A channel range [offset, offset + count) of a BN vector. */
  const part = (name: string, offset: number, count: number) => {
    const t = w(name) as tf.Tensor1D
    return offset === 0 && count === t.shape[0] ? t : t.slice(offset, count)
  }
  /** BN (over channels [offset, offset + C) of the named BN) followed by ReLU. */
  const bnRelu = (bn: string, offset: number, v: tf.Tensor5D): tf.Tensor5D => {
    const c = v.shape[4]
    const gamma = part(`${bn}.gamma`, offset, c)
    const beta = part(`${bn}.beta`, offset, c)
    if (training) {
      const { y, stats } = ops.bnReluTrain(v, gamma, beta)
      records.push({ bn, offset, count: stats.count, stats })
      return y
    }
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(part(`${bn}.runningVar`, offset, c), BN_EPSILON)))
    // Rank 4 for the broadcasts: webgpu's rank-5 broadcast is invalid WGSL (tfjs 4.22: zeros).
    const v4 = v.reshape([v.shape[0] * v.shape[1], v.shape[2], v.shape[3], c])
    return tf.relu(tf.add(tf.mul(tf.sub(v4, part(`${bn}.runningMean`, offset, c)), scale), beta)).reshape(v.shape) as tf.Tensor5D
  }
  /** BN-ReLU-Conv1^3 over the channel concatenation of `pieces`: concatenated first by the
   *  reference ops, summed piecewise by the fast ones (both per-channel, so equal). */
  const bnReluConv1 = (bn: string, kernel: string, pieces: tf.Tensor5D[]): tf.Tensor5D => {
    const k = w(kernel) as tf.Tensor2D
    if (ops.concatPieces || pieces.length === 1) {
      const v = pieces.length === 1 ? pieces[0] : (tf.concat(pieces, 4) as tf.Tensor5D)
      return ops.conv1(bnRelu(bn, 0, v), k)
    }
    let offset = 0
    let sum: tf.Tensor5D | null = null
    for (const p of pieces) {
      const c = p.shape[4]
      const y = ops.conv1(bnRelu(bn, offset, p), k.slice([offset, 0], [c, k.shape[1]]))
      sum = sum === null ? y : (tf.add(sum, y) as tf.Tensor5D)
      offset += c
    }
    return sum!
  }

  // A pool right after a convolution is one op (the fast ops fold it into a stride-2 convolution).
  const conv1 = w('stem.conv1') as tf.Tensor5D
  let h = cfg.stemPool === 'afterConv1' ? ops.conv3Pool2(x, conv1, false) : ops.conv3(x, conv1, false)
  const conv2 = w('stem.conv2') as tf.Tensor5D
  h = cfg.stemPool === 'afterStem' ? ops.conv3Pool2(bnRelu('stem.bn', 0, h), conv2, true) : ops.conv3(bnRelu('stem.bn', 0, h), conv2, true)
  let pieces: tf.Tensor5D[] = [h]
  for (const block of plan.blocks) {
    for (const layer of block.layers) {
      const bottleneck = bnReluConv1(`${layer.prefix}.bn1`, `${layer.prefix}.conv1`, pieces)
      pieces = [...pieces, ops.conv3(bnRelu(`${layer.prefix}.bn2`, 0, bottleneck), w(`${layer.prefix}.conv2`) as tf.Tensor5D, true)]
    }
    const t = block.transition
    if (t) pieces = [ops.pool2(bnReluConv1(`${t.prefix}.bn`, `${t.prefix}.conv`, pieces))]
  }
  // Head: BN-ReLU, global average pool per piece, then the dense layer on the concatenation.
  const merged = ops.concatPieces && pieces.length > 1 ? [tf.concat(pieces, 4) as tf.Tensor5D] : pieces
  let offset = 0
  const pooled = merged.map((p) => {
    const g = tf.mean(bnRelu('head.bn', offset, p), [1, 2, 3]) as tf.Tensor2D
    offset += p.shape[4]
    return g
  })
  const features = pooled.length === 1 ? pooled[0] : (tf.concat(pooled, 1) as tf.Tensor2D)
  return tf.add(tf.matMul(features, w('head.dense.kernel') as tf.Tensor2D), w('head.dense.bias')) as tf.Tensor2D
}

/**
 * Running-statistics update after a training forward pass (PyTorch's convention: momentum 0.1,
 * unbiased batch variance). Disposes the records' tensors.
 */
export function updateRunningStats(weights: ReadonlyMap<string, tf.Variable>, records: BnRecord[], momentum = 0.1): void {
  const byBn = new Map<string, BnRecord[]>()
  for (const r of records) byBn.set(r.bn, [...(byBn.get(r.bn) ?? []), r])
  tf.tidy(() => {
    for (const [bn, list] of byBn) {
      list.sort((a, b) => a.offset - b.offset)
      const mean = list.length === 1 ? list[0].stats.mean : tf.concat(list.map((r) => r.stats.mean))
      const variance = list.length === 1 ? list[0].stats.variance : tf.concat(list.map((r) => r.stats.variance))
      const m = list[0].count
      const rm = weights.get(`${bn}.runningMean`)!
      const rv = weights.get(`${bn}.runningVar`)!
      rm.assign(tf.add(tf.mul(rm, 1 - momentum), tf.mul(mean, momentum)))
      rv.assign(tf.add(tf.mul(rv, 1 - momentum), tf.mul(variance, (momentum * m) / Math.max(1, m - 1))))
    }
  })
  for (const r of records) {
    r.stats.mean.dispose()
    r.stats.variance.dispose()
  }
}

/**
 * Accumulates the batch statistics of training-mode forward passes into exact population
 * statistics ("precise BN", Wu & Johnson 2021): per BN channel, the mean and the unbiased
 * variance over every value of every pass, pooled from each pass's mean and biased variance.
 */
export class PopulationStats {
  private readonly sums = new Map<string, { n: number; s1: Float64Array; s2: Float64Array }>()

  /** Adds one forward pass's records (and disposes their tensors). */
  async add(records: BnRecord[]): Promise<void> {
    const byBn = new Map<string, BnRecord[]>()
    for (const r of records) byBn.set(r.bn, [...(byBn.get(r.bn) ?? []), r])
    for (const [bn, list] of byBn) {
      list.sort((a, b) => a.offset - b.offset)
      const mean = Float64Array.from((await Promise.all(list.map((r) => r.stats.mean.data()))).flatMap((v) => Array.from(v)))
      const variance = Float64Array.from((await Promise.all(list.map((r) => r.stats.variance.data()))).flatMap((v) => Array.from(v)))
      const count = list[0]!.count
      let acc = this.sums.get(bn)
      if (!acc) this.sums.set(bn, (acc = { n: 0, s1: new Float64Array(mean.length), s2: new Float64Array(mean.length) }))
      if (acc.s1.length !== mean.length) throw new Error(`PopulationStats: BN '${bn}' had ${acc.s1.length} channels, now ${mean.length}`)
      acc.n += count
      for (let c = 0; c < mean.length; c++) {
        acc.s1[c] += count * mean[c]!
        acc.s2[c] += count * (variance[c]! + mean[c]! * mean[c]!)
      }
    }
    for (const r of records) {
      r.stats.mean.dispose()
      r.stats.variance.dispose()
    }
  }

  /** Writes the pooled statistics into the running-statistics variables. */
  assign(weights: ReadonlyMap<string, tf.Variable>): void {
    for (const [bn, { n, s1, s2 }] of this.sums) {
      if (n === 0) continue
      const mean = s1.map((v) => v / n)
      const variance = s2.map((v, c) => Math.max(0, v / n - mean[c]! * mean[c]!) * (n / Math.max(1, n - 1)))
      tf.tidy(() => {
        weights.get(`${bn}.runningMean`)!.assign(tf.tensor1d(Float32Array.from(mean)))
        weights.get(`${bn}.runningVar`)!.assign(tf.tensor1d(Float32Array.from(variance)))
      })
    }
  }
}
