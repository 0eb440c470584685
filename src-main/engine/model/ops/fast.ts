/**
 * The fast path for the CPU backends (wasm above all): ops that map to XNNPACK kernels on wasm,
 * with backward passes written as forward ops, because on wasm tf.conv3d is a scalar loop (about
 * 0.3 GFLOPS, and its input gradient is wrong in tfjs 4.22), Conv2DBackpropFilter is not
 * registered and Conv2DBackpropInput is a plain loop, while Conv2D runs at 12-16 GFLOPS on one
 * core here (the SIMD build is the one loaded under Node; threads are off there, so the two
 * modality networks train in two processes). tfjs's own non-XNNPACK kernels are slow by
 * comparison: Mul/Add/Sub/Relu/FusedBatchNorm 1-9 ns per value, Transpose up to 10, Slice copies
 * its whole input first, rank-5 Slice/Transpose/Reverse run generic element loops, Identity and
 * same-dtype Cast copy, and every kernel call costs 10-30 us of JavaScript. Hence, measured on
 * wasm (tfjs 4.22, Node 20, 2-core AMD EPYC, small preset, batch 16; the machine was shared, so
 * every change was kept on an interleaved A/B in one process, by CPU time):
 *
 * - 3x3x3 convolution = one conv2d over [N*D, H, W, *] plus the depth taps, put on whichever side
 *   (input or output) has fewer channels:
 *   - input side: stackDepth copies the depth neighbours d-1, d, d+1 into channels (3c+t) by a
 *     conv2d over the (D, H*W*C) plane whose channels are PAIRS of neighbouring values, with a
 *     one-hot [3,1,2,6] kernel (stem, 5.5M stacked values: 22 ms, against 38 ms with single
 *     values and 41 ms with the one-hot [3,1,C,3C] kernel used before, whose cost grew as C^2);
 *     then one conv2d with a [3,3,3C,F] kernel;
 *   - output side: one conv2d with a [3,3,C,3F] kernel, then the taps summed by the same kind of
 *     conv2d ([3,1,6,2]).
 *   Backward: dx is the same convolution of dy with the kernel flipped and in/out swapped; dW is a
 *   conv2d whose "batch" is the stacked channels and whose "filter" is dy (stride 1, padding 1, so
 *   the output is the 3x3 kernel window), or the other way round when there are fewer stacked
 *   channels than F (the first convolution: 6 vs 16; 1.1x faster). The depth-stacked input of the
 *   forward pass is kept for dW instead of being stacked again, and when dx stacks dy, dW uses
 *   that stack.
 * - A 3x3x3 convolution followed by the 2x2x2 average pool (the stem, conv3Pool2) is ONE
 *   convolution with the 4x4x4 kernel box (x) w and stride 2: 8x fewer outputs at 64/27 the taps,
 *   3.4x fewer multiply-adds in the forward pass and in dW (stem of the small preset at batch 16:
 *   1.58 -> 0.42 GFLOP each; whole step 874 -> 662 ms CPU). The input is stacked along depth with
 *   stride 2 (4 taps); dW is a conv2d dilated by 2 whose filter is the pooled gradient; dx goes
 *   through the pool's gradient and the 3x3x3 input gradient (a stride-2 transposed convolution
 *   would need the 8 output parities interleaved, which no fast wasm kernel does).
 * - The dW convolutions need their operands as [C, H, W, N*D]: a [2,1,0] transpose, done as a 2-D
 *   transpose then a swap of the last two axes (2-3x faster on wasm: 17 vs 49 ms for 3.7M values).
 * - Transposes, slices and reverses are written at rank <= 4, no Slice on large tensors.
 * - 1x1x1 convolution = matMul, with gradients that stay on the no-transpose matMul path.
 * - 2x2x2 average pooling = two 2D average pools ('valid' drops an odd last slice: no slice, whose
 *   rank-5 form took 45 ms for 26k values); its gradient = copies by broadcasting (wasm's
 *   AvgPool3D gradient is a scalar loop, about 5x slower; AvgPoolGrad 2D, Tile, DepthToSpace and
 *   resizeNearestNeighbor measured no faster). AvgPool is called as a kernel, without the Cast
 *   copy tf.avgPool appends.
 * - BN + ReLU fused in one custom gradient: per-channel means by average pools (one window up to
 *   16k values per channel, two levels above for precision), each per-channel affine map (with
 *   the ReLU in the forward pass) as one 1x1 depthwise conv2d kernel with bias (XNNPACK: 1.6-3.9
 *   ns per value, against 4.4-7.2 for mul + add + relu and 6-9 for FusedBatchNorm + relu; called
 *   as a kernel because tf.fused.depthwiseConv2d unfuses itself while a gradient is recorded).
 *   Forward: 3 passes over the activation plus the pools (6 before); 52 kernels forward and
 *   backward (72 before).
 * - Custom ops keep what their backward pass needs as reshapes (views) instead of tf.customGrad's
 *   saved clones, which are copies on wasm.
 *
 * Together (small preset, batch 16, one process, wall time, median of 5 steps, the two measured
 * back to back): 1007 -> 513 ms per training step. The stem's conv + pool, formerly about half of
 * the step, is now about a third of it, most of that its dx.
 */
