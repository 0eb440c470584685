/**
 * The image ModalityModel end to end on the wasm backend (the one CI and laptops use): learning a
 * tiny two-class 3D problem, tensor lifetimes, the TC exchange, state round trips across backends.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseBackend } from '../../../src-main/engine/backend/choose'
import { createImageModalityModel, describeImageModel, type ImageModelOptions } from '../../../src-main/engine/model/image-model'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'
import { sphereCrops } from './sphere-crops'
import { loadModelState, saveModelState } from '../../../src-main/engine/model/state-file'

const { crops, labels } = sphereCrops(48, 1)
const base: ImageModelOptions = { modality: 'mri', numClasses: 2, preset: 'tiny', crops, inputSize: [10, 10, 10], seed: 7 }
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i)

beforeAll(async () => {
  await chooseBackend('wasm', undefined, {})
})

describe('image model on wasm', () => {
  it('learns the two-class sphere problem (held-out accuracy >= 0.9)', async () => {
    const model = await createImageModalityModel(base)
    expect(describeImageModel(model)).toMatchObject({
      implementation: 'fast',
      backend: 'wasm',
      backendReason: expect.stringContaining('wasm requested by setting')
    })
    const train = range(0, 32)
    const rng = new SeededRandom(2)
    for (let step = 0; step < 40; step++) {
      const batch = Array.from({ length: 8 }, () => train[rng.int(train.length)])
      await model.ceStep(
        batch,
        batch.map((i) => labels[i]),
        0.01
      )
    }
    const test = range(32, 48)
    const logp = await model.predictLogProbs(test)
    const correct = test.filter((i, r) => (logp[2 * r + 1] > logp[2 * r] ? 1 : 0) === labels[i]).length
    expect(correct / test.length).toBeGreaterThanOrEqual(0.9)
    await model.dispose()
  })

  it('keeps the live tensor count constant from step 2 to step 50, and frees everything on dispose', async () => {
    const before = tf.memory().numTensors
    const model = await createImageModalityModel({ ...base, seed: 3 })
    let atStep2 = -1
    for (let step = 1; step <= 50; step++) {
      const batch = [step % 48, (step * 7) % 48, (step * 13) % 48]
      if (step % 2 === 0)
        await model.ceStep(
          batch,
          batch.map((i) => labels[i]),
          1e-3
        )
      else {
        const logp = await model.tcForward(batch)
        await model.tcBackward(
          logp.map((v) => v * 0.01),
          1e-3
        )
      }
      if (step % 10 === 0) await model.predictLogProbs(batch)
      if (step === 2) atStep2 = tf.memory().numTensors
    }
    expect(tf.memory().numTensors).toBe(atStep2)
    await model.getState()
    await model.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('a TC step whose gradient is the CE gradient equals a CE step (the exchange back-propagates exactly)', async () => {
    const a = await createImageModalityModel({ ...base, seed: 11 })
    const b = await createImageModalityModel({ ...base, seed: 11 })
    const batch = [0, 5, 10, 15]
    for (let s = 0; s < 2; s++) {
      await a.ceStep(
        batch,
        batch.map((i) => labels[i]),
        0.01
      )
      await b.tcForward(batch)
      // d(mean CE)/dlogH = -onehot / B
      const g = new Float32Array(batch.length * 2)
      batch.forEach((i, r) => (g[2 * r + labels[i]] = -1 / batch.length))
      await b.tcBackward(g, 0.01)
    }
    const [pa, pb] = [await a.predictLogProbs(range(0, 8)), await b.predictLogProbs(range(0, 8))]
    pa.forEach((v, i) => expect(pb[i]).toBeCloseTo(v, 4))
    await expect(b.tcBackward(new Float32Array(8), 0.01)).rejects.toThrow(/no batch pending/)
    await a.dispose()
    await b.dispose()
  })

  it('refreshNormStats makes inference use the statistics of the given subjects (eval = training mode on one batch), with no tensor leak', async () => {
    // No augmentation and the full crop as input: a training-mode pass reads exactly what inference reads.
    const model = await createImageModalityModel({ ...base, seed: 5, inputSize: crops.dims, augment: { flip: false, transpose: false }, inferenceBatch: 8 })
    for (let step = 0; step < 5; step++) {
      const batch = range(step * 6, step * 6 + 6)
      await model.ceStep(
        batch,
        batch.map((i) => labels[i]),
        0.01
      )
    }
    const batch = range(0, 8)
    const before = tf.memory().numTensors
    await model.refreshNormStats!(batch)
    expect(tf.memory().numTensors).toBe(before)
    const evalMode = await model.predictLogProbs(batch)
    const trainMode = await model.tcForward(batch)
    for (let k = 0; k < evalMode.length; k++) expect(evalMode[k]).toBeCloseTo(trainMode[k], 2)
    await model.dispose()
  })

  it('rejects bad calls with clear messages', async () => {
    const model = await createImageModalityModel(base)
    await expect(model.ceStep([0, 99], [0, 1], 0.01)).rejects.toThrow('ceStep: sample index 99 is outside 0..47')
    await expect(model.ceStep([0], [2], 0.01)).rejects.toThrow('ceStep: label 2 is not a class index in 0..1')
    await model.dispose()
    await expect(createImageModalityModel({ ...base, inputSize: [10, 13, 10] })).rejects.toThrow(/input size 10x13x10 is invalid along axis y/)
    await expect(createImageModalityModel({ ...base, implementation: 'reference' })).rejects.toThrow(/cannot train on the wasm backend/)
  })
})

describe('state round trip across backends', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcgm-state-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function trainedState(backend: string, file: string) {
    await tf.setBackend(backend)
    const model = await createImageModalityModel({ ...base, seed: 5 })
    for (let s = 0; s < 3; s++)
      await model.ceStep(
        [s, s + 1, s + 2, s + 3],
        [s, s + 1, s + 2, s + 3].map((i) => labels[i]),
        0.01
      )
    saveModelState(join(dir, file), await model.getState())
    const logp = await model.predictLogProbs(range(0, 6))
    await model.dispose()
    return logp
  }

  async function predictFrom(backend: string, file: string) {
    await tf.setBackend(backend)
    const model = await createImageModalityModel({ ...base, seed: 99 })
    await model.setState(loadModelState(join(dir, file)))
    const logp = await model.predictLogProbs(range(0, 6))
    await model.dispose()
    return logp
  }

  it.each([
    ['wasm', 'cpu'],
    ['cpu', 'wasm']
  ])('saved on %s, loaded on %s: same predictions', async (from, to) => {
    const file = `${from}.tcgmstate`
    const expected = await trainedState(from, file)
    const got = await predictFrom(to, file)
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4))
    await tf.setBackend('wasm')
  })

  it('refuses a state of another architecture', async () => {
    const model = await createImageModalityModel({ ...base, seed: 1 })
    const state = await model.getState()
    const other = await createImageModalityModel({ ...base, preset: { ...(state.meta.config as object), growth: 5 } as never })
    await expect(other.setState(state)).rejects.toThrow(/architecture .* differs/)
    await model.dispose()
    await other.dispose()
  })
})
