/**
 * The gradients of pool2(conv3(x, w)): dW from the stride-2 stacked input (a conv2d dilated by 2
 * whose filter is the pooled gradient); dx on wasm as the stride-2 transposed convolution per
 * output parity (one conv2d, the parities interleaved by the fast ops' own kernel), elsewhere
 * through the pool's gradient and the 3x3x3 input gradient.
 */
import * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'
import { conv3Grads } from './conv3-grad'
import { box4, padAfter } from './conv3-pool2-forward'
import { PAD_HW1, reverseAxes, swapLeading } from './kernels'
import { pool2Grad } from './pool2'
import { parityInterleave, wasmKernels } from './wasm/kernels'

/** dL/dw of pool2(conv3(x, w)) from the stacked input xs4 and dz [N,D2,H2,W2,F]: the 4x4x4
 *  kernel gradient dw4[j] = sum_o x[2o+j-1] dz[o] is a conv2d whose batch is the 4C stacked
 *  channels and whose filter is dz, dilated by 2; then dw = box4^T x dw4. h and wd: the input's H, W. */
export function conv3Pool2FilterGrad(consts: Constants, xs4: tf.Tensor4D, dz: tf.Tensor5D, h: number, wd: number): tf.Tensor5D {
  return tf.tidy(() => {
    const [nd2, , , c4] = xs4.shape
    const c = c4 / 4
    const [, , h2, w2, f] = dz.shape
    const xt = reverseAxes(xs4.reshape([nd2, h * wd, c4])).reshape([c4, h, wd, nd2]) as tf.Tensor4D
    const dzFilter = swapLeading(dz.reshape([nd2, h2 * w2, f]) as tf.Tensor3D).reshape([h2, w2, nd2, f]) as tf.Tensor4D
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

/** Gather indices of the parity kernel: K[th, tw, (f, td), (rd, rh, rw, c)] = w4[2(1-td)+rd,
 *  2(1-th)+rh, 2(1-tw)+rw, c, f], from w4 [64, C*F] (box4 x w) flattened. Every w4 tap once. */
function parityIndex(consts: Constants, c: number, f: number): tf.Tensor1D {
  return consts.cached(`parity:${c}:${f}`, () => {
    const idx = new Int32Array(64 * c * f)
    for (let th = 0; th < 2; th++)
      for (let tw = 0; tw < 2; tw++)
        for (let fi = 0; fi < f; fi++)
          for (let td = 0; td < 2; td++)
            for (let rd = 0; rd < 2; rd++)
              for (let rh = 0; rh < 2; rh++)
                for (let rw = 0; rw < 2; rw++)
                  for (let ci = 0; ci < c; ci++) {
                    const tap = (2 * (1 - td) + rd) * 16 + (2 * (1 - th) + rh) * 4 + (2 * (1 - tw) + rw)
                    idx[((((th * 2 + tw) * 2 * f + fi * 2 + td) * 2 + rd) * 4 + rh * 2 + rw) * c + ci] = tap * c * f + ci * f + fi
                  }
    return tf.tensor1d(idx, 'int32')
  }) as tf.Tensor1D
}

/** dL/dx of pool2(conv3(x, w)) as the transposed stride-2 convolution, per output parity:
 *  dx[i] = sum over o of w4[i + 1 - 2o] dz[o], where on each axis window position q (dz rows q-1
 *  and q, zero outside) covers inputs 2q - 1 and 2q with taps j = 2(1-t) + r. dz is stacked along
 *  depth (2 taps), one conv2d [2,2,2F,8C] gives all 8 parities (8 multiply-adds of F x C per input
 *  voxel, against 27 for conv3's dx of the upsampled dz), and parityInterleave (the fast ops'
 *  own kernel) writes them into x's grid. */
function inputGradByParity(consts: Constants, xShape: [number, number, number, number, number], w: tf.Tensor5D, dz: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const [n, , , , c] = xShape
    const f = w.shape[4]
    const [, d2, h2, w2] = dz.shape
    const s = h2 * w2 * f
    const pair = s % 2 === 0 ? 2 : 1
    const dzp = tf.pad(dz.reshape([n, d2, s]), [
      [0, 0],
      [1, 1],
      [0, 0]
    ])
    const dzs = tf.conv2d(dzp.reshape([n, d2 + 2, s / pair, pair]) as tf.Tensor4D, consts.stackTaps(2, pair), 1, 'valid').reshape([n * (d2 + 1), h2, w2, 2 * f])
    const w4 = tf.matMul(box4(consts), w.reshape([27, c * f])).reshape([64 * c * f])
    const k = tf.gather(w4, parityIndex(consts, c, f)).reshape([2, 2, 2 * f, 8 * c]) as tf.Tensor4D
    const y = tf.conv2d(dzs as tf.Tensor4D, k, 1, PAD_HW1).reshape([n, d2 + 1, h2 + 1, w2 + 1, 8 * c]) as tf.Tensor5D
    return parityInterleave(y, xShape)
  })
}

/** dL/dx of pool2(conv3(x, w)): by parity on wasm (above; x's shape is enough); elsewhere dz
 *  upsampled by the pool's gradient, then conv3's dx. */
export function conv3Pool2InputGrad(
  consts: Constants,
  x: tf.Tensor5D | [number, number, number, number, number],
  w: tf.Tensor5D,
  dz: tf.Tensor5D
): tf.Tensor5D {
  if (Array.isArray(x)) {
    if (!wasmKernels()) throw new Error('conv3Pool2InputGrad: only the wasm kernels compute dx from the shape of x alone')
    return inputGradByParity(consts, x, w, dz)
  }
  if (wasmKernels()) return inputGradByParity(consts, x.shape, w, dz)
  return tf.tidy(() => conv3Grads(consts, x, w, null, pool2Grad(consts, dz, [...x.shape.slice(0, 4), w.shape[4]]), { input: true, filter: false }).dx!)
}
