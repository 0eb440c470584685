/**
 * The fast path for the CPU backends (wasm above all): only ops that map to XNNPACK kernels on
 * wasm, with backward passes written as forward ops, because on wasm tf.conv3d is a scalar loop
 * (about 0.3 GFLOPS, and its input gradient is wrong in tfjs 4.22), Conv2DBackpropFilter is not
 * registered and Conv2DBackpropInput is slow, while Conv2D runs at 15-35 GFLOPS on one core.
 *
 * - 3x3x3 convolution = one conv2d over [N*D, H, W, *] plus a "depth shift": a conv2d with a fixed
 *   one-hot [3, 1] kernel over the (D, H*W) plane that moves depth slices into channels. The shift
 *   is applied on whichever side (input or output) has fewer channels, since its cost is 9 K^2
 *   multiply-adds per voxel for K channels. (A depthwise conv2d would cost 9 K, but wasm runs
 *   depthwise kernels with a channel multiplier of 3 at about 0.3 GFLOPS: no faster at K = 16.)
 *   Backward: dx is the same convolution of dy with the kernel flipped and in/out swapped; dW is a
 *   conv2d whose "batch" is the input channels and whose "filter" is dy (stride 1, padding 1, so
 *   the output is the 3x3 kernel window).
 * - Transposes are written at rank <= 4 (wasm transposes rank 5 in a slow generic loop: 10 ms
 *   for a 7k-value kernel).
 * - 1x1x1 convolution = matMul, with gradients that stay on the no-transpose matMul path.
 * - 2x2x2 average pooling = two 2D average pools; its gradient = copies by broadcasting (wasm's
 *   AvgPool3D gradient is a scalar loop, about 5x slower).
 * - BN + ReLU fused in one custom gradient, with per-channel means by two average pools.
 */
import * as tf from '@tensorflow/tfjs'
import { BN_EPSILON, type BatchStats, type NetOps } from './types'

/** Zero padding of 1 in H and W, explicit: tfjs computes the output size of a numeric pad from
 *  the filter height alone, which is wrong for the non-square "filters" of the dW convolution. */
const PAD_HW1: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]]

type ShiftKind = 'shiftIn' | 'gatherOut' | 'shiftBack'

/** Owns the constant tensors it creates: one-hot shift kernels, ones (freed by `dispose`). */
class ShiftKernels {
  private cache = new Map<string, tf.Tensor>()

  /**
   * - shiftIn(K):   [3,1,K,3K]  out[d, t*K+c] = in[d+t-1, c]   (slices of depth d-1, d, d+1)
   * - gatherOut(K): [3,1,3K,K]  out[d, c] = sum_t in[d+t-1, t*K+c]
   * - shiftBack(K): [3,1,K,3K]  out[d, t*K+c] = in[d-t+1, c]
   */
  get(kind: ShiftKind, k: number): tf.Tensor4D {
    const key = `${kind}:${k}`
    let t = this.cache.get(key) as tf.Tensor4D | undefined
    if (t) return t
    const data = new Float32Array(3 * k * 3 * k)
    for (let tap = 0; tap < 3; tap++) {
      for (let c = 0; c < k; c++) {
        if (kind === 'gatherOut') data[(tap * 3 * k + tap * k + c) * k + c] = 1 // [tap][in=tap*K+c][out=c]
        else if (kind === 'shiftIn') data[(tap * k + c) * 3 * k + tap * k + c] = 1 // [tap][in=c][out=tap*K+c]
        else data[((2 - tap) * k + c) * 3 * k + tap * k + c] = 1 // kernel row 2-t reads depth d-t+1
      }
    }
    t = tf.keep(kind === 'gatherOut' ? tf.tensor4d(data, [3, 1, 3 * k, k]) : tf.tensor4d(data, [3, 1, k, 3 * k]))
    this.cache.set(key, t)
    return t
  }

  /** Ones of a shape, for repeating values by broadcasting. */
  ones(shape: number[]): tf.Tensor {
    const key = `ones:${shape.join('x')}`
    let t = this.cache.get(key)
    if (!t) {
      t = tf.keep(tf.ones(shape))
      this.cache.set(key, t)
    }
    return t
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose()
    this.cache.clear()
  }
}

/** Per-channel mean over N, D, H, W of x [N,D,H,W,C] -> [C], by two average pools (a global
 *  avgPool is far cheaper on wasm than tf.mean/tf.sum over a leading axis). */
function channelMean(x: tf.Tensor5D): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, d, h, w, c] = x.shape
    const a = n * d
    const b = h * w
    const inner = tf.avgPool(x.reshape([a, b, 1, c]) as tf.Tensor4D, [b, 1], [b, 1], 'valid')
    const outer = tf.avgPool(inner.reshape([1, a, 1, c]) as tf.Tensor4D, [a, 1], [a, 1], 'valid')
    return outer.reshape([c]) as tf.Tensor1D
  })
}

