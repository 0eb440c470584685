/**
 * Training-mode batch norm + ReLU as one custom op: per-channel means by average pools
 * (channelMean), each per-channel affine map (with the ReLU in the forward pass) as one 1x1
 * depthwise conv2d kernel with bias (channelAffine). Forward: 3 passes over the activation plus
 * the pools.
 *
 * With data-parallel replicas (a StatsSum given) the means are those of the whole batch across
 * the replicas, in the forward and in the backward pass, so the result does not depend on how
 * the batch was split beyond float rounding.
 */
import * as tf from '@tensorflow/tfjs'
import { BN_EPSILON, type BatchStats, type StatsSum } from '../types'
import { bnReluForwardWasm } from './bn-relu-wasm'
import { customOp } from './custom-op'
import { channelAffine, channelMean } from './kernels'
import { checkShape } from './shapes'
import { wasmKernels } from './wasm/kernels'

/** What the forward pass computed: the output, its batch statistics, and the backward pass's inputs. */
interface BnReluForward {
  y: tf.Tensor5D
  mean: tf.Tensor1D
  variance: tf.Tensor1D
  centred: tf.Tensor5D
  invStd: tf.Tensor1D
}

/** Per-channel means over the whole batch from this replica's means over its `count` values:
 *  the sums (mean x count, in float64) and the counts added across replicas. Reads the tensors
 *  back synchronously (replicas exist on the CPU backends only). */
function globalMeans(sum: StatsSum, local: tf.Tensor1D[], count: number): { means: tf.Tensor1D[]; count: number } {
  const c = local[0]!.shape[0]
  const buf = new Float64Array(local.length * c + 1)
  local.forEach((t, j) => {
    const v = t.dataSync()
    for (let i = 0; i < c; i++) buf[j * c + i] = v[i]! * count
  })
  buf[local.length * c] = count
  const total = sum(buf)
  const n = total[local.length * c]!
  return { means: local.map((_, j) => tf.tensor1d(Float32Array.from(total.subarray(j * c, (j + 1) * c), (v) => v / n))), count: n }
}

/** y = relu((x - mean) invStd g + b), mean and biased variance over N, D, H, W (of the whole
 *  batch when `sum` adds the replicas' parts; `total` is then its count). */
export function bnReluForward(x: tf.Tensor5D, g: tf.Tensor1D, b: tf.Tensor1D, sum?: StatsSum): BnReluForward & { total: number } {
  const [n, d, h, w, c] = x.shape
  const count = n * d * h * w
  let total = count
  let mean = channelMean(x)
  if (sum)
    ({
      means: [mean],
      count: total
    } = globalMeans(sum, [mean], count))
  // Rank 4 for the broadcast: webgpu's rank-5 broadcast is invalid WGSL (tfjs 4.22: zeros).
  const centred = tf.sub(x.reshape([n * d, h, w, c]), mean).reshape(x.shape) as tf.Tensor5D
  let variance = channelMean(tf.square(centred) as tf.Tensor5D)
  if (sum) variance = globalMeans(sum, [variance], count).means[0]!
  const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON)) as tf.Tensor1D
  const y = channelAffine(centred, tf.mul(g, invStd) as tf.Tensor1D, b, true)
  return { y, mean, variance, centred, invStd, total }
}

/** [dx, dg, db] from dy and the forward's centred input, output, invStd and g; `count` = N*D*H*W
 *  of this replica's share. With `sum`, dx uses the means of the whole batch, and dg, db are this
 *  share's parts (the replicas' gradients are added afterwards). */
export function bnReluGrad(
  dy: tf.Tensor5D,
  centred: tf.Tensor5D,
  y: tf.Tensor5D,
  invStd: tf.Tensor1D,
  g: tf.Tensor1D,
  count: number,
  sum?: StatsSum
): tf.Tensor[] {
  const dz = tf.mul(dy, tf.step(y)) as tf.Tensor5D // ReLU passes where its output is > 0
  const localDz = channelMean(dz)
  const localDzC = channelMean(tf.mul(dz, centred) as tf.Tensor5D) // = meanDzXHat / invStd
  const [meanDz, meanDzC] = sum ? globalMeans(sum, [localDz, localDzC], count).means : [localDz, localDzC]
  // dx = a (dz - meanDz - xHat meanDzXHat), a = g invStd, xHat = centred invStd:
  //    = a dz + (centred * s + o), s = -a invStd^2 meanDzC, o = -a meanDz
  const a = tf.mul(g, invStd) as tf.Tensor1D
  const s = tf.neg(tf.mul(a, tf.mul(tf.square(invStd), meanDzC))) as tf.Tensor1D
  const o = tf.neg(tf.mul(a, meanDz)) as tf.Tensor1D
  const dx = tf.add(channelAffine(dz, a, null, false), channelAffine(centred, s, o, false))
  return [dx, tf.mul(tf.mul(localDzC, invStd), count), tf.mul(localDz, count)]
}

/** bnReluTrain of NetOps (over the replicas when `sum` is given): x [N,D,H,W,C], gamma and beta
 *  [C]. On wasm with the fast ops' own kernels (bn-relu-wasm.ts), else as tfjs ops (above). The batch statistics are kept out of the custom op's tidy: the caller disposes them. */
export const createBnReluTrain =
  (sum?: StatsSum) =>
  (x: tf.Tensor5D, gamma: tf.Tensor1D, beta: tf.Tensor1D): { y: tf.Tensor5D; stats: BatchStats } => {
    checkShape('bnReluTrain', 'x', x.shape, [null, null, null, null, null])
    checkShape('bnReluTrain', 'gamma', gamma.shape, [x.shape[4]])
    checkShape('bnReluTrain', 'beta', beta.shape, [x.shape[4]])
    let stats: BatchStats | null = null
    const [n, d, h, w] = x.shape
    const count = n * d * h * w
    const bnRelu = customOp<tf.Tensor5D>((xIn, gIn, bIn) => {
      if (wasmKernels()) {
        const f = bnReluForwardWasm(xIn as tf.Tensor5D, gIn as tf.Tensor1D, bIn as tf.Tensor1D, sum)
        stats = { mean: tf.keep(tf.tensor1d(f.mean)), variance: tf.keep(tf.tensor1d(f.variance)), count: f.total }
        return { value: f.y, keep: [xIn], gradFunc: (dy, kept) => f.backward(kept[0] as tf.Tensor5D, dy) }
      }
      const f = bnReluForward(xIn as tf.Tensor5D, gIn as tf.Tensor1D, bIn as tf.Tensor1D, sum)
      // The custom forward runs inside a tidy: keep the statistics (the caller disposes them).
      stats = { mean: tf.keep(f.mean), variance: tf.keep(f.variance), count: f.total }
      return {
        value: f.y,
        keep: [f.centred, f.y, f.invStd, gIn],
        gradFunc: (dy, kept) => {
          const [sCentred, sy, sInvStd, sg] = kept as [tf.Tensor5D, tf.Tensor5D, tf.Tensor1D, tf.Tensor1D]
          return bnReluGrad(dy, sCentred, sy, sInvStd, sg, count, sum)
        }
      }
    })
    const y = bnRelu(x, gamma, beta)
    return { y, stats: stats! }
  }
