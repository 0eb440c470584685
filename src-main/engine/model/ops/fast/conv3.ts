/** The 3x3x3 convolution op: shape checks, then the forward (conv3-forward.ts) with its gradient
 *  (conv3-grad.ts) as one custom op. */
import type * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'
import { conv3Apply, tapsOf } from './conv3-forward'
import { conv3Grads } from './conv3-grad'
import { customOp } from './custom-op'
import { checkShape } from './shapes'

/** x [N,D,H,W,C] and a 3x3x3 kernel w [3,3,3,C,F] for `op`. */
export function checkConv3Operands(op: string, x: tf.Tensor5D, w: tf.Tensor5D): void {
  checkShape(op, 'x', x.shape, [null, null, null, null, null])
  checkShape(op, 'w', w.shape, [3, 3, 3, x.shape[4], null])
}

/** conv3 of NetOps: x [N,D,H,W,C], w [3,3,3,C,F] -> [N,D,H,W,F]; with inputGrad false, x is a
 *  constant (the network input) and only w gets a gradient. */
export function createConv3(consts: Constants): (x: tf.Tensor5D, w: tf.Tensor5D, inputGrad: boolean) => tf.Tensor5D {
  const withInputGrad = customOp<tf.Tensor5D>((x, w) => {
    const { y, xs } = conv3Apply(consts, x as tf.Tensor5D, tapsOf(w as tf.Tensor5D))
    return {
      value: y,
      keep: xs ? [x, w, xs] : [x, w],
      gradFunc: (dy, kept) => {
        const [sx, sw, sxs] = kept as [tf.Tensor5D, tf.Tensor5D, tf.Tensor4D | undefined]
        const { dx, dw } = conv3Grads(consts, sx, sw, sxs ?? null, dy, { input: true, filter: true })
        return [dx!, dw!]
      }
    }
  })

  /** Differentiates with respect to w only: x is a constant. */
  const filterOnly = (x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D =>
    customOp<tf.Tensor5D>((wIn) => {
      const { y, xs } = conv3Apply(consts, x, tapsOf(wIn as tf.Tensor5D))
      return {
        value: y,
        keep: xs ? [wIn, xs] : [wIn],
        gradFunc: (dy, kept) => [
          conv3Grads(consts, x, kept[0] as tf.Tensor5D, (kept[1] as tf.Tensor4D | undefined) ?? null, dy, { input: false, filter: true }).dw!
        ]
      }
    })(w)

  return (x, w, inputGrad) => {
    checkConv3Operands('conv3', x, w)
    return inputGrad ? withInputGrad(x, w) : filterOnly(x, w)
  }
}
