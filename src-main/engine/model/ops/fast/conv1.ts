/** The 1x1x1 convolution op: a matMul over the voxels, with gradients that stay on the
 *  no-transpose matMul path. */
import * as tf from '@tensorflow/tfjs'
import { customOp } from './custom-op'
import { checkShape } from './shapes'

/** dx = dy w^T, dw = x^T dy for y = x w. */
export function matMulGrads(x: tf.Tensor2D, w: tf.Tensor2D, dy: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  return [tf.matMul(dy, w.transpose()), tf.matMul(x.transpose(), dy)]
}

const matMulNoTranspose = customOp<tf.Tensor2D>((x, w) => ({
  value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
  keep: [x, w],
  gradFunc: (dy, kept) => matMulGrads(kept[0] as tf.Tensor2D, kept[1] as tf.Tensor2D, dy)
}))

/** conv1 of NetOps: x [N,D,H,W,C], w [C,F] -> [N,D,H,W,F]. */
export function conv1(x: tf.Tensor5D, w: tf.Tensor2D): tf.Tensor5D {
  checkShape('conv1', 'x', x.shape, [null, null, null, null, null])
  checkShape('conv1', 'w', w.shape, [x.shape[4], null])
  const [n, d, h, wd, c] = x.shape
  return matMulNoTranspose(x.reshape([n * d * h * wd, c]), w).reshape([n, d, h, wd, w.shape[1]]) as tf.Tensor5D
}
