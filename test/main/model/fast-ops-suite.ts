/**
 * The fast path on a backend other than cpu (wasm: its conv2d, depthwise conv2d, pooling and
 * padding kernels are XNNPACK or C++ code the cpu backend does not share; webgpu: WGSL shaders)
 * against tf.conv3d and autograd on the cpu backend: forward values and the gradient of every
 * input, for both sides of the depth taps (input channels below, equal to and above the output
 * channels), the filter-only variant, BN-ReLU and the 2x2x2 pool, batch > 1 and channels > 1.
 * Results are read with data() (webgpu's dataSync throws under Node).
 */
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { createFastOps } from '../../../src-main/engine/model/ops/fast'
import { createReferenceOps } from '../../../src-main/engine/model/ops/reference'
import type { NetOps } from '../../../src-main/engine/model/ops/types'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'
import { relErr } from './rel-err'

const values = (shape: number[], rng: SeededRandom, shift = 0) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() + shift)

async function read(ts: tf.Tensor[]): Promise<Float32Array[]> {
  try {
    return await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array))
  } finally {
    tf.dispose(ts)
  }
}

// [N, D, H, W, C, F]: C < F, C = F, C > F (the depth taps on the input or on the output side), the
// stem's and the dense layers' channel counts, odd and even sizes.
const convShapes: number[][] = [
  [2, 4, 5, 3, 2, 3],
  [2, 3, 4, 6, 5, 2],
  [3, 5, 3, 4, 3, 3],
  [2, 6, 7, 5, 16, 16],
  [2, 4, 5, 4, 32, 8],
  [2, 5, 4, 3, 2, 16],
  // odd H*W*C and H*W*F (the depth taps then move single values, not pairs)
  [2, 4, 3, 5, 3, 5],
  [2, 3, 3, 5, 5, 3]
]

