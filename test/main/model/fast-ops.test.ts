/**
 * The fast path against tf.conv3d and autograd on the cpu backend (the oracle: wasm's Conv3D
 * input gradient is wrong in tfjs 4.22): forward values and the gradient of every input.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createFastOps } from '../../../src-main/engine/model/ops/fast'
import { createReferenceOps } from '../../../src-main/engine/model/ops/reference'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'
import { relErr as relErrOf } from './rel-err'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

function randomTensor(shape: number[], rng: SeededRandom): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = rng.normal()
  return tf.tensor(data, shape)
}

/** Largest |a-b| relative to the largest |b|, of two tensors of the same shape. */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape)
  return relErrOf(a.dataSync(), b.dataSync())
}

const fast = createFastOps()
const reference = createReferenceOps()

// [N, D, H, W, C, F]: both sides of the depth taps (C <= F and C > F), odd and even sizes, batch > 1.
const convShapes: number[][] = [
  [2, 4, 5, 3, 2, 3],
  [2, 3, 4, 6, 5, 2],
  [3, 5, 3, 4, 3, 3],
  [1, 2, 2, 2, 4, 1],
  // 3C < F: the filter gradient with dy as the batch (the network's first convolution)
  [2, 4, 3, 5, 2, 8]
]

describe('fast 3x3x3 convolution', () => {
  it.each(convShapes)('N%i D%i H%i W%i C%i -> F%i: forward and both gradients match tf.conv3d', (n, d, h, w, c, f) => {
    const rng = new SeededRandom(n * 1000 + d * 100 + c * 10 + f)
    const x = randomTensor([n, d, h, w, c], rng) as tf.Tensor5D
    const k = randomTensor([3, 3, 3, c, f], rng) as tf.Tensor5D
    const dy = randomTensor([n, d, h, w, f], rng) as tf.Tensor5D
    // A weighted sum makes every output element's gradient distinct.
    const loss = (ops: typeof fast) => (xi: tf.Tensor, ki: tf.Tensor) => tf.sum(tf.mul(ops.conv3(xi as tf.Tensor5D, ki as tf.Tensor5D, true), dy))
    expect(relErr(fast.conv3(x, k, true), reference.conv3(x, k, true))).toBeLessThan(1e-5)
    const [gxF, gkF] = tf.grads(loss(fast))([x, k])
    const [gxR, gkR] = tf.grads(loss(reference))([x, k])
    expect(relErr(gxF, gxR)).toBeLessThan(1e-5)
    expect(relErr(gkF, gkR)).toBeLessThan(1e-5)
    // Filter-only variant (the network input): same filter gradient.
    const gkOnly = tf.grad((ki: tf.Tensor) => tf.sum(tf.mul(fast.conv3(x, ki as tf.Tensor5D, false), dy)))(k)
    expect(relErr(gkOnly, gkR)).toBeLessThan(1e-5)
  })
})

describe('fast 3x3x3 convolution + 2x2x2 average pool (one stride-2 convolution)', () => {
  it.each([
    [2, 4, 6, 4, 3, 2],
    [2, 5, 7, 3, 2, 3],
    [3, 4, 5, 6, 4, 4]
  ])('N%i D%i H%i W%i C%i -> F%i: forward and both gradients match pool2(tf.conv3d)', (n, d, h, w, c, f) => {
    const rng = new SeededRandom(n * 1000 + d * 100 + h * 10 + f)
    const x = randomTensor([n, d, h, w, c], rng) as tf.Tensor5D
    const k = randomTensor([3, 3, 3, c, f], rng) as tf.Tensor5D
    const z = reference.conv3Pool2(x, k, true)
    const dz = randomTensor(z.shape, rng)
    expect(relErr(fast.conv3Pool2(x, k, true), z)).toBeLessThan(1e-5)
    const loss = (ops: typeof fast, inputGrad: boolean) => (xi: tf.Tensor, ki: tf.Tensor) =>
      tf.sum(tf.mul(ops.conv3Pool2(xi as tf.Tensor5D, ki as tf.Tensor5D, inputGrad), dz))
    const [gxF, gkF] = tf.grads(loss(fast, true))([x, k])
    const [gxR, gkR] = tf.grads(loss(reference, true))([x, k])
    expect(relErr(gxF, gxR)).toBeLessThan(1e-5)
    expect(relErr(gkF, gkR)).toBeLessThan(1e-5)
    const gkOnly = tf.grad((ki: tf.Tensor) => loss(fast, false)(x, ki))(k)
    expect(relErr(gkOnly, gkR)).toBeLessThan(1e-5)
  })
})

