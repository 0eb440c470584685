/** The worker-process model answers like the in-process one, in parallel, and fails loudly. */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseBackend } from '../../../src-main/engine/backend/choose'
import { createImageModalityModel, describeImageModel, type ImageModelOptions } from '../../../src-main/engine/model/image-model'
import { createRemoteImageModalityModel } from '../../../src-main/engine/model/remote-model'
import type { ModalityModel } from '../../../src-main/engine/train/modality-model'
import { sphereCrops } from './sphere-crops'

const { crops, labels } = sphereCrops(16, 3)
const opts: ImageModelOptions = { modality: 'pet', numClasses: 2, preset: 'tiny', crops, inputSize: [10, 10, 10], seed: 21 }

/** A fixed script of calls covering every method; returns everything the model answered. */
async function script(model: ModalityModel): Promise<number[]> {
  const out: number[] = []
  out.push(
    await model.ceStep(
      [0, 1, 2, 3],
      [0, 1, 0, 1].map((_, r) => labels[r]),
      0.01
    )
  )
  const logp = await model.tcForward([4, 5, 6, 7])
  out.push(...logp)
  await model.tcBackward(
    logp.map((v) => 0.1 * v),
    0.01
  )
  out.push(...(await model.predictLogProbs([8, 9, 10])))
  const state = await model.getState()
  await model.ceStep([1, 2], [1, 0], 0.05)
  await model.setState(state)
  out.push(...(await model.predictLogProbs([8, 9, 10])))
  return out
}

let remote: ModalityModel[] = []

beforeAll(async () => {
  await chooseBackend('wasm', undefined, {})
  // The second worker chooses automatically (wasm here, as on CI).
  remote = await Promise.all([createRemoteImageModalityModel({ ...opts, backend: 'wasm' }), createRemoteImageModalityModel({ ...opts, modality: 'mri' })])
})

afterAll(async () => {
  await Promise.all(remote.map((m) => m.dispose()))
})

describe('remote image model', () => {
  it('gives the same outputs as the in-process model for the same seed', async () => {
    const local = await createImageModalityModel(opts)
    const expected = await script(local)
    await local.dispose()
    expect(describeImageModel(remote[0])).toMatchObject({ backend: 'wasm', implementation: 'fast' })
    expect(describeImageModel(remote[1])?.backendReason).toMatch(/^wasm: wasm is the fastest usable backend/)
    const got = await script(remote[0])
    expect(got.length).toBe(expected.length)
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5))
  })

  it('runs two workers at once for the TC exchange', async () => {
    const batch = [0, 3, 5, 9]
    const logHs = await Promise.all(remote.map((m) => m.tcForward(batch)))
    expect(logHs.map((l) => l.length)).toEqual([8, 8])
    await Promise.all(remote.map((m, i) => m.tcBackward(logHs[1 - i], 0.01)))
  })

  it('passes worker errors back with the modality named', async () => {
    await expect(remote[1].ceStep([0, 42], [0, 1], 0.01)).rejects.toThrow('mri model (worker): ceStep: sample index 42 is outside 0..15')
    // Still usable after an error.
    expect((await remote[1].predictLogProbs([0])).length).toBe(2)
  })

  it('rejects pending and later calls when the worker dies', async () => {
    const victim = await createRemoteImageModalityModel({ ...opts, backend: 'wasm' })
    const pid = (victim as unknown as { pid: number }).pid
    const call = victim.predictLogProbs([0, 1, 2, 3, 4, 5, 6, 7])
    process.kill(pid, 'SIGKILL')
    await expect(call).rejects.toThrow(/pet modality worker exited \(SIGKILL\)/)
    await expect(victim.predictLogProbs([0])).rejects.toThrow(/exited/)
    await victim.dispose()
    expect(tf.getBackend()).toBe('wasm')
  })
})
