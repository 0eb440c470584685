/**
 * The gradients of pool2(conv3(x, w)): dW from the stride-2 stacked input (a conv2d dilated by 2
 * whose filter is the pooled gradient), dx through the pool's gradient and the 3x3x3 input
 * gradient (a stride-2 transposed convolution would need the 8 output parities interleaved,
 * which no fast wasm kernel does).
 */
import * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'
import { conv3Grads } from './conv3-grad'
import { box4, padAfter } from './conv3-pool2-forward'
import { reverseAxes } from './kernels'
import { pool2Grad } from './pool2'

/** dL/dw of pool2(conv3(x, w)) from the stacked input xs4 and dz [N,D2,H2,W2,F]: the 4x4x4
 *  kernel gradient dw4[j] = sum_o x[2o+j-1] dz[o] is a conv2d whose batch is the 4C stacked
 *  channels and whose filter is dz, dilated by 2; then dw = box4^T x dw4. h and wd: the input's H, W. */
export function conv3Pool2FilterGrad(consts: Constants, xs4: tf.Tensor4D, dz: tf.Tensor5D, h: number, wd: number): tf.Tensor5D {
  return tf.tidy(() => {
    const [nd2, , , c4] = xs4.shape
    const c = c4 / 4
    const [, , h2, w2, f] = dz.shape
    const xt = reverseAxes(xs4.reshape([nd2, h * wd, c4])).reshape([c4, h, wd, nd2]) as tf.Tensor4D
    const dzFilter = dz
      .reshape([nd2, h2 * w2, f])
      .transpose([1, 0, 2])
      .reshape([h2, w2, nd2, f]) as tf.Tensor4D
    const g = tf.conv2d(
      xt,
      dzFilter,
      1,
      [
        [0, 0],
        [1, padAfter(h)],
        [1, padAfter(wd)],
        [0, 0]
      ],
      'NHWC',
      2
    ) // [(c, jd), jh, jw, f]
    const w4grad = g
      .reshape([c, 4, 16, f])
      .transpose([1, 2, 0, 3])
      .reshape([64, c * f])
    return tf.matMul(box4(consts), w4grad, true, false).reshape([3, 3, 3, c, f]) as tf.Tensor5D
  })
}

/** dL/dx of pool2(conv3(x, w)): dz upsampled by the pool's gradient, then conv3's dx. */
export function conv3Pool2InputGrad(consts: Constants, x: tf.Tensor5D, w: tf.Tensor5D, dz: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => conv3Grads(consts, x, w, null, pool2Grad(consts, dz, [...x.shape.slice(0, 4), w.shape[4]]), { input: true, filter: false }).dx!)
}
