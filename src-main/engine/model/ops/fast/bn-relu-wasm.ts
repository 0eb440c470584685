/**
 * Training-mode batch norm + ReLU on the wasm backend with the fast ops' own kernels
 * (wasm/kernels.ts): forward = two sums passes (the mean, then the variance about it) and one
 * pass y = max(0, (x - mean) g invStd + b); backward = one sums pass and one pass for dx, each
 * reading x and dy only (the ReLU's mask is recomputed from x, bit for bit as in the forward).
 * The tfjs-op form (bn-relu.ts) takes 10 kernels forward and 15 backward and keeps two more
 * activations (centred and y) for the backward pass; this keeps none but its input.
 *
 * The per-channel statistics are sums in float64 (the kernels' float32 partial sums over 32
 * rows), combined here in float64; with replicas (a StatsSum) the sums of the whole batch.
 */
import * as tf from '@tensorflow/tfjs'
import { BN_EPSILON, type StatsSum } from '../types'
import { bnReluApply, bnReluGradApply, bnReluGradSums, channelSums } from './wasm/kernels'

/** Sums of this share, added across the replicas when `sum` is given. */
const overReplicas = (sum: StatsSum | undefined, parts: Float64Array[]): Float64Array[] => {
  if (!sum) return parts
  const c = parts[0]!.length
  const buf = new Float64Array(parts.length * c)
  parts.forEach((p, j) => buf.set(p, j * c))
  const total = sum(buf)
  return parts.map((_, j) => total.subarray(j * c, (j + 1) * c))
}

/** What the forward pass gives: the output, the batch statistics, and its backward pass
 *  (which needs x, kept by the caller, and dy). */
export interface BnReluWasmForward {
  y: tf.Tensor5D
  mean: Float32Array
  variance: Float32Array
  /** Values per channel the statistics were taken over (the whole batch with replicas). */
  total: number
  backward: (x: tf.Tensor5D, dy: tf.Tensor5D) => [tf.Tensor5D, tf.Tensor1D, tf.Tensor1D]
}

/** y = relu((x - mean) invStd g + b), mean and biased variance over N, D, H, W (of the whole
 *  batch when `sum` adds the replicas' parts). */
export function bnReluForwardWasm(x: tf.Tensor5D, g: tf.Tensor1D, b: tf.Tensor1D, sum?: StatsSum): BnReluWasmForward {
  const c = x.shape[4]
  const count = x.size / c
  let total = count
  let [s1] = channelSums(x, new Float32Array(c))
  if (sum) {
    const t = sum(Float64Array.from([...s1, count]))
    s1 = t.subarray(0, c)
    total = t[c]!
  }
  const mean = Float32Array.from(s1, (v) => v / total)
  // About the float32 mean: variance = E[(x - m)^2] - E[x - m]^2 (the second term ~ rounding).
  const [d1, d2] = overReplicas(sum, channelSums(x, mean))
  const varianceF64 = Float64Array.from(d2, (v, i) => Math.max(0, v / total - (d1[i]! / total) ** 2))
  const invStd = varianceF64.map((v) => 1 / Math.sqrt(v + BN_EPSILON))
  const gv = g.dataSync()
  const scale = Float32Array.from(invStd, (v, i) => v * gv[i]!)
  const params = new Float32Array(3 * c)
  params.set(mean, 0)
  params.set(scale, c)
  params.set(b.dataSync(), 2 * c)
  const y = bnReluApply(x, params) as tf.Tensor5D

  const backward = (xKept: tf.Tensor5D, dy: tf.Tensor5D): [tf.Tensor5D, tf.Tensor1D, tf.Tensor1D] => {
    const [sdz, sdzc] = bnReluGradSums(xKept, dy, params)
    const [tdz, tdzc] = overReplicas(sum, [sdz, sdzc])
    // dx = a (dz - meanDz - xHat meanDzXHat), a = g invStd, xHat = (x - mean) invStd:
    //    = a dz + ((x - mean) s + o), s = -a invStd^2 meanDzC, o = -a meanDz
    const grad = new Float32Array(6 * c)
    grad.set(params)
    for (let i = 0; i < c; i++) {
      const a = gv[i]! * invStd[i]!
      grad[3 * c + i] = a
      grad[4 * c + i] = -a * invStd[i]! * invStd[i]! * (tdzc[i]! / total)
      grad[5 * c + i] = -a * (tdz[i]! / total)
    }
    const dx = bnReluGradApply(xKept, dy, grad) as tf.Tensor5D
    // dg, db: this share's parts (the replicas' gradients are added afterwards).
    return [dx, tf.tensor1d(Float32Array.from(sdzc, (v, i) => v * invStd[i]!)), tf.tensor1d(Float32Array.from(sdz))]
  }
  return { y, mean, variance: Float32Array.from(varianceF64), total, backward }
}
