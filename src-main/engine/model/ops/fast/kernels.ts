/**
 * The low-level building blocks of the fast ops, none of which records a gradient: kernels run
 * directly (skipping the copies and unfused fallbacks of the tf.* ops on wasm) and reshuffles
 * written at rank <= 4 (wasm's rank-5 Transpose/Slice run generic element loops).
 */
import * as tf from '@tensorflow/tfjs'
import { reverseAxes3, swapLeading3, wasmKernels } from './wasm/kernels'

/** Zero padding of 1 in H and W, explicit: tfjs computes the output size of a numeric pad from
 *  the filter height alone, which is wrong for the non-square "filters" of the dW convolution. */
export const PAD_HW1: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0]
]

/** 2D average pooling, 'valid', without the copy tf.avgPool appends (its output Cast to the same
 *  dtype is a copy on wasm). For use where no gradient is recorded (inside the custom ops). */
export function avgPoolValid(x: tf.Tensor4D, filterSize: [number, number], strides: [number, number]): tf.Tensor4D {
  return tf
    .engine()
    .runKernel('AvgPool', { x } as unknown as tf.NamedTensorMap, { filterSize, strides, pad: 'valid' } as unknown as tf.NamedAttrMap) as tf.Tensor4D
}

/** Mean values pooled in one window at most: a single float32 running sum over more loses
 *  precision (relative error of the mean 7e-6 over 114k values against 4e-7 for two levels). */
const ONE_POOL_MAX = 16384

/** Per-channel mean over N, D, H, W of x [N,D,H,W,C] -> [C] by average pooling (a global
 *  avgPool is far cheaper on wasm than tf.mean/tf.sum over a leading axis): one pool up to
 *  ONE_POOL_MAX values per channel (164 us against 284 us for two at 12800 x 32), two above. */
export function channelMean(x: tf.Tensor5D): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, d, h, w, c] = x.shape
    const count = n * d * h * w
    if (count <= ONE_POOL_MAX) return avgPoolValid(x.reshape([1, count, 1, c]) as tf.Tensor4D, [count, 1], [count, 1]).reshape([c]) as tf.Tensor1D
    const a = n * d
    const b = h * w
    const inner = avgPoolValid(x.reshape([a, b, 1, c]) as tf.Tensor4D, [b, 1], [b, 1])
    return avgPoolValid(inner.reshape([1, a, 1, c]) as tf.Tensor4D, [a, 1], [a, 1]).reshape([c]) as tf.Tensor1D
  })
}

/** x * scale + offset per channel, optionally followed by ReLU, in one pass: a 1x1 depthwise
 *  conv2d with bias (XNNPACK on wasm: 1.6-3.9 ns per value against 4.4-7.2 for mul, add and relu,
 *  and 6-9 for FusedBatchNorm + relu, measured at 64k-1.8M values). No gradient. The kernel is
 *  run directly: tf.fused.depthwiseConv2d falls back to three unfused ops (depthwise conv, add,
 *  relu) whenever a gradient is being recorded, as during training. */
export function channelAffine(x: tf.Tensor5D, scale: tf.Tensor1D, offset: tf.Tensor1D | null, relu: boolean): tf.Tensor5D {
  const [n, d, h, w, c] = x.shape
  const inputs: Record<string, tf.Tensor> = { x: x.reshape([n * d, h, w, c]), filter: scale.reshape([1, 1, c, 1]) }
  if (offset) inputs.bias = offset
  const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], activation: relu ? 'relu' : 'linear' }
  return (tf.engine().runKernel('FusedDepthwiseConv2D', inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).reshape(
    x.shape
  ) as tf.Tensor5D
}

/** [A, B, C] -> [C, B, A]: on wasm one pass of the fast ops' own kernel (4x4 SIMD blocks; 2 vs
 *  14 ms for the stem's 3.6M stacked values); elsewhere a 2-D transpose then a swap of the last
 *  two axes (wasm's rank-3 [2,1,0] transpose was 2-3x slower than the two together). */
export function reverseAxes(t: tf.Tensor3D): tf.Tensor3D {
  if (wasmKernels()) return reverseAxes3(t)
  const [a, b, c] = t.shape
  return tf.tidy(() => tf.transpose(tf.transpose(t.reshape([a * b, c]), [1, 0]).reshape([c, a, b]), [0, 2, 1]) as tf.Tensor3D)
}

/** [A, B, C] -> [B, A, C] (the own kernel on wasm). */
export function swapLeading(t: tf.Tensor3D): tf.Tensor3D {
  return wasmKernels() ? swapLeading3(t) : (tf.transpose(t, [1, 0, 2]) as tf.Tensor3D)
}
