/**
 * A reference implementation for the tests: the TC gain as a differentiable TensorFlow.js
 * expression, whose autograd gradient checks the hand-written gradient of the app's
 * src-main/engine/tcgm/tc-gain.ts (tcGainAndGrad, float64). The app does not use it: its training loop
 * exchanges Float32Arrays with tcGainAndGrad. Same formula (joint term by logSumExp over
 * log-softmax outputs; marginal term by Moebius inversion over set partitions, exact over
 * distinct tuples), in float32.
 *
 * Shapes: each logH is [B, C] (rows = samples, columns = classes); logPrior is [C].
 */
import * as tf from '@tensorflow/tfjs'
import { distinctTupleCount } from '../../../src-main/engine/tcgm/tc-gain'
import { setPartitions } from '../../../src-main/engine/tcgm/set-partitions'

/**
 * @returns a scalar tensor: TCg (maximise it; the loss is its negation). The caller owns it.
 * @throws when fewer than 2 modalities, shapes disagree, or B < M
 */
export function tcGainTensor(logHs: readonly tf.Tensor2D[], logPrior: tf.Tensor1D | readonly number[]): tf.Scalar {
  const M = logHs.length
  if (M < 2) throw new Error(`tcGainTensor: needs at least 2 modalities, got ${M}`)
  const [B, C] = logHs[0]!.shape
  logHs.forEach((h, m) => {
    if (h.rank !== 2 || h.shape[0] !== B || h.shape[1] !== C)
      throw new Error(`tcGainTensor: logHs[${m}] has shape [${h.shape.join(', ')}], expected [${B}, ${C}]`)
  })
  if (B < M) throw new Error(`tcGainTensor: batch size ${B} is smaller than the number of modalities ${M}`)
  return tf.tidy(() => {
    const lp = Array.isArray(logPrior) ? tf.tensor1d(logPrior as number[]) : (logPrior as tf.Tensor1D)
    if (lp.shape[0] !== C) throw new Error(`tcGainTensor: logPrior has ${lp.shape[0]} values, expected C = ${C}`)
    const shift = lp.mul(-(M - 1)) // -(M-1) log p_c, [C]
    const z = tf.addN(logHs as tf.Tensor2D[]).add(shift)
    const joint = tf.logSumExp(z, 1).mean()

    // Block sums t_b[c] = sum_i prod_{m in b} H_m[i,c] for every non-empty subset b.
    const H = logHs.map((h) => h.exp())
    const t: tf.Tensor1D[] = new Array(1 << M)
    const prod: tf.Tensor2D[] = new Array(1 << M)
    for (let b = 1; b < 1 << M; b++) {
      const low = 31 - Math.clz32(b & -b)
      const rest = b & (b - 1)
      prod[b] = rest === 0 ? H[low]! : prod[rest]!.mul(H[low]!)
      t[b] = prod[b]!.sum(0)
    }
    const terms = setPartitions(M).map(({ blocks, mu }) =>
      blocks
        .map((b) => t[b]!)
        .reduce((a, x) => a.mul(x))
        .mul(mu)
    )
    const S = tf.addN(terms) // [C]
    const marginal = S.mul(shift.exp()).sum().div(distinctTupleCount(B, M))
    return joint.add(1).sub(marginal) as tf.Scalar
  })
}
