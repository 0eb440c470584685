/**
 * The gradients of the 3x3x3 convolution, as forward ops: dx is the same convolution of dy with
 * the kernel flipped and in/out swapped (conv3Apply); dW is a conv2d whose "batch" is the
 * depth-stacked channels and whose "filter" is dy (stride 1, padding 1, so the output is the 3x3
 * kernel window), or the other way round when there are fewer stacked channels than F. The
 * operands of dW go to [C, H, W, N*D] by reverseAxes.
 */
import * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'
import { conv3Apply, flippedTapsOf, kernelFor, stackDepth } from './conv3-forward'
import { PAD_HW1, reverseAxes, swapLeading } from './kernels'

/** Input and filter gradients of a convolution, each when asked for. */
export interface Grads {
  dx: tf.Tensor5D | null
  dw: tf.Tensor5D | null
}

/** dy [N,D,H,W,F] as the "filter" of a dW conv2d: [H, W, N*D, F]. */
export function dyAsFilter(dy: tf.Tensor, nd: number, h: number, w: number, f: number): tf.Tensor4D {
  return swapLeading(dy.reshape([nd, h * w, f]) as tf.Tensor3D).reshape([h, w, nd, f]) as tf.Tensor4D
}

/** dL/dw [3,3,3,C,F] = sum_{n,d,h,w} x[n,d+kd-1,h+kh-1,w+kw-1,c] dy[n,d,h,w,f], from the depth-
 *  stacked input xs [N*D,H,W,3C]: a conv2d whose batch is the 3C stacked channels and whose
 *  filter is dy (stride 1, padding 1, so the output is the 3x3 kernel window). */
export function filterGradFromStackedX(xs: tf.Tensor4D, dy: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const [nd, h, w, c3] = xs.shape
    const c = c3 / 3
    const f = dy.shape[4]
    if (c3 < f) {
      // Few stacked channels (the network's first conv): dy is the batch and xs the filter,
      // g'[f, i, j, (c, kd)] = sum dy[h+i-1, w+j-1] x[h, w] = dw[kd, 2-i, 2-j, c, f].
      const dyt = reverseAxes(dy.reshape([nd, h * w, f])).reshape([f, h, w, nd]) as tf.Tensor4D
      const xsFilter = swapLeading(xs.reshape([nd, h * w, c3]) as tf.Tensor3D).reshape([h, w, nd, c3]) as tf.Tensor4D
      const g2 = tf.reverse(tf.conv2d(dyt, xsFilter, 1, PAD_HW1).reshape([f, 9, c, 3]), 1) // [f, (kh, kw), c, kd]
      return g2.transpose([3, 1, 2, 0]).reshape([3, 3, 3, c, f]) as tf.Tensor5D
    }
    const xt = reverseAxes(xs.reshape([nd, h * w, c3])).reshape([c3, h, w, nd]) as tf.Tensor4D
    const g = tf.conv2d(xt, dyAsFilter(dy, nd, h, w, f), 1, PAD_HW1) // [(c, kd), kh, kw, f]
    return g.reshape([c, 3, 9, f]).transpose([1, 2, 0, 3]).reshape([3, 3, 3, c, f]) as tf.Tensor5D
  })
}

/** The same from x and the depth-stacked dy, dys[d, (f, t)] = dy[d+t-1, f]: the tap t pairs
 *  x[d'] with dy[d'+t-1], i.e. kernel depth kd = 2 - t. */
export function filterGradFromStackedDy(x: tf.Tensor5D, dys: tf.Tensor4D): tf.Tensor5D {
  return tf.tidy(() => {
    const [n, d, h, w, c] = x.shape
    const f = dys.shape[3] / 3
    const xt = reverseAxes(x.reshape([n * d, h * w, c])).reshape([c, h, w, n * d]) as tf.Tensor4D
    const g = tf.conv2d(xt, dyAsFilter(dys, n * d, h, w, 3 * f), 1, PAD_HW1) // [c, kh, kw, (f, t)]
    const byT = g.reshape([c, 9, f, 3]).transpose([3, 1, 0, 2]) // [t, (kh, kw), c, f]
    return tf.reverse(byT.reshape([3, 9 * c * f]), 0).reshape([3, 3, 3, c, f]) as tf.Tensor5D
  })
}

/** The gradients of conv3 asked for, given what the forward kept (xs, when it stacked the input).
 *  When dx stacks dy along depth, dW uses that stack. */
export function conv3Grads(
  consts: Constants,
  x: tf.Tensor5D,
  w: tf.Tensor5D,
  xs: tf.Tensor4D | null,
  dy: tf.Tensor5D,
  want: { input: boolean; filter: boolean }
): Grads {
  const [n, d, h, wd, cin] = x.shape
  const cout = w.shape[4]
  const grads = (): Grads => {
    if (!want.input) return { dx: null, dw: want.filter ? (xs ? filterGradFromStackedX(xs, dy) : filterGradFromStackedDy(x, stackDepth(consts, dy))) : null }
    const flipped = flippedTapsOf(w)
    if (cout <= cin) {
      // dx stacks dy along depth; dW reuses that stack (or the forward's, same cost).
      const dys = stackDepth(consts, dy)
      const dx = tf.conv2d(dys, kernelFor(flipped, 'stackIn'), 1, 'same').reshape([n, d, h, wd, cin]) as tf.Tensor5D
      return { dx, dw: want.filter ? (xs ? filterGradFromStackedX(xs, dy) : filterGradFromStackedDy(x, dys)) : null }
    }
    return { dx: conv3Apply(consts, dy, flipped).y, dw: want.filter ? filterGradFromStackedX(xs ?? stackDepth(consts, x), dy) : null }
  }
  // tidy keeps the tensors of the object it returns (null is no TensorContainer: cast).
  return tf.tidy(() => grads() as unknown as tf.TensorContainer) as unknown as Grads
}