import * as tf from '@tensorflow/tfjs'
import { BN_EPSILON, type BatchStats, type NetOps } from './types'

/** Zero padding of 1 in H and W, explicit: tfjs computes the output size of a numeric pad from
 *  the filter height alone, which is wrong for the non-square "filters" of the dW convolution. */
const PAD_HW1: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]]

/** Owns the constant tensors it creates: depth-tap kernels, the box matrix, broadcast constants
 *  (freed by `dispose`). */
class Constants {
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
   *  output channel T*j+t = input channel j at depth d+t-1 (T = 3, stride 1) or 2o+t-1 (T = 4,
   *  stride 2, padding 1). K = 2 rather than 1 gives XNNPACK a better-shaped GEMM (22 vs 38 ms
   *  for the stem's 5.5M stacked values); larger K only adds multiplications by zero. */
  stackTaps(taps: 3 | 4, k: number): tf.Tensor4D {
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

/** 2D average pooling, 'valid', without the copy tf.avgPool appends (its output Cast to the same
 *  dtype is a copy on wasm). For use where no gradient is recorded (inside the custom ops). */
function avgPoolValid(x: tf.Tensor4D, filterSize: [number, number], strides: [number, number]): tf.Tensor4D {
  return tf.engine().runKernel('AvgPool', { x } as unknown as tf.NamedTensorMap, { filterSize, strides, pad: 'valid' } as unknown as tf.NamedAttrMap) as tf.Tensor4D
}

/** Mean values pooled in one window at most: a single float32 running sum over more loses
 *  precision (relative error of the mean 7e-6 over 114k values against 4e-7 for two levels). */
const ONE_POOL_MAX = 16384

/** Per-channel mean over N, D, H, W of x [N,D,H,W,C] -> [C] by average pooling (a global
 *  avgPool is far cheaper on wasm than tf.mean/tf.sum over a leading axis): one pool up to
 *  ONE_POOL_MAX values per channel (164 us against 284 us for two at 12800 x 32), two above. */
function channelMean(x: tf.Tensor5D): tf.Tensor1D {
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
function channelAffine(x: tf.Tensor5D, scale: tf.Tensor1D, offset: tf.Tensor1D | null, relu: boolean): tf.Tensor5D {
  const [n, d, h, w, c] = x.shape
  const inputs: Record<string, tf.Tensor> = { x: x.reshape([n * d, h, w, c]), filter: scale.reshape([1, 1, c, 1]) }
  if (offset) inputs.bias = offset
  const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], activation: relu ? 'relu' : 'linear' }
  return (tf.engine().runKernel('FusedDepthwiseConv2D', inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).reshape(x.shape) as tf.Tensor5D
}

/** [A, B, C] -> [C, B, A] as a 2-D transpose then a swap of the last two axes: wasm's rank-3
 *  [2,1,0] transpose is 2-3x slower than the two together (49 vs 17 ms for 3.7M values). */
function reverseAxes(t: tf.Tensor3D): tf.Tensor3D {
  const [a, b, c] = t.shape
  return tf.tidy(() => tf.transpose(tf.transpose(t.reshape([a * b, c]), [1, 0]).reshape([c, a, b]), [0, 2, 1]) as tf.Tensor3D)
}

/** What the forward pass of a custom op returns: its value, the tensors its backward pass needs,
 *  and the backward pass, which receives them. */
interface CustomOpParts<T extends tf.Tensor> {
  value: T
  keep: tf.Tensor[]
  gradFunc: (dy: T, kept: tf.Tensor[]) => tf.Tensor[]
}

/** tf.customGrad without its save function: on wasm that function's clone is a full copy of each
 *  saved tensor (the Identity kernel copies; 15-20 ms per step here). The tensors the backward
 *  pass needs are kept instead as reshapes (views sharing the data), only when a gradient is being
 *  recorded for this op (it runs at kernel depth 1 inside a gradient computation; otherwise no
 *  backward pass will come), and disposed once the backward pass has used them. */
function customOp<T extends tf.Tensor>(f: (...inputs: tf.Tensor[]) => CustomOpParts<T>): (...inputs: tf.Tensor[]) => T {
  const op = (...args: unknown[]) => {
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
  return tf.customGrad(op as never) as unknown as (...inputs: tf.Tensor[]) => T
}

/** Input and filter gradients of a convolution, each when asked for. */
interface Grads {
  dx: tf.Tensor5D | null
  dw: tf.Tensor5D | null
}

/** The 27 taps of a 3x3x3 kernel as [3 (kd), 9 (kh, kw), P, Q]: input channels on P ('io', the
 *  kernel as stored) or on Q ('oi', the flipped kernel of the input gradient). */
interface Taps {
  k: tf.Tensor4D
  order: 'io' | 'oi'
}

export function createFastOps(): NetOps {
  const consts = new Constants()

  /** v [N,D,H,W,K] -> [N*D,H,W,3K], channel 3k+t holding depth d+t-1 (zero outside the volume).
   *  One conv2d over the (D, H*W*K) plane whose channels are pairs of neighbouring values, with a
   *  one-hot [3,1,2,6] kernel: a memory-bound copy (the one-hot [3,1,K,3K] kernel used before
   *  cost 9K^2 multiply-adds per voxel: 41 ms for the 16-channel stem at batch 16, against 27 ms
   *  with single values as channels and 22 ms with pairs, measured on wasm). */
  function stackDepth(v: tf.Tensor5D): tf.Tensor4D {
    const [n, d, h, w, k] = v.shape
    const s = h * w * k
    const pair = s % 2 === 0 ? 2 : 1
    return tf.conv2d(v.reshape([n, d, s / pair, pair]) as tf.Tensor4D, consts.stackTaps(3, pair), 1, 'same').reshape([n * d, h, w, 3 * k]) as tf.Tensor4D
  }

  /** The conv2d kernel for one side of the depth taps:
   *  - 'stackIn':   [3,3,3Cin,Cout], input channel 3c+t (the input stacked by stackDepth);
   *  - 'gatherOut': [3,3,Cin,3Cout], output channel 3f+t (summed over t by gatherDepth). */
  function kernelFor(taps: Taps, side: 'stackIn' | 'gatherOut'): tf.Tensor4D {
    const [, , p, q] = taps.k.shape
    const [cin, cout] = taps.order === 'io' ? [p, q] : [q, p]
    if (side === 'stackIn') return taps.k.transpose(taps.order === 'io' ? [1, 2, 0, 3] : [1, 3, 0, 2]).reshape([3, 3, 3 * cin, cout]) as tf.Tensor4D
    return taps.k.transpose(taps.order === 'io' ? [1, 2, 3, 0] : [1, 3, 2, 0]).reshape([3, 3, cin, 3 * cout]) as tf.Tensor4D
  }

  /** 3x3x3 convolution of x [N,D,H,W,Cin] by its taps, without gradient. The depth taps go on
   *  whichever side has fewer channels. Returns the depth-stacked input too when it made one (the
   *  filter gradient reuses it). */
  function conv3Apply(x: tf.Tensor5D, taps: Taps): { y: tf.Tensor5D; xs: tf.Tensor4D | null } {
    const [n, d, h, w, cin] = x.shape
    const cout = taps.order === 'io' ? taps.k.shape[3] : taps.k.shape[2]
    if (cin <= cout) {
      const xs = stackDepth(x)
      return { y: tf.conv2d(xs, kernelFor(taps, 'stackIn'), 1, 'same').reshape([n, d, h, w, cout]) as tf.Tensor5D, xs }
    }
    // One conv2d with the three depth taps on the output channels, then out[d] = sum_t y2[d+t-1, (f, t)].
    const y2 = tf.conv2d(x.reshape([n * d, h, w, cin]) as tf.Tensor4D, kernelFor(taps, 'gatherOut'), 1, 'same')
    const pair = (h * w * cout) % 2 === 0 ? 2 : 1
    const y = tf.conv2d(y2.reshape([n, d, (h * w * cout) / pair, 3 * pair]) as tf.Tensor4D, consts.gatherTaps(pair), 1, 'same')
    return { y: y.reshape([n, d, h, w, cout]) as tf.Tensor5D, xs: null }
  }

  const tapsOf = (w: tf.Tensor5D): Taps => ({ k: w.reshape([3, 9, w.shape[3], w.shape[4]]) as tf.Tensor4D, order: 'io' })
  /** The flipped kernel (dx is the convolution of dy by it): reversing the flattened (kd, kh, kw)
   *  index flips all three axes at once; in/out swap by reading it as 'oi'. */
  const flippedTapsOf = (w: tf.Tensor5D): Taps => ({ k: tf.reverse(w.reshape([27, w.shape[3], w.shape[4]]), 0).reshape([3, 9, w.shape[3], w.shape[4]]) as tf.Tensor4D, order: 'oi' })

  /** dy [N,D,H,W,F] as the "filter" of a dW conv2d: [H, W, N*D, F]. */
  function dyAsFilter(dy: tf.Tensor, nd: number, h: number, w: number, f: number): tf.Tensor4D {
    return dy.reshape([nd, h * w, f]).transpose([1, 0, 2]).reshape([h, w, nd, f]) as tf.Tensor4D
  }

  /** dL/dw [3,3,3,C,F] = sum_{n,d,h,w} x[n,d+kd-1,h+kh-1,w+kw-1,c] dy[n,d,h,w,f], from the depth-
   *  stacked input xs [N*D,H,W,3C]: a conv2d whose batch is the 3C stacked channels and whose
   *  filter is dy (stride 1, padding 1, so the output is the 3x3 kernel window). */
  function filterGradFromStackedX(xs: tf.Tensor4D, dy: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => {
      const [nd, h, w, c3] = xs.shape
      const c = c3 / 3
      const f = dy.shape[4]
      if (c3 < f) {
        // Few stacked channels (the network's first conv): dy is the batch and xs the filter,
        // g'[f, i, j, (c, kd)] = sum dy[h+i-1, w+j-1] x[h, w] = dw[kd, 2-i, 2-j, c, f].
        const dyt = reverseAxes(dy.reshape([nd, h * w, f])).reshape([f, h, w, nd]) as tf.Tensor4D
        const xsFilter = xs.reshape([nd, h * w, c3]).transpose([1, 0, 2]).reshape([h, w, nd, c3]) as tf.Tensor4D
        const g2 = tf.reverse(tf.conv2d(dyt, xsFilter, 1, PAD_HW1).reshape([f, 9, c, 3]), 1) // [f, (kh, kw), c, kd]
        return g2.transpose([3, 1, 2, 0]).reshape([3, 3, 3, c, f]) as tf.Tensor5D
      }
      const xt = reverseAxes(xs.reshape([nd, h * w, c3])).reshape([c3, h, w, nd]) as tf.Tensor4D
      const g = tf.conv2d(xt, dyAsFilter(dy, nd, h, w, f), 1, PAD_HW1) // [(c, kd), kh, kw, f]
      return g.reshape([c, 3, 9, f]).transpose([1, 2, 0, 3]).reshape([3, 3, 3, c, f]) as tf.Tensor5D
    })
  }

  /** The same from x and the depth-stacked dy, dys[d, (f, t)] = dy[d+t-1, f]: the tap t pairs
   *  x[d'] with dy[d'+t-1], i.e. kernel depth kd = 2 - t. */
  function filterGradFromStackedDy(x: tf.Tensor5D, dys: tf.Tensor4D): tf.Tensor5D {
    return tf.tidy(() => {
      const [n, d, h, w, c] = x.shape
      const f = dys.shape[3] / 3
      const xt = reverseAxes(x.reshape([n * d, h * w, c])).reshape([c, h, w, n * d]) as tf.Tensor4D
      const g = tf.conv2d(xt, dyAsFilter(dys, n * d, h, w, 3 * f), 1, PAD_HW1) // [c, kh, kw, (f, t)]
      const byT = g.reshape([c, 9, f, 3]).transpose([3, 1, 0, 2]) // [t, (kh, kw), c, f]
      return tf.reverse(byT.reshape([3, 9 * c * f]), 0).reshape([3, 3, 3, c, f]) as tf.Tensor5D
    })
  }

  /** The gradients of conv3 asked for, given what the forward kept (xs, when it stacked the input). */
  function conv3Grads(x: tf.Tensor5D, w: tf.Tensor5D, xs: tf.Tensor4D | null, dy: tf.Tensor5D, want: { input: boolean; filter: boolean }): Grads {
    const [n, d, h, wd, cin] = x.shape
    const cout = w.shape[4]
    const grads = (): Grads => {
      if (!want.input) return { dx: null, dw: want.filter ? (xs ? filterGradFromStackedX(xs, dy) : filterGradFromStackedDy(x, stackDepth(dy))) : null }
      const flipped = flippedTapsOf(w)
      if (cout <= cin) {
        // dx stacks dy along depth; dW reuses that stack (or the forward's, same cost).
        const dys = stackDepth(dy)
        const dx = tf.conv2d(dys, kernelFor(flipped, 'stackIn'), 1, 'same').reshape([n, d, h, wd, cin]) as tf.Tensor5D
        return { dx, dw: want.filter ? (xs ? filterGradFromStackedX(xs, dy) : filterGradFromStackedDy(x, dys)) : null }
      }
      return { dx: conv3Apply(dy, flipped).y, dw: want.filter ? filterGradFromStackedX(xs ?? stackDepth(x), dy) : null }
    }
    // tidy keeps the tensors of the object it returns (null is no TensorContainer: cast).
    return tf.tidy(() => grads() as unknown as tf.TensorContainer) as unknown as Grads
  }

  const conv3WithInputGrad = customOp<tf.Tensor5D>((x, w) => {
    const { y, xs } = conv3Apply(x as tf.Tensor5D, tapsOf(w as tf.Tensor5D))
    return {
      value: y,
      keep: xs ? [x, w, xs] : [x, w],
      gradFunc: (dy, kept) => {
        const [sx, sw, sxs] = kept as [tf.Tensor5D, tf.Tensor5D, tf.Tensor4D | undefined]
        const { dx, dw } = conv3Grads(sx, sw, sxs ?? null, dy, { input: true, filter: true })
        return [dx!, dw!]
      }
    }
  })

  /** The network input needs no gradient: differentiate with respect to w only, x is a constant. */
  const conv3FilterOnly = (x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D =>
    customOp<tf.Tensor5D>((wIn) => {
      const { y, xs } = conv3Apply(x, tapsOf(wIn as tf.Tensor5D))
      return {
        value: y,
        keep: xs ? [wIn, xs] : [wIn],
        gradFunc: (dy, kept) => [conv3Grads(x, kept[0] as tf.Tensor5D, (kept[1] as tf.Tensor4D | undefined) ?? null, dy, { input: false, filter: true }).dw!]
      }
    })(w)

  const matMulNoTranspose = customOp<tf.Tensor2D>((x, w) => {
    return {
      value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
      keep: [x, w],
      gradFunc: (dy, kept) => {
        const [sx, sw] = kept as [tf.Tensor2D, tf.Tensor2D]
        return [tf.matMul(dy, sw.transpose()), tf.matMul(sx.transpose(), dy)]
      }
    }
  })

  /** 2x2x2 average pool by two 2D pools (H and W, then pairs of depth slices). */
  /** Gradient of pool2: each input voxel of a window gets 1/8 of its output's gradient; odd last
   *  slices, rows and columns get zero. Repeats along depth (times 1/8, exact), then height, then
   *  width by broadcasting against constants. */
  function pool2Grad(dy: tf.Tensor5D, inShape: readonly number[]): tf.Tensor5D {
    return tf.tidy(() => {
      const [n, d, h, w, c] = inShape
      const [, d2, h2, w2] = dy.shape
      const twice = consts.ones([1, 2, 1])
      const alongD = tf.mul(dy.reshape([n * d2, 1, h2 * w2 * c]), consts.cached('twiceEighth', () => tf.fill([1, 2, 1], 1 / 8)))
      const alongH = tf.mul(alongD.reshape([n * 2 * d2 * h2, 1, w2 * c]), twice)
      const alongW = tf.mul(alongH.reshape([n * 2 * d2 * 2 * h2, w2, 1, c]), consts.ones([1, 1, 2, 1]))
      const up = alongW.reshape([n, 2 * d2, 2 * h2, 2 * w2, c])
      const odd = d - 2 * d2 + h - 2 * h2 + w - 2 * w2 > 0
      return (odd ? tf.pad(up, [[0, 0], [0, d - 2 * d2], [0, h - 2 * h2], [0, w - 2 * w2], [0, 0]]) : up) as tf.Tensor5D
    })
  }

  function pooledSize(shape: readonly number[], where: string): [number, number, number] {
    const [d2, h2, w2] = [shape[1], shape[2], shape[3]].map((v) => Math.floor(v / 2))
    if (d2 === 0 || h2 === 0 || w2 === 0) throw new Error(`${where}: input [${shape}] is too small to pool by 2`)
    return [d2, h2, w2]
  }

  /** 2x2x2 average pool by two 2D pools (H and W, then pairs of depth slices). */
  function pool2(x: tf.Tensor5D): tf.Tensor5D {
    const [n, d, h, w, c] = x.shape
    const [d2, h2, w2] = pooledSize(x.shape, 'pool2')
    return customOp<tf.Tensor5D>((xIn) => ({
      keep: [],
      value: tf.tidy(() => {
        // No slice for an odd depth: the 'valid' depth pool drops the last slice by itself (a
        // rank-5 slice is a generic element loop on wasm: 45 ms for 26k values).
        const hw = avgPoolValid(xIn.reshape([n * d, h, w, c]) as tf.Tensor4D, [2, 2], [2, 2]) // [N*D, H2, W2, C]
        return avgPoolValid(hw.reshape([n, d, h2 * w2, c]) as tf.Tensor4D, [2, 1], [2, 1]).reshape([n, d2, h2, w2, c]) as tf.Tensor5D
      }),
      gradFunc: (dy) => [pool2Grad(dy, x.shape)]
    }))(x)
  }

  /** [64, 27] matrix of the 2x2x2 box (1/8) convolved with a 3x3x3 kernel: the 4x4x4 kernel of
   *  pool2(conv3(x, w)) as one stride-2 convolution is box4 x w (taps flattened, C*F columns), and
   *  the 3x3x3 kernel gradient is box4^T x (the 4x4x4 kernel gradient). */
  const box4 = (): tf.Tensor2D =>
    consts.cached('box4', () => {
      const m = new Float32Array(64 * 27)
      for (let jd = 0; jd < 4; jd++) for (let jh = 0; jh < 4; jh++) for (let jw = 0; jw < 4; jw++) {
        for (let kd = 0; kd < 3; kd++) for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) {
          const inBox = (j: number, k: number) => j - k === 0 || j - k === 1
          if (inBox(jd, kd) && inBox(jh, kh) && inBox(jw, kw)) m[(jd * 16 + jh * 4 + jw) * 27 + kd * 9 + kh * 3 + kw] = 1 / 8
        }
      }
      return tf.tensor2d(m, [64, 27])
    }) as tf.Tensor2D

  /** pool2(conv3(x, w)) as ONE convolution with the 4x4x4 kernel box4 x w and stride 2: out[o] =
   *  sum_j x[2o+j-1] w4[j], j = 0..3 per axis (the pool keeps only every second output of the
   *  conv, so 8x fewer outputs at 64/27 the taps: 3.4x fewer multiply-adds, forward and dW).
   *  The input is stacked along depth with stride 2 (channel 4c+t holds depth 2o+t-1), then one
   *  conv2d [4,4,4C,F] with stride 2; padding 1 before, and 1 after an even edge (an odd last
   *  slice is real data the window reaches; an even one needs one zero). */
  function conv3Pool2Apply(x: tf.Tensor5D, w: tf.Tensor5D): { z: tf.Tensor5D; xs4: tf.Tensor4D } {
    return tf.tidy(() => {
      const [n, d, h, wd, c] = x.shape
      const f = w.shape[4]
      const [d2, h2, w2] = pooledSize(x.shape, 'conv3Pool2')
      const after = (v: number) => (v % 2 === 0 ? 1 : 0)
      const pair = (h * wd * c) % 2 === 0 ? 2 : 1
      const xs4 = tf
        .conv2d(x.reshape([n, d, (h * wd * c) / pair, pair]) as tf.Tensor4D, consts.stackTaps(4, pair), [2, 1], [[0, 0], [1, after(d)], [0, 0], [0, 0]])
        .reshape([n * d2, h, wd, 4 * c]) as tf.Tensor4D
      const w4 = tf.matMul(box4(), w.reshape([27, c * f])).reshape([4, 16, c, f]).transpose([1, 2, 0, 3]).reshape([4, 4, 4 * c, f]) as tf.Tensor4D
      const z = tf.conv2d(xs4, w4, 2, [[0, 0], [1, after(h)], [1, after(wd)], [0, 0]]).reshape([n, d2, h2, w2, f]) as tf.Tensor5D
      return { z, xs4 }
    })
  }

  /** dL/dw of pool2(conv3(x, w)) from the stacked input xs4 and dz [N,D2,H2,W2,F]: the 4x4x4
   *  kernel gradient dw4[j] = sum_o x[2o+j-1] dz[o] is a conv2d whose batch is the 4C stacked
   *  channels and whose filter is dz, dilated by 2; then dw = box4^T x dw4. */
  function conv3Pool2FilterGrad(xs4: tf.Tensor4D, dz: tf.Tensor5D, h: number, wd: number): tf.Tensor5D {
    return tf.tidy(() => {
      const [nd2, , , c4] = xs4.shape
      const c = c4 / 4
      const [, , h2, w2, f] = dz.shape
      const after = (v: number) => (v % 2 === 0 ? 1 : 0)
      const xt = reverseAxes(xs4.reshape([nd2, h * wd, c4])).reshape([c4, h, wd, nd2]) as tf.Tensor4D
      const dzFilter = dz.reshape([nd2, h2 * w2, f]).transpose([1, 0, 2]).reshape([h2, w2, nd2, f]) as tf.Tensor4D
      const g = tf.conv2d(xt, dzFilter, 1, [[0, 0], [1, after(h)], [1, after(wd)], [0, 0]], 'NHWC', 2) // [(c, jd), jh, jw, f]
      const w4grad = g.reshape([c, 4, 16, f]).transpose([1, 2, 0, 3]).reshape([64, c * f])
      return tf.matMul(box4(), w4grad, true, false).reshape([3, 3, 3, c, f]) as tf.Tensor5D
    })
  }

  const conv3Pool2WithInputGrad = customOp<tf.Tensor5D>((x, w) => {
    const { z, xs4 } = conv3Pool2Apply(x as tf.Tensor5D, w as tf.Tensor5D)
    return {
      value: z,
      keep: [x, w, xs4],
      gradFunc: (dz, kept) => {
        const [sx, sw, sxs4] = kept as [tf.Tensor5D, tf.Tensor5D, tf.Tensor4D]
        // dx through the pool (upsampled dz) and the 3x3x3 convolution, as conv3's dx.
        const dx = tf.tidy(() => conv3Grads(sx, sw, null, pool2Grad(dz, [...sx.shape.slice(0, 4), sw.shape[4]]), { input: true, filter: false }).dx!)
        return [dx, conv3Pool2FilterGrad(sxs4, dz, sx.shape[2], sx.shape[3])]
      }
    }
  })

  const conv3Pool2FilterOnly = (x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D =>
    customOp<tf.Tensor5D>((wIn) => {
      const { z, xs4 } = conv3Pool2Apply(x, wIn as tf.Tensor5D)
      return { value: z, keep: [xs4], gradFunc: (dz, kept) => [conv3Pool2FilterGrad(kept[0] as tf.Tensor4D, dz, x.shape[2], x.shape[3])] }
    })(w)

  return {
    name: 'fast',
    pool2,
    conv3Pool2: (x, w, inputGrad) => (inputGrad ? conv3Pool2WithInputGrad(x, w) : conv3Pool2FilterOnly(x, w)),
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
      const bnRelu = customOp<tf.Tensor5D>((xIn, gIn, bIn) => {
        const [x, g, b] = [xIn as tf.Tensor5D, gIn as tf.Tensor1D, bIn as tf.Tensor1D]
        const mean = channelMean(x)
        const centred = tf.sub(x, mean) as tf.Tensor5D
        const variance = channelMean(tf.square(centred) as tf.Tensor5D)
        const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON)) as tf.Tensor1D
        const y = channelAffine(centred, tf.mul(g, invStd) as tf.Tensor1D, b, true)
        // The custom forward runs inside a tidy: keep the statistics (the caller disposes them).
        stats = { mean: tf.keep(mean), variance: tf.keep(variance) }
        return {
          value: y,
          keep: [centred, y, invStd, g],
          gradFunc: (dy, kept) => {
            const [sCentred, sy, sInvStd, sg] = kept as [tf.Tensor5D, tf.Tensor5D, tf.Tensor1D, tf.Tensor1D]
            const dz = tf.mul(dy, tf.step(sy)) as tf.Tensor5D // ReLU passes where its output is > 0
            const meanDz = channelMean(dz)
            const meanDzC = channelMean(tf.mul(dz, sCentred) as tf.Tensor5D) // = meanDzXHat / invStd
            // dx = a (dz - meanDz - xHat meanDzXHat), a = g invStd, xHat = centred invStd:
            //    = a dz + (centred * s + o), s = -a invStd^2 meanDzC, o = -a meanDz
            const a = tf.mul(sg, sInvStd) as tf.Tensor1D
            const s = tf.neg(tf.mul(a, tf.mul(tf.square(sInvStd), meanDzC))) as tf.Tensor1D
            const o = tf.neg(tf.mul(a, meanDz)) as tf.Tensor1D
            const dx = tf.add(channelAffine(dz, a, null, false), channelAffine(sCentred, s, o, false))
            return [dx, tf.mul(tf.mul(meanDzC, sInvStd), count), tf.mul(meanDz, count)]
          }
        }
      })
      const y = bnRelu(x, gamma, beta)
      return { y, stats: stats! }
    },
    dispose: () => consts.dispose()
  }
}
