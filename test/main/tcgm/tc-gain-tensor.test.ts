import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { tcGainAndGrad } from '../../../src-main/engine/tcgm/tc-gain'
import { tcGainTensor } from './tc-gain-tensor'
import { Rng } from '../../../src-main/domain/random/sfc32'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('tcGainTensor (tfjs, in-graph)', () => {
  for (const M of [2, 3, 4]) {
    it(`matches the float64 gain and gradient for M = ${M}`, () => {
      const rng = new Rng(40 + M)
      const B = 9,
        C = 3
      const logits = Array.from({ length: M }, () => Float32Array.from({ length: B * C }, () => 2 * rng.normal()))
      const logPrior = [0.5, 0.3, 0.2].map(Math.log)
      const before = tf.memory().numTensors
      const logHs = logits.map((l) => tf.tidy(() => tf.logSoftmax(tf.tensor2d(l, [B, C])) as tf.Tensor2D))
      const arrays = logHs.map((h) => h.dataSync() as Float32Array)
      const ref = tcGainAndGrad(arrays, B, C, logPrior)
      const gain = tcGainTensor(logHs, logPrior)
      expect(gain.dataSync()[0]!).toBeCloseTo(ref.gain, 5)
      // Gradient w.r.t. every log-posterior matrix through autograd.
      const grads = tf.grads((...xs: tf.Tensor[]) => tcGainTensor(xs as tf.Tensor2D[], logPrior))(logHs)
      grads.forEach((g, m) => {
        const got = g.dataSync()
        for (let k = 0; k < B * C; k++) expect(got[k]!).toBeCloseTo(ref.grads[m]![k]!, 5)
      })
      tf.dispose([gain, ...grads, ...logHs])
      expect(tf.memory().numTensors).toBe(before)
    })
  }

  it('rejects a batch smaller than M', () => {
    const h = tf.zeros([2, 2]) as tf.Tensor2D
    expect(() => tcGainTensor([h, h, h], [Math.log(0.5), Math.log(0.5)])).toThrow(/batch size 2 is smaller than the number of modalities 3/)
    h.dispose()
  })
})
