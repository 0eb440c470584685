/**
 * Training-mode batch norm + ReLU as one custom op: per-channel means by average pools
 * (channelMean), each per-channel affine map (with the ReLU in the forward pass) as one 1x1
 * depthwise conv2d kernel with bias (channelAffine). Forward: 3 passes over the activation plus
 * the pools.
 */
import * as tf from '@tensorflow/tfjs'
import { BN_EPSILON, type BatchStats } from '../types'
import { customOp } from './custom-op'
import { channelAffine, channelMean } from './kernels'
import { checkShape } from './shapes'

/** What the forward pass computed: the output, its batch statistics, and the backward pass's inputs. */
interface BnReluForward {
  y: tf.Tensor5D
  mean: tf.Tensor1D
  variance: tf.Tensor1D
  centred: tf.Tensor5D
  invStd: tf.Tensor1D
}

/** y = relu((x - mean) invStd g + b), mean and biased variance over N, D, H, W. */
export function bnReluForward(x: tf.Tensor5D, g: tf.Tensor1D, b: tf.Tensor1D): BnReluForward {
  const mean = channelMean(x)
  const centred = tf.sub(x, mean) as tf.Tensor5D
  const variance = channelMean(tf.square(centred) as tf.Tensor5D)
  const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON)) as tf.Tensor1D
  const y = channelAffine(centred, tf.mul(g, invStd) as tf.Tensor1D, b, true)
  return { y, mean, variance, centred, invStd }
}

/** [dx, dg, db] from dy and the forward's centred input, output, invStd and g; `count` = N*D*H*W. */
export function bnReluGrad(dy: tf.Tensor5D, centred: tf.Tensor5D, y: tf.Tensor5D, invStd: tf.Tensor1D, g: tf.Tensor1D, count: number): tf.Tensor[] {
  const dz = tf.mul(dy, tf.step(y)) as tf.Tensor5D // ReLU passes where its output is > 0
  const meanDz = channelMean(dz)
  const meanDzC = channelMean(tf.mul(dz, centred) as tf.Tensor5D) // = meanDzXHat / invStd
  // dx = a (dz - meanDz - xHat meanDzXHat), a = g invStd, xHat = centred invStd:
  //    = a dz + (centred * s + o), s = -a invStd^2 meanDzC, o = -a meanDz
  const a = tf.mul(g, invStd) as tf.Tensor1D
  const s = tf.neg(tf.mul(a, tf.mul(tf.square(invStd), meanDzC))) as tf.Tensor1D
  const o = tf.neg(tf.mul(a, meanDz)) as tf.Tensor1D
  const dx = tf.add(channelAffine(dz, a, null, false), channelAffine(centred, s, o, false))
  return [dx, tf.mul(tf.mul(meanDzC, invStd), count), tf.mul(meanDz, count)]
}

/** bnReluTrain of NetOps: x [N,D,H,W,C], gamma and beta [C]. The batch statistics are kept out
 *  of the custom op's tidy: the caller disposes them. */
export function bnReluTrain(x: tf.Tensor5D, gamma: tf.Tensor1D, beta: tf.Tensor1D): { y: tf.Tensor5D; stats: BatchStats } {
  checkShape('bnReluTrain', 'x', x.shape, [null, null, null, null, null])
  checkShape('bnReluTrain', 'gamma', gamma.shape, [x.shape[4]])
  checkShape('bnReluTrain', 'beta', beta.shape, [x.shape[4]])
  let stats: BatchStats | null = null
  const [n, d, h, w] = x.shape
  const count = n * d * h * w
  const bnRelu = customOp<tf.Tensor5D>((xIn, gIn, bIn) => {
    const f = bnReluForward(xIn as tf.Tensor5D, gIn as tf.Tensor1D, bIn as tf.Tensor1D)
    // The custom forward runs inside a tidy: keep the statistics (the caller disposes them).
    stats = { mean: tf.keep(f.mean), variance: tf.keep(f.variance) }
    return {
      value: f.y,
      keep: [f.centred, f.y, f.invStd, gIn],
      gradFunc: (dy, kept) => {
        const [sCentred, sy, sInvStd, sg] = kept as [tf.Tensor5D, tf.Tensor5D, tf.Tensor1D, tf.Tensor1D]
        return bnReluGrad(dy, sCentred, sy, sInvStd, sg, count)
      }
    }
  })
  const y = bnRelu(x, gamma, beta)
  return { y, stats: stats! }
}
