/** The constant tensors the fast ops create once and reuse: depth-tap kernels, the box matrix of
 *  the fused conv + pool, broadcast constants. One instance per createFastOps (freed by its
 *  `dispose`). */
import * as tf from '@tensorflow/tfjs'

export class Constants {
  private cache = new Map<string, tf.Tensor>()

  private get(key: string, make: () => tf.Tensor): tf.Tensor {
    let t = this.cache.get(key)
    if (!t) {
      t = tf.keep(make())
      this.cache.set(key, t)
    }
    return t
  }

  /** [T,1,K,T*K] one-hot over a (D, S) plane whose channels are K neighbouring values of S:
   *  output channel T*j+t = input channel j at depth d+t-1 (T = 3, stride 1), 2o+t-1 (T = 4,
   *  stride 2, padding 1) or q+t (T = 2, 'valid', the parity input gradient of conv3-pool2-grad.ts). K = 2 rather than 1 gives XNNPACK a better-shaped GEMM (22 vs 38 ms
   *  for the stem's 5.5M stacked values); larger K only adds multiplications by zero. */
  stackTaps(taps: 2 | 3 | 4, k: number): tf.Tensor4D {
    return this.get(`stack:${taps}:${k}`, () => {
      const data = new Float32Array(taps * k * taps * k)
      for (let t = 0; t < taps; t++) for (let j = 0; j < k; j++) data[(t * k + j) * taps * k + j * taps + t] = 1
      return tf.tensor4d(data, [taps, 1, k, taps * k])
    }) as tf.Tensor4D
  }

  /** [3,1,3K,K] one-hot: out[d, j] = sum_t in[d+t-1, channel 3j+t]. */
  gatherTaps(k: number): tf.Tensor4D {
    return this.get(`gather:${k}`, () => {
      const data = new Float32Array(3 * 3 * k * k)
      for (let t = 0; t < 3; t++) for (let j = 0; j < k; j++) data[(t * 3 * k + j * 3 + t) * k + j] = 1
      return tf.tensor4d(data, [3, 1, 3 * k, k])
    }) as tf.Tensor4D
  }

  /** A constant made once by `make`. */
  cached(key: string, make: () => tf.Tensor): tf.Tensor {
    return this.get(`cached:${key}`, make)
  }

  /** Ones of a shape, for repeating values by broadcasting. */
  ones(shape: number[]): tf.Tensor {
    return this.get(`ones:${shape.join('x')}`, () => tf.ones(shape))
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose()
    this.cache.clear()
  }
}