/** Defines the equivalence tests of the fast ops on `backend` (already registered). */
export function fastOpsEquivalence(backend: string): void {
  /** Runs `f` with the reference ops on cpu and the fast ops on `backend`; returns both results. */
  async function onBoth(f: (ops: NetOps) => tf.Tensor[]): Promise<{ fast: Float32Array[]; reference: Float32Array[] }> {
    await tf.setBackend('cpu')
    const reference = await read(tf.tidy(() => f(createReferenceOps())))
    await tf.setBackend(backend)
    const ops = createFastOps()
    try {
      return { fast: await read(tf.tidy(() => f(ops))), reference }
    } finally {
      ops.dispose()
    }
  }

  describe(`fast ops on ${backend} = reference on cpu`, () => {
    it.each(convShapes)('conv3 N%i D%i H%i W%i C%i -> F%i: forward, dx, dw and the filter-only dw', async (n, d, h, w, c, f) => {
      const rng = new SeededRandom(n * 1000 + d * 100 + c * 10 + f)
      const xv = values([n, d, h, w, c], rng)
      const kv = values([3, 3, 3, c, f], rng)
      const dyv = values([n, d, h, w, f], rng)
      const { fast, reference } = await onBoth((ops) => {
        const x = tf.tensor5d(xv, [n, d, h, w, c])
        const k = tf.tensor5d(kv, [3, 3, 3, c, f])
        const dy = tf.tensor5d(dyv, [n, d, h, w, f])
        const [gx, gk] = tf.grads((xi: tf.Tensor, ki: tf.Tensor) => tf.sum(tf.mul(ops.conv3(xi as tf.Tensor5D, ki as tf.Tensor5D, true), dy)))([x, k])
        const gkOnly = tf.grad((ki: tf.Tensor) => tf.sum(tf.mul(ops.conv3(x, ki as tf.Tensor5D, false), dy)))(k)
        return [ops.conv3(x, k, true), gx, gk, gkOnly]
      })
      fast.forEach((v, i) => expect(relErr(v, reference[i]), ['y', 'dx', 'dw', 'dw filter-only'][i]).toBeLessThan(1e-5))
    })

    // [N, D, H, W, C, F]: even and odd edges (an odd last slice is real input the stride-2 window
    // reaches), the small preset's stem (16 -> 16), a first-conv shape (2 -> 16).
    it.each([
      [2, 4, 6, 4, 3, 2],
      [2, 5, 7, 3, 2, 3],
      [2, 6, 7, 5, 16, 16],
      [3, 4, 5, 6, 2, 16],
      [2, 4, 5, 3, 3, 2],
      // channels a multiple of 4 (wasm's own stacking kernel) with an odd depth
      [2, 5, 4, 3, 4, 3]
    ])('conv3Pool2 N%i D%i H%i W%i C%i -> F%i: forward, dx, dw and the filter-only dw', async (n, d, h, w, c, f) => {
      const rng = new SeededRandom(n * 1000 + d * 100 + h * 10 + f)
      const xv = values([n, d, h, w, c], rng)
      const kv = values([3, 3, 3, c, f], rng)
      const pooled = [n, Math.floor(d / 2), Math.floor(h / 2), Math.floor(w / 2), f]
      const dzv = values(pooled, rng)
      const { fast, reference } = await onBoth((ops) => {
        const x = tf.tensor5d(xv, [n, d, h, w, c])
        const k = tf.tensor5d(kv, [3, 3, 3, c, f])
        const dz = tf.tensor(dzv, pooled)
        const loss = (xi: tf.Tensor, ki: tf.Tensor, inputGrad: boolean) => tf.sum(tf.mul(ops.conv3Pool2(xi as tf.Tensor5D, ki as tf.Tensor5D, inputGrad), dz))
        const [gx, gk] = tf.grads((xi: tf.Tensor, ki: tf.Tensor) => loss(xi, ki, true))([x, k])
        const gkOnly = tf.grad((ki: tf.Tensor) => loss(x, ki, false))(k)
        return [ops.conv3Pool2(x, k, true), gx, gk, gkOnly]
      })
      fast.forEach((v, i) => expect(relErr(v, reference[i]), ['z', 'dx', 'dw', 'dw filter-only'][i]).toBeLessThan(1e-5))
    })

    // [N, D, H, W, C, mean of x]: channels a multiple of 4 (the wasm kernels' SIMD path) or not
    // (their scalar path), more rows than one float32 partial sum (32), a mean far from 0.
    it.each([
      [3, 4, 3, 5, 4, 0.5],
      [2, 5, 6, 3, 16, 0.5],
      [2, 3, 5, 7, 3, 0.5],
      [3, 5, 4, 3, 5, 20],
      [2, 6, 5, 7, 8, 20]
    ])('bnReluTrain N%i D%i H%i W%i C%i, mean %f: output, batch statistics and all three gradients', async (n, d, h, w, c, shift) => {
      const rng = new SeededRandom(11 + c)
      const xv = values([n, d, h, w, c], rng, shift)
      const gv = values([c], rng, 1)
      const bv = values([c], rng)
      const dyv = values([n, d, h, w, c], rng)
      const { fast, reference } = await onBoth((ops) => {
        const x = tf.tensor5d(xv, [n, d, h, w, c])
        const g = tf.tensor1d(gv)
        const b = tf.tensor1d(bv)
        const dy = tf.tensor5d(dyv, [n, d, h, w, c])
        const r = ops.bnReluTrain(x, g, b)
        const out = [r.y, r.stats.mean, r.stats.variance]
        const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
          const q = ops.bnReluTrain(xi as tf.Tensor5D, gi as tf.Tensor1D, bi as tf.Tensor1D)
          tf.dispose([q.stats.mean, q.stats.variance])
          return tf.sum(tf.mul(q.y, dy))
        })([x, g, b])
        return [...out, ...grads]
      })
      fast.forEach((v, i) => expect(relErr(v, reference[i]), ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'][i]).toBeLessThan(1e-5))
    })

    it.each([
      [2, 4, 6, 4, 3],
      [2, 5, 7, 3, 16]
    ])('pool2 N%i D%i H%i W%i C%i: forward and gradient', async (n, d, h, w, c) => {
      const rng = new SeededRandom(d * 10 + h)
      const xv = values([n, d, h, w, c], rng)
      const dyv = values([n, Math.floor(d / 2), Math.floor(h / 2), Math.floor(w / 2), c], rng)
      const { fast, reference } = await onBoth((ops) => {
        const x = tf.tensor5d(xv, [n, d, h, w, c])
        const dy = tf.tensor(dyv, [n, Math.floor(d / 2), Math.floor(h / 2), Math.floor(w / 2), c])
        return [ops.pool2(x), tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(ops.pool2(xi as tf.Tensor5D), dy)))(x)]
      })
      fast.forEach((v, i) => expect(relErr(v, reference[i])).toBeLessThan(1e-6))
    })

    it('conv1 [2,3,4,2,5] x [5,3]: forward and both gradients', async () => {
      const rng = new SeededRandom(7)
      const xv = values([2, 3, 4, 2, 5], rng)
      const wv = values([5, 3], rng)
      const dyv = values([2, 3, 4, 2, 3], rng)
      const { fast, reference } = await onBoth((ops) => {
        const x = tf.tensor5d(xv, [2, 3, 4, 2, 5])
        const w = tf.tensor2d(wv, [5, 3])
        const dy = tf.tensor5d(dyv, [2, 3, 4, 2, 3])
        const g = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(ops.conv1(xi as tf.Tensor5D, wi as tf.Tensor2D), dy)))([x, w])
        return [ops.conv1(x, w), ...g]
      })
      fast.forEach((v, i) => expect(relErr(v, reference[i])).toBeLessThan(1e-5))
    })
  })
}
