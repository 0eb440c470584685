/**
 * pool2(conv3(x, w)) without gradient, as ONE convolution with the 4x4x4 kernel box (x) w and
 * stride 2: 8x fewer outputs at 64/27 the taps, 3.4x fewer multiply-adds than the convolution
 * followed by the pool, in the forward pass and in dW (conv3-pool2-grad.ts).
 */
import * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'
import { pooledSize } from './pool2'
import { stackDepthTaps, wasmKernels } from './wasm/kernels'

/** [64, 27] matrix of the 2x2x2 box (1/8) convolved with a 3x3x3 kernel: the 4x4x4 kernel of
 *  pool2(conv3(x, w)) as one stride-2 convolution is box4 x w (taps flattened, C*F columns), and
 *  the 3x3x3 kernel gradient is box4^T x (the 4x4x4 kernel gradient). */
export const box4 = (consts: Constants): tf.Tensor2D =>
  consts.cached('box4', () => {
    const m = new Float32Array(64 * 27)
    for (let jd = 0; jd < 4; jd++)
      for (let jh = 0; jh < 4; jh++)
        for (let jw = 0; jw < 4; jw++) {
          for (let kd = 0; kd < 3; kd++)
            for (let kh = 0; kh < 3; kh++)
              for (let kw = 0; kw < 3; kw++) {
                const inBox = (j: number, k: number) => j - k === 0 || j - k === 1
                if (inBox(jd, kd) && inBox(jh, kh) && inBox(jw, kw)) m[(jd * 16 + jh * 4 + jw) * 27 + kd * 9 + kh * 3 + kw] = 1 / 8
              }
        }
    return tf.tensor2d(m, [64, 27])
  }) as tf.Tensor2D

/** Padding after an axis of the stride-2 window: 1 after an even edge (an odd last slice is real
 *  data the window reaches; an even one needs one zero). */
export const padAfter = (v: number): number => (v % 2 === 0 ? 1 : 0)

/** out[o] = sum_j x[2o+j-1] w4[j], j = 0..3 per axis (the pool keeps only every second output of
 *  the conv). The input is stacked along depth with stride 2 (channel 4c+t holds depth 2o+t-1),
 *  then one conv2d [4,4,4C,F] with stride 2, padding 1 before and padAfter after. Returns the
 *  stacked input xs4 [N*D2, H, W, 4C] too (the filter gradient uses it). */
export function conv3Pool2Apply(consts: Constants, x: tf.Tensor5D, w: tf.Tensor5D): { z: tf.Tensor5D; xs4: tf.Tensor4D } {
  return tf.tidy(() => {
    const [n, d, h, wd, c] = x.shape
    const f = w.shape[4]
    const [d2, h2, w2] = pooledSize('conv3Pool2', x.shape)
    const pair = (h * wd * c) % 2 === 0 ? 2 : 1
    // The own kernel's SIMD path (4x4 transposes) where it has one: 1 vs 4 ms for the stem's 3.6M values.
    const xs4 =
      wasmKernels() && c % 4 === 0
        ? stackDepthTaps(x, 4, 2, d2)
        : (tf
            .conv2d(
              x.reshape([n, d, (h * wd * c) / pair, pair]) as tf.Tensor4D,
              consts.stackTaps(4, pair),
              [2, 1],
              [
                [0, 0],
                [1, padAfter(d)],
                [0, 0],
                [0, 0]
              ]
            )
            .reshape([n * d2, h, wd, 4 * c]) as tf.Tensor4D)
    const w4 = tf
      .matMul(box4(consts), w.reshape([27, c * f]))
      .reshape([4, 16, c, f])
      .transpose([1, 2, 0, 3])
      .reshape([4, 4, 4 * c, f]) as tf.Tensor4D
    const z = tf
      .conv2d(xs4, w4, 2, [
        [0, 0],
        [1, padAfter(h)],
        [1, padAfter(wd)],
        [0, 0]
      ])
      .reshape([n, d2, h2, w2, f]) as tf.Tensor5D
    return { z, xs4 }
  })
}
