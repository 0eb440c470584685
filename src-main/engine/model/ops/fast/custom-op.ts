/** How a fast op joins tfjs autograd: a forward pass that returns its backward pass. */
import * as tf from '@tensorflow/tfjs'

/** What the forward pass of a custom op returns: its value, the tensors its backward pass needs,
 *  and the backward pass, which receives them. */
export interface CustomOpParts<T extends tf.Tensor> {
  value: T
  keep: tf.Tensor[]
  gradFunc: (dy: T, kept: tf.Tensor[]) => tf.Tensor[]
}

/** tf.customGrad without its save function: on wasm that function's clone is a full copy of each
 *  saved tensor (the Identity kernel copies; 15-20 ms per step here). The tensors the backward
 *  pass needs are kept instead as reshapes (views sharing the data), only when a gradient is being
 *  recorded for this op (it runs at kernel depth 1 inside a gradient computation; otherwise no
 *  backward pass will come), and disposed once the backward pass has used them. */
export function customOp<T extends tf.Tensor>(f: (...inputs: tf.Tensor[]) => CustomOpParts<T>): (...inputs: tf.Tensor[]) => T {
  const forward = (...args: unknown[]) => {
    const parts = f(...(args.slice(0, -1) as tf.Tensor[]))
    const state = tf.engine().state
    const kept = state.gradientDepth > 0 && state.kernelDepth === 1 ? parts.keep.map((t) => tf.keep(t.reshape(t.shape))) : []
    return {
      value: parts.value,
      gradFunc: (dy: T) => {
        try {
          return parts.gradFunc(dy, kept)
        } finally {
          tf.dispose(kept)
        }
      }
    }
  }
  return tf.customGrad(forward as never) as unknown as (...inputs: tf.Tensor[]) => T
}
