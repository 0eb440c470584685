/** The 2x2x2 average pool op: two 2D average pools forward (H and W, then pairs of depth
 *  slices; 'valid' drops an odd last slice), copies by broadcasting backward (wasm's AvgPool3D
 *  gradient is a scalar loop, about 5x slower; AvgPoolGrad 2D, Tile, DepthToSpace and
 *  resizeNearestNeighbor measured no faster). */
import * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'
import { customOp } from './custom-op'
import { avgPoolValid } from './kernels'
import { checkShape } from './shapes'

/** The pooled size [D2, H2, W2] of an [N,D,H,W,C] input. @throws naming `op` when an axis is below 2. */
export function pooledSize(op: string, shape: readonly number[]): [number, number, number] {
  checkShape(op, 'x', shape, [null, null, null, null, null])
  const [d2, h2, w2] = [shape[1], shape[2], shape[3]].map((v) => Math.floor(v / 2))
  if (d2 === 0 || h2 === 0 || w2 === 0) throw new Error(`${op}: input [${shape}] is too small to pool by 2`)
  return [d2, h2, w2]
}

/** Forward: x [N,D,H,W,C] -> [N,D2,H2,W2,C], no gradient. No slice for an odd depth: the 'valid'
 *  depth pool drops the last slice by itself (a rank-5 slice is a generic element loop on wasm:
 *  45 ms for 26k values). */
export function pool2Apply(x: tf.Tensor5D, [d2, h2, w2]: [number, number, number]): tf.Tensor5D {
  return tf.tidy(() => {
    const [n, d, h, w, c] = x.shape
    const hw = avgPoolValid(x.reshape([n * d, h, w, c]) as tf.Tensor4D, [2, 2], [2, 2]) // [N*D, H2, W2, C]
    return avgPoolValid(hw.reshape([n, d, h2 * w2, c]) as tf.Tensor4D, [2, 1], [2, 1]).reshape([n, d2, h2, w2, c]) as tf.Tensor5D
  })
}

/** Gradient of pool2: each input voxel of a window gets 1/8 of its output's gradient; odd last
 *  slices, rows and columns get zero. Repeats along depth (times 1/8, exact), then height, then
 *  width by broadcasting against constants. */
export function pool2Grad(consts: Constants, dy: tf.Tensor5D, inShape: readonly number[]): tf.Tensor5D {
  return tf.tidy(() => {
    const [n, d, h, w, c] = inShape
    const [, d2, h2, w2] = dy.shape
    const twice = consts.ones([1, 2, 1])
    const alongD = tf.mul(
      dy.reshape([n * d2, 1, h2 * w2 * c]),
      consts.cached('twiceEighth', () => tf.fill([1, 2, 1], 1 / 8))
    )
    const alongH = tf.mul(alongD.reshape([n * 2 * d2 * h2, 1, w2 * c]), twice)
    const alongW = tf.mul(alongH.reshape([n * 2 * d2 * 2 * h2, w2, 1, c]), consts.ones([1, 1, 2, 1]))
    const up = alongW.reshape([n, 2 * d2, 2 * h2, 2 * w2, c])
    const odd = d - 2 * d2 + h - 2 * h2 + w - 2 * w2 > 0
    if (!odd) return up as tf.Tensor5D
    // Two pads of rank <= 4, H and W then D: webgpu's rank-5 pad is invalid WGSL (tfjs 4.22).
    const hw = tf.pad(alongW.reshape([n * 2 * d2, 2 * h2, 2 * w2, c]), [
      [0, 0],
      [0, h - 2 * h2],
      [0, w - 2 * w2],
      [0, 0]
    ])
    return tf
      .pad(hw.reshape([n, 2 * d2, h * w * c]), [
        [0, 0],
        [0, d - 2 * d2],
        [0, 0]
      ])
      .reshape([n, d, h, w, c]) as tf.Tensor5D
  })
}

/** pool2 of NetOps: [N,D,H,W,C] -> [N,floor(D/2),floor(H/2),floor(W/2),C]. */
export function createPool2(consts: Constants): (x: tf.Tensor5D) => tf.Tensor5D {
  return (x) => {
    const size = pooledSize('pool2', x.shape)
    return customOp<tf.Tensor5D>((xIn) => ({
      keep: [],
      value: pool2Apply(xIn as tf.Tensor5D, size),
      gradFunc: (dy) => [pool2Grad(consts, dy, x.shape)]
    }))(x)
  }
}
