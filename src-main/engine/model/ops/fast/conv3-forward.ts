/**
 * The 3x3x3 convolution without gradient, as conv2d calls: one conv2d over [N*D, H, W, *] plus
 * the three depth taps, put on whichever side (input or output) has fewer channels. Used by the
 * forward pass of conv3 and, with the flipped kernel, for its input gradient (conv3-grad.ts).
 */
import * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'

/** The 27 taps of a 3x3x3 kernel as [3 (kd), 9 (kh, kw), P, Q]: input channels on P ('io', the
 *  kernel as stored) or on Q ('oi', the flipped kernel of the input gradient). */
export interface Taps {
  k: tf.Tensor4D
  order: 'io' | 'oi'
}

/** The taps of a kernel w [3,3,3,C,F] as stored. */
export const tapsOf = (w: tf.Tensor5D): Taps => ({ k: w.reshape([3, 9, w.shape[3], w.shape[4]]) as tf.Tensor4D, order: 'io' })

/** The flipped kernel (dx is the convolution of dy by it): reversing the flattened (kd, kh, kw)
 *  index flips all three axes at once; in/out swap by reading it as 'oi'. */
export const flippedTapsOf = (w: tf.Tensor5D): Taps => ({
  k: tf.reverse(w.reshape([27, w.shape[3], w.shape[4]]), 0).reshape([3, 9, w.shape[3], w.shape[4]]) as tf.Tensor4D,
  order: 'oi'
})

/** v [N,D,H,W,K] -> [N*D,H,W,3K], channel 3k+t holding depth d+t-1 (zero outside the volume).
 *  One conv2d over the (D, H*W*K) plane whose channels are pairs of neighbouring values, with a
 *  one-hot [3,1,2,6] kernel: a memory-bound copy (the one-hot [3,1,K,3K] kernel used before
 *  cost 9K^2 multiply-adds per voxel: 41 ms for the 16-channel stem at batch 16, against 27 ms
 *  with single values as channels and 22 ms with pairs, measured on wasm). */
export function stackDepth(consts: Constants, v: tf.Tensor5D): tf.Tensor4D {
  const [n, d, h, w, k] = v.shape
  const s = h * w * k
  const pair = s % 2 === 0 ? 2 : 1
  return tf.conv2d(v.reshape([n, d, s / pair, pair]) as tf.Tensor4D, consts.stackTaps(3, pair), 1, 'same').reshape([n * d, h, w, 3 * k]) as tf.Tensor4D
}

/** The conv2d kernel for one side of the depth taps:
 *  - 'stackIn':   [3,3,3Cin,Cout], input channel 3c+t (the input stacked by stackDepth);
 *  - 'gatherOut': [3,3,Cin,3Cout], output channel 3f+t (summed over t by the gather in conv3Apply). */
export function kernelFor(taps: Taps, side: 'stackIn' | 'gatherOut'): tf.Tensor4D {
  const [, , p, q] = taps.k.shape
  const [cin, cout] = taps.order === 'io' ? [p, q] : [q, p]
  if (side === 'stackIn') return taps.k.transpose(taps.order === 'io' ? [1, 2, 0, 3] : [1, 3, 0, 2]).reshape([3, 3, 3 * cin, cout]) as tf.Tensor4D
  return taps.k.transpose(taps.order === 'io' ? [1, 2, 3, 0] : [1, 3, 2, 0]).reshape([3, 3, cin, 3 * cout]) as tf.Tensor4D
}

/** 3x3x3 convolution of x [N,D,H,W,Cin] by its taps, without gradient. The depth taps go on
 *  whichever side has fewer channels. Returns the depth-stacked input too when it made one (the
 *  filter gradient reuses it). */
export function conv3Apply(consts: Constants, x: tf.Tensor5D, taps: Taps): { y: tf.Tensor5D; xs: tf.Tensor4D | null } {
  const [n, d, h, w, cin] = x.shape
  const cout = taps.order === 'io' ? taps.k.shape[3] : taps.k.shape[2]
  if (cin <= cout) {
    const xs = stackDepth(consts, x)
    return { y: tf.conv2d(xs, kernelFor(taps, 'stackIn'), 1, 'same').reshape([n, d, h, w, cout]) as tf.Tensor5D, xs }
  }
  // One conv2d with the three depth taps on the output channels, then out[d] = sum_t y2[d+t-1, (f, t)].
  const y2 = tf.conv2d(x.reshape([n * d, h, w, cin]) as tf.Tensor4D, kernelFor(taps, 'gatherOut'), 1, 'same')
  const pair = (h * w * cout) % 2 === 0 ? 2 : 1
  const y = tf.conv2d(y2.reshape([n, d, (h * w * cout) / pair, 3 * pair]) as tf.Tensor4D, consts.gatherTaps(pair), 1, 'same')
  return { y: y.reshape([n, d, h, w, cout]) as tf.Tensor5D, xs: null }
}
