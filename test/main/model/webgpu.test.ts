/**
 * WebGPU (Dawn's Node bindings + tfjs-backend-webgpu): the start-up check, the fast ops against
 * tf.conv3d on cpu, a short training run against the same run on cpu, and a WebGPU error being
 * fatal. Without a GPU, CI runs these on SwiftShader's Vulkan driver (VK_ICD_FILENAMES, set by
 * .ci/run); where Dawn finds no adapter at all they are skipped, saying why.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseBackend, type ChosenBackend } from '../../../src-main/engine/backend/choose'
import { nodeProbe } from '../../../src-main/engine/backend/probe'
import { throwIfGpuFailed } from '../../../src-main/engine/backend/webgpu'
import { createImageModalityModel, describeImageModel, type ImageModelOptions } from '../../../src-main/engine/model/image-model'
import { fastOpsEquivalence } from './fast-ops-suite'
import { sphereCrops } from './sphere-crops'

const adapter = nodeProbe.webGpuAdapter()
const noAdapter = 'none' in adapter ? adapter.none : null
if (noAdapter) console.warn(`webgpu tests skipped: ${noAdapter} (CI points VK_ICD_FILENAMES at SwiftShader's Vulkan driver)`)

describe.skipIf(noAdapter !== null)('webgpu backend', () => {
  let chosen: ChosenBackend
  beforeAll(async () => {
    chosen = await chooseBackend('webgpu', nodeProbe, { TCGM_BACKEND: 'webgpu' })
  }, 300_000)
  afterAll(async () => {
    await tf.setBackend('cpu')
  })

  it('starts after its training step matched the cpu backend, naming the adapter', () => {
    expect(chosen.name).toBe('webgpu')
    expect(tf.getBackend()).toBe('webgpu')
    expect(tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false)
    expect(chosen.reason).toMatch(
      /^webgpu requested by environment variable TCGM_BACKEND \(WebGPU \(Dawn\) on .+, checked against the cpu backend at start-up\)$/
    )
  })

  fastOpsEquivalence('webgpu')

  it('trains a tiny network as the cpu backend does (3 steps, then predictions)', async () => {
    // Small: SwiftShader runs shaders on the CPU, and each new shape compiles new ones.
    const { crops, labels } = sphereCrops(8, 9)
    const opts: ImageModelOptions = { modality: 'pet', numClasses: 2, preset: 'tiny', crops, inputSize: [6, 6, 6], seed: 4 }
    const run = async (backend: string) => {
      await tf.setBackend(backend)
      const model = await createImageModalityModel(opts)
      const losses: number[] = []
      for (const batch of [
        [0, 1],
        [2, 3],
        [5, 6]
      ])
        losses.push(
          await model.ceStep(
            batch,
            batch.map((i) => labels[i]!),
            0.01
          )
        )
      const logp = await model.predictLogProbs([0, 2, 4, 6])
      const info = describeImageModel(model)
      await model.dispose()
      return { losses, logp, info }
    }
    const cpu = await run('cpu')
    const gpu = await run('webgpu')
    expect(gpu.info).toMatchObject({ backend: 'webgpu', implementation: 'fast' })
    gpu.losses.forEach((v, i) => expect(Math.abs(v - cpu.losses[i]!)).toBeLessThan(1e-4))
    gpu.logp.forEach((v, i) => expect(Math.abs(v - cpu.logp[i]!)).toBeLessThan(1e-3))
    throwIfGpuFailed()
  }, 300_000)

  // Last: it leaves the process's WebGPU marked failed.
  it('treats a WebGPU error as fatal (a rank-5 broadcast compiles to invalid WGSL in tfjs 4.22)', async () => {
    await tf.setBackend('webgpu')
    const y = tf.sub(tf.ones([1, 2, 2, 2, 3]), tf.ones([3]))
    await y.data()
    y.dispose()
    expect(() => throwIfGpuFailed()).toThrow(/WebGPU failed earlier in this process: .*vec5/)
  }, 120_000)
})
