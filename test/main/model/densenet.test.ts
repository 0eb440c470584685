/** The whole network: fast ops against the reference on the cpu backend, parameter counts. */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig, type DenseNetConfig } from '../../../src-main/engine/model/config'
import { countParameters, denseNetForward, initialValue, paramSpecs, type BnRecord } from '../../../src-main/engine/model/densenet'
import { createFastOps } from '../../../src-main/engine/model/ops/fast'
import { createReferenceOps } from '../../../src-main/engine/model/ops/reference'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('parameter counts', () => {
  it('small preset, 2 channels: counted by hand layer by layer', () => {
    // stem 27*2*16 + BN 2*16 + 27*16*16 = 7808; a block of two layers (16 and 24 channels in):
    // (2*16 + 16*32 + 2*32 + 27*32*8) + (2*24 + 24*32 + 2*32 + 27*32*8) = 15312, three blocks;
    // two transitions 2*32 + 32*16 = 576; head BN 2*32 + dense 32*2 + 2 = 130.
    expect(countParameters(resolveConfig('small', 2, 2))).toBe(7808 + 3 * 15312 + 2 * 576 + 130)
  })

  it('grows with the paper preset to a size in the published range', () => {
    const n = countParameters(resolveConfig('paper', 1, 2))
    expect(n).toBeGreaterThan(500_000)
    expect(n).toBeLessThan(3_000_000)
  })

  it('rejects unknown presets and bad configs by name', () => {
    expect(() => resolveConfig('huge', 1, 2)).toThrow(/preset 'huge' is unknown; expected one of paper, small, tiny/)
    expect(() => resolveConfig({ ...resolveConfig('tiny', 1, 2), growth: 0 }, 1, 2)).toThrow(/growth must be a positive integer/)
    expect(() => resolveConfig(resolveConfig('tiny', 1, 2), 2, 2)).toThrow(/inChannels 1 but the crops have 2/)
  })
})

describe('fast network = reference network', () => {
  const cfg: DenseNetConfig = {
    inChannels: 2,
    stemChannels: 4,
    stemPool: 'afterConv1',
    blocks: [2, 2],
    growth: 3,
    bottleneck: 2,
    compression: 0.5,
    numClasses: 3
  }

  function build(): Map<string, tf.Variable> {
    const rng = new SeededRandom(3)
    const m = new Map<string, tf.Variable>()
    for (const s of paramSpecs(cfg)) {
      // Random BN parameters and running statistics, so that every term is exercised.
      let data = initialValue(s, rng)
      if (s.init === 'ones' || s.init === 'zeros') data = data.map((v) => v + 0.3 * Math.abs(rng.normal()))
      m.set(s.name, tf.variable(tf.tensor(data, s.shape), s.trainable))
    }
    return m
  }

  it('gives the same logits (training and inference) and the same gradient for every weight', () => {
    const weights = build()
    const rng = new SeededRandom(5)
    const x = tf.tensor5d(
      Float32Array.from({ length: 2 * 8 * 10 * 8 * 2 }, () => rng.normal()),
      [2, 8, 10, 8, 2]
    )
    const dl = tf.tensor2d(
      Float32Array.from({ length: 2 * 3 }, () => rng.normal()),
      [2, 3]
    )
    const trainable = [...weights.entries()].filter(([n]) => paramSpecs(cfg).find((s) => s.name === n)!.trainable)
    const run = (ops: ReturnType<typeof createFastOps>) => {
      const records: BnRecord[] = []
      const r = tf.variableGrads(
        () => tf.sum(tf.mul(denseNetForward(cfg, ops, weights, x, true, records), dl)) as tf.Scalar,
        trainable.map(([, v]) => v)
      )
      const inference = denseNetForward(cfg, ops, weights, x, false, [])
      tf.dispose(records.flatMap((rec) => [rec.stats.mean, rec.stats.variance]))
      return { loss: r.value.dataSync()[0], grads: trainable.map(([, v]) => r.grads[v.name]), inference, records: records.length }
    }
    const fast = run(createFastOps())
    const ref = run(createReferenceOps())
    expect(fast.loss).toBeCloseTo(ref.loss, 4)
    expect(Array.from(fast.inference.dataSync())).toEqual(Array.from(ref.inference.dataSync()).map((v) => expect.closeTo(v, 4)))
    expect(trainable.length).toBe(paramSpecs(cfg).filter((s) => s.trainable).length)
    trainable.forEach(([name], i) => {
      const a = fast.grads[i].dataSync()
      const b = ref.grads[i].dataSync()
      const scale = Math.max(1e-6, ...Array.from(b, Math.abs))
      const err = Math.max(...Array.from(a, (v, j) => Math.abs(v - b[j]))) / scale
      expect({ name, err: err < 1e-4 ? 0 : err }).toEqual({ name, err: 0 })
    })
  })
})