describe('fast 2x2x2 average pooling', () => {
  it.each([
    [2, 4, 6, 4, 3],
    [1, 5, 7, 3, 2]
  ])('N%i D%i H%i W%i C%i (even and odd sizes): forward and gradient match tf.avgPool3d', (n, d, h, w, c) => {
    const rng = new SeededRandom(d * 10 + h)
    const x = randomTensor([n, d, h, w, c], rng) as tf.Tensor5D
    const y = reference.pool2(x)
    const dy = randomTensor(y.shape, rng)
    expect(relErr(fast.pool2(x), y)).toBeLessThan(1e-6)
    const loss = (ops: typeof fast) => (xi: tf.Tensor) => tf.sum(tf.mul(ops.pool2(xi as tf.Tensor5D), dy))
    expect(relErr(tf.grad(loss(fast))(x), tf.grad(loss(reference))(x))).toBeLessThan(1e-6)
  })
})

describe('fast 1x1x1 convolution and BN-ReLU', () => {
  it('conv1 matches a 1x1x1 tf.conv3d, with gradients', () => {
    const rng = new SeededRandom(7)
    const x = randomTensor([2, 3, 4, 2, 5], rng) as tf.Tensor5D
    const w = randomTensor([5, 3], rng) as tf.Tensor2D
    const dy = randomTensor([2, 3, 4, 2, 3], rng)
    const loss = (ops: typeof fast) => (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(ops.conv1(xi as tf.Tensor5D, wi as tf.Tensor2D), dy))
    expect(relErr(fast.conv1(x, w), reference.conv1(x, w))).toBeLessThan(1e-5)
    const gF = tf.grads(loss(fast))([x, w])
    const gR = tf.grads(loss(reference))([x, w])
    gF.forEach((g, i) => expect(relErr(g, gR[i])).toBeLessThan(1e-5))
  })

  it('bnReluTrain matches moments + batchNorm + relu, with statistics and all three gradients', () => {
    const rng = new SeededRandom(11)
    const x = tf.add(randomTensor([3, 4, 3, 5, 4], rng), 0.5) as tf.Tensor5D
    const gamma = tf.add(randomTensor([4], rng), 1) as tf.Tensor1D
    const beta = randomTensor([4], rng) as tf.Tensor1D
    const dy = randomTensor([3, 4, 3, 5, 4], rng)
    const rF = fast.bnReluTrain(x, gamma, beta)
    const rR = reference.bnReluTrain(x, gamma, beta)
    expect(relErr(rF.y, rR.y)).toBeLessThan(1e-5)
    expect(relErr(rF.stats.mean, rR.stats.mean)).toBeLessThan(1e-5)
    expect(relErr(rF.stats.variance, rR.stats.variance)).toBeLessThan(1e-5)
    const loss = (ops: typeof fast) => (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const r = ops.bnReluTrain(xi as tf.Tensor5D, g as tf.Tensor1D, b as tf.Tensor1D)
      r.stats.mean.dispose()
      r.stats.variance.dispose()
      return tf.sum(tf.mul(r.y, dy))
    }
    const gF = tf.grads(loss(fast))([x, gamma, beta])
    const gR = tf.grads(loss(reference))([x, gamma, beta])
    gF.forEach((g, i) => expect(relErr(g, gR[i])).toBeLessThan(1e-4))
  })
})
