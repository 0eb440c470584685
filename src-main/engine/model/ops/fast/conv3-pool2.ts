/** The fused 3x3x3 convolution + 2x2x2 average pool op (the stem): shape checks, then the
 *  forward (conv3-pool2-forward.ts) with its gradient (conv3-pool2-grad.ts) as one custom op. */
import type * as tf from '@tensorflow/tfjs'
import type { Constants } from './constants'
import { checkConv3Operands } from './conv3'
import { conv3Pool2Apply } from './conv3-pool2-forward'
import { conv3Pool2FilterGrad, conv3Pool2InputGrad } from './conv3-pool2-grad'
import { customOp } from './custom-op'
import { pooledSize } from './pool2'
import { wasmKernels } from './wasm/kernels'

type Shape5 = [number, number, number, number, number]

/** conv3Pool2 of NetOps: x [N,D,H,W,C], w [3,3,3,C,F] -> [N,floor(D/2),floor(H/2),floor(W/2),F];
 *  with inputGrad false, x is a constant and only w gets a gradient. */
export function createConv3Pool2(consts: Constants): (x: tf.Tensor5D, w: tf.Tensor5D, inputGrad: boolean) => tf.Tensor5D {
  const withInputGrad = customOp<tf.Tensor5D>((x, w) => {
    const { z, xs4 } = conv3Pool2Apply(consts, x as tf.Tensor5D, w as tf.Tensor5D)
    const shape = x.shape as Shape5
    // dx by parity (wasm) needs only x's shape: x itself is not kept there.
    const keepX = !wasmKernels()
    return {
      value: z,
      keep: keepX ? [w, xs4, x] : [w, xs4],
      gradFunc: (dz, kept) => {
        const [sw, sxs4, sx] = kept as [tf.Tensor5D, tf.Tensor4D, tf.Tensor5D | undefined]
        return [conv3Pool2InputGrad(consts, sx ?? shape, sw, dz), conv3Pool2FilterGrad(consts, sxs4, dz, shape[2], shape[3])]
      }
    }
  })

  /** Differentiates with respect to w only: x is a constant. */
  const filterOnly = (x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D =>
    customOp<tf.Tensor5D>((wIn) => {
      const { z, xs4 } = conv3Pool2Apply(consts, x, wIn as tf.Tensor5D)
      return { value: z, keep: [xs4], gradFunc: (dz, kept) => [conv3Pool2FilterGrad(consts, kept[0] as tf.Tensor4D, dz, x.shape[2], x.shape[3])] }
    })(w)

  return (x, w, inputGrad) => {
    checkConv3Operands('conv3Pool2', x, w)
    pooledSize('conv3Pool2', x.shape)
    return inputGrad ? withInputGrad(x, w) : filterOnly(x, w)
  }
}