/** tf.customGrad, typed for the uses below: f receives the inputs then the save function. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function customOp<T extends tf.Tensor>(f: (...args: any[]) => { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor[] }): (...inputs: tf.Tensor[]) => T {
  return tf.customGrad(f as never) as unknown as (...inputs: tf.Tensor[]) => T
}

export function createFastOps(): NetOps {
  const shifts = new ShiftKernels()

  /** Forward 3x3x3 convolution (no gradient): x [N,D,H,W,C], w [3,3,3,C,F]. */
  function conv3Forward(x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => {
      const [n, d, h, wd, c] = x.shape
      const f = w.shape[4]
      if (c <= f) {
        // Shift the input: channels t*C+c hold depth d+t-1, then one conv2d with a [3,3,3C,F] kernel.
        const xs = tf.conv2d(x.reshape([n, d, h * wd, c]) as tf.Tensor4D, shifts.get('shiftIn', c), 1, 'same')
        const w3 = w.reshape([3, 9, c * f]).transpose([1, 0, 2]).reshape([3, 3, 3 * c, f]) as tf.Tensor4D // [kh,kw,(kd,c),f]
        return tf.conv2d(xs.reshape([n * d, h, wd, 3 * c]) as tf.Tensor4D, w3, 1, 'same').reshape([n, d, h, wd, f]) as tf.Tensor5D
      }
      // One conv2d with the three depth taps stacked on the output channels, then gather them.
      const w2 = w.reshape([3, 9 * c, f]).transpose([1, 0, 2]).reshape([3, 3, c, 3 * f]) as tf.Tensor4D // [kh,kw,c,(kd,f)]
      const y2 = tf.conv2d(x.reshape([n * d, h, wd, c]) as tf.Tensor4D, w2, 1, 'same')
      return tf.conv2d(y2.reshape([n, d, h * wd, 3 * f]) as tf.Tensor4D, shifts.get('gatherOut', f), 1, 'same').reshape([n, d, h, wd, f]) as tf.Tensor5D
    })
  }

  /** dL/dx of the 3x3x3 convolution: the convolution of dy with the flipped, transposed kernel. */
  function conv3InputGrad(dy: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D {
    const [, , , c, f] = w.shape
    // Reversing the flattened (kd, kh, kw) index flips all three kernel axes at once.
    return tf.tidy(() => conv3Forward(dy, tf.reverse(w.reshape([27, c, f]), 0).transpose([0, 2, 1]).reshape([3, 3, 3, f, c]) as tf.Tensor5D))
  }

  /** dL/dw [3,3,3,C,F] of the 3x3x3 convolution:
   *  dw[kd,kh,kw,c,f] = sum_{n,d,h,w} x[n,d+kd-1,h+kh-1,w+kw-1,c] dy[n,d,h,w,f]. */
  function conv3FilterGrad(x: tf.Tensor5D, dy: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => {
      const [n, d, h, wd, c] = x.shape
      const f = dy.shape[4]
      const dyFilter = (t: tf.Tensor, ch: number) => t.reshape([n * d, h * wd, ch]).transpose([1, 0, 2]).reshape([h, wd, n * d, ch]) as tf.Tensor4D
      if (c <= f) {
        const xs = tf.conv2d(x.reshape([n, d, h * wd, c]) as tf.Tensor4D, shifts.get('shiftIn', c), 1, 'same')
        const xt = xs.reshape([n * d, h * wd, 3 * c]).transpose([2, 1, 0]).reshape([3 * c, h, wd, n * d]) as tf.Tensor4D
        const g = tf.conv2d(xt, dyFilter(dy, f), 1, PAD_HW1) // [3C,3,3,F]: (kd, c), kh, kw, f
        return g.reshape([3, c, 9, f]).transpose([0, 2, 1, 3]).reshape([3, 3, 3, c, f]) as tf.Tensor5D
      }
      const dys = tf.conv2d(dy.reshape([n, d, h * wd, f]) as tf.Tensor4D, shifts.get('shiftBack', f), 1, 'same')
      const xt = x.reshape([n * d, h * wd, c]).transpose([2, 1, 0]).reshape([c, h, wd, n * d]) as tf.Tensor4D
      const g = tf.conv2d(xt, dyFilter(dys, 3 * f), 1, PAD_HW1) // [C,3,3,3F]: c, kh, kw, (kd, f)
      return g.reshape([c, 9, 3, f]).transpose([2, 1, 0, 3]).reshape([3, 3, 3, c, f]) as tf.Tensor5D
    })
  }

  const conv3WithInputGrad = customOp<tf.Tensor5D>((x: tf.Tensor5D, w: tf.Tensor5D, save: tf.GradSaveFunc) => {
    save([x, w])
    return {
      value: conv3Forward(x, w),
      gradFunc: (dy: tf.Tensor5D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor5D, tf.Tensor5D]
        return [conv3InputGrad(dy, sw), conv3FilterGrad(sx, dy)]
      }
    }
  })

  /** The network input needs no gradient: differentiate with respect to w only, x is a constant. */
  const conv3FilterOnly = (x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D =>
    customOp<tf.Tensor5D>((wIn: tf.Tensor5D) => ({
      value: conv3Forward(x, wIn),
      gradFunc: (dy: tf.Tensor5D) => [conv3FilterGrad(x, dy)]
    }))(w)

  const matMulNoTranspose = customOp<tf.Tensor2D>((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, w])
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D]
        return [tf.matMul(dy, sw.transpose()), tf.matMul(sx.transpose(), dy)]
      }
    }
  })

  /** 2x2x2 average pool by two 2D pools (H and W, then pairs of depth slices). */
  function pool2(x: tf.Tensor5D): tf.Tensor5D {
    const [n, d, h, w, c] = x.shape
    const [d2, h2, w2] = [d, h, w].map((v) => Math.floor(v / 2))
    if (d2 === 0 || h2 === 0 || w2 === 0) throw new Error(`pool2: input [${x.shape}] is too small to pool by 2`)
    return customOp<tf.Tensor5D>((xIn: tf.Tensor5D) => ({
      value: tf.tidy(() => {
        const even = d === 2 * d2 ? xIn : xIn.slice([0, 0, 0, 0, 0], [n, 2 * d2, h, w, c])
        const hw = tf.avgPool(even.reshape([n * 2 * d2, h, w, c]) as tf.Tensor4D, 2, 2, 'valid') // [N*2D2, H2, W2, C]
        return tf.avgPool(hw.reshape([n * d2, 2, h2 * w2, c]) as tf.Tensor4D, [2, 1], [2, 1], 'valid').reshape([n, d2, h2, w2, c]) as tf.Tensor5D
      }),
      gradFunc: (dy: tf.Tensor5D) => [
        tf.tidy(() => {
          // Each input voxel of a window gets 1/8 of its output's gradient: repeat along depth,
          // then height, then width, by broadcasting against ones.
          const twice = shifts.ones([1, 2, 1])
          const alongD = tf.mul(tf.mul(dy, 1 / 8).reshape([n * d2, 1, h2 * w2 * c]), twice)
          const alongH = tf.mul(alongD.reshape([n * 2 * d2 * h2, 1, w2 * c]), twice)
          const alongW = tf.mul(alongH.reshape([n * 2 * d2 * 2 * h2, w2, 1, c]), shifts.ones([1, 1, 2, 1]))
          const up = alongW.reshape([n, 2 * d2, 2 * h2, 2 * w2, c])
          const odd = d - 2 * d2 + h - 2 * h2 + w - 2 * w2 > 0
          return odd ? tf.pad(up, [[0, 0], [0, d - 2 * d2], [0, h - 2 * h2], [0, w - 2 * w2], [0, 0]]) : up
        })
      ]
    }))(x)
  }

  return {
    name: 'fast',
    pool2,
    concatPieces: false,
    conv3: (x, w, inputGrad) => (inputGrad ? conv3WithInputGrad(x, w) : conv3FilterOnly(x, w)),
    conv1: (x, w) => {
      const [n, d, h, wd, c] = x.shape
      return matMulNoTranspose(x.reshape([n * d * h * wd, c]), w).reshape([n, d, h, wd, w.shape[1]]) as tf.Tensor5D
    },
    bnReluTrain: (x, gamma, beta) => {
      let stats: BatchStats | null = null
      const [n, d, h, w] = x.shape
      const count = n * d * h * w
      const bnRelu = customOp<tf.Tensor5D>((x: tf.Tensor5D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
        const mean = channelMean(x)
        const centred = tf.sub(x, mean) as tf.Tensor5D
        const variance = channelMean(tf.square(centred))
        const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON))
        const xHat = tf.mul(centred, invStd) as tf.Tensor5D
        const y = tf.relu(tf.add(tf.mul(xHat, g), b)) as tf.Tensor5D
        // The custom forward runs inside a tidy: keep the statistics (the caller disposes them).
        stats = { mean: tf.keep(mean), variance: tf.keep(variance) }
        save([xHat, y, invStd, g])
        return {
          value: y,
          gradFunc: (dy: tf.Tensor5D, saved: tf.Tensor[]) => {
            const [sxHat, sy, sInvStd, sg] = saved as [tf.Tensor5D, tf.Tensor5D, tf.Tensor1D, tf.Tensor1D]
            const dz = tf.mul(dy, tf.step(sy)) as tf.Tensor5D // ReLU passes where its output is > 0
            const meanDz = channelMean(dz)
            const meanDzXHat = channelMean(tf.mul(dz, sxHat) as tf.Tensor5D)
            const dx = tf.mul(tf.mul(sg, sInvStd), tf.sub(tf.sub(dz, meanDz), tf.mul(sxHat, meanDzXHat)))
            return [dx, tf.mul(meanDzXHat, count), tf.mul(meanDz, count)]
          }
        }
      })
      const y = bnRelu(x, gamma, beta)
      return { y, stats: stats! }
    },
    dispose: () => shifts.dispose()
  }
}
