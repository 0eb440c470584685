/**
 * Data-parallel training of one modality network over K replica threads gives what one process
 * with the whole batch gives, up to float rounding (batch norm over the whole batch, gradients
 * added), keeps the replicas identical and is deterministic for a fixed K.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseBackend } from '../../../src-main/engine/backend/choose'
import { createImageModalityModel, describeImageModel, type ImageModelOptions } from '../../../src-main/engine/model/image-model'
import { createDataParallelImageModel } from '../../../src-main/engine/model/parallel/data-parallel-model'
import type { ModalityModel, ModelState } from '../../../src-main/engine/train/modality-model'
import { sphereCrops } from './sphere-crops'

const { crops, labels } = sphereCrops(16, 5)
const opts: ImageModelOptions = { modality: 'mri', numClasses: 2, preset: 'tiny', crops, inputSize: [10, 10, 10], seed: 13, inferenceBatch: 4, backend: 'wasm' }

interface Trace {
  losses: number[]
  outputs: number[]
  state: ModelState
}

/** Every kind of call, with batches that split unevenly and one smaller than K (an idle replica). */
async function script(model: ModalityModel): Promise<Trace> {
  const losses: number[] = []
  const outputs: number[] = []
  for (const batch of [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11]])
    losses.push(
      await model.ceStep(
        batch,
        batch.map((i) => labels[i]),
        0.01
      )
    )
  const logp = await model.tcForward([2, 4, 6, 8, 10])
  outputs.push(...logp)
  await model.tcBackward(
    logp.map((v, i) => (i % 2 ? 0.2 : -0.1) * v),
    0.01
  )
  losses.push(
    await model.ceStep(
      [12, 13, 14, 15],
      [12, 13, 14, 15].map((i) => labels[i]),
      0.01
    )
  )
  await model.refreshNormStats!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  outputs.push(...(await model.predictLogProbs([0, 3, 5, 7, 9, 11, 13])))
  return { losses, outputs, state: await model.getState() }
}

/** Largest |a - b| over the largest |b|, over every tensor of two states. */
function stateDistance(a: ModelState, b: ModelState): number {
  let worst = 0
  for (const [name, t] of Object.entries(b.tensors)) {
    const u = a.tensors[name]!.data
    let diff = 0
    let scale = 0
    t.data.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(u[i]! - v))
      scale = Math.max(scale, Math.abs(v))
    })
    worst = Math.max(worst, diff / (scale || 1))
  }
  return worst
}

let one: Trace
beforeAll(async () => {
  await chooseBackend('wasm', undefined, {})
  const model = await createImageModalityModel(opts)
  one = await script(model)
  await model.dispose()
}, 120_000)

describe('data-parallel replicas', () => {
  const models: { dispose(): Promise<void> }[] = []
  afterAll(async () => {
    await Promise.all(models.map((m) => m.dispose()))
  })

  it('K=2 and K=3 follow the one-process trajectory (losses 1e-5, outputs 1e-4, weights 1e-4 relative)', async () => {
    for (const k of [2, 3]) {
      const model = await createDataParallelImageModel(opts, k)
      models.push(model)
      expect(describeImageModel(model)).toMatchObject({ replicas: k, backend: 'wasm', implementation: 'fast' })
      const got = await script(model)
      got.losses.forEach((v, i) => expect(Math.abs(v - one.losses[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(one.losses[i]!))))
      got.outputs.forEach((v, i) => expect(Math.abs(v - one.outputs[i]!)).toBeLessThan(1e-4))
      expect(stateDistance(got.state, one.state)).toBeLessThan(1e-4)
      expect(got.state.meta.adamStep).toBe(one.state.meta.adamStep)
      // Every replica holds the same bits.
      const states = await model.replicaStates()
      for (const s of states.slice(1)) expect(stateDistance(s, states[0]!)).toBe(0)
    }
  }, 300_000)

  it('is deterministic for a fixed seed and K', async () => {
    const runs: Trace[] = []
    for (let r = 0; r < 2; r++) {
      const model = await createDataParallelImageModel(opts, 2)
      runs.push(await script(model))
      await model.dispose()
    }
    expect(runs[1]!.losses).toEqual(runs[0]!.losses)
    expect(runs[1]!.outputs).toEqual(runs[0]!.outputs)
    expect(stateDistance(runs[1]!.state, runs[0]!.state)).toBe(0)
  }, 300_000)

  it('fails every later call, naming the cause, once a replica thread has died', async () => {
    const model = await createDataParallelImageModel(opts, 2)
    models.push(model)
    await (model as unknown as { replicas: { thread: { terminate(): Promise<number> } }[] }).replicas[1]!.thread.terminate()
    await expect(model.ceStep([0, 1, 2], [0, 1, 0], 0.01)).rejects.toThrow(
      /the mri network lost a replica \(replica 1 exited \(code 1\)\); start the run again/
    )
    await expect(model.predictLogProbs([0])).rejects.toThrow(/lost a replica/)
  }, 120_000)

  it('passes a bad call back and stays usable', async () => {
    const model = await createDataParallelImageModel(opts, 2)
    models.push(model)
    await expect(model.ceStep([0, 42], [0, 1], 0.01)).rejects.toThrow('ceStep: sample index 42 is outside 0..15')
    expect(Number.isFinite(await model.ceStep([0, 1], [labels[0]!, labels[1]!], 0.01))).toBe(true)
  }, 120_000)
})
