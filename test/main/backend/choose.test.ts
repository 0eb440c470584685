import * as tf from '@tensorflow/tfjs'
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'
import { afterEach, describe, expect, it } from 'vitest'
import { describeBackends, resolvePreference } from '../../../src-main/engine/backend/candidates'
import { chooseBackend } from '../../../src-main/engine/backend/choose'
import { nodeProbe, type BackendProbe } from '../../../src-main/engine/backend/probe'

/** A probe over the real machine, with some native packages pretended installed. */
function fakeProbe(opts: { installed?: string[]; gpus?: string[]; loadFails?: Record<string, string> }): BackendProbe & { loaded: string[] } {
  // WebGPU is tested on its own (webgpu.test.ts): here Dawn finds no adapter.
  const loaded: string[] = []
  return {
    loaded,
    resolvePackage: (name) => (opts.installed?.includes(name) ? `/fake/node_modules/${name}/index.js` : nodeProbe.resolvePackage(name)),
    loadPackage: (name) => {
      loaded.push(name)
      if (opts.loadFails?.[name]) throw new Error(opts.loadFails[name])
      if (name.startsWith('@tensorflow/tfjs-node')) {
        // What tfjs-node does on load: register the 'tensorflow' backend.
        if (tf.findBackendFactory('tensorflow') === null) tf.registerBackend('tensorflow', () => new MathBackendCPU())
        return {}
      }
      return nodeProbe.loadPackage(name)
    },
    listGpus: () => opts.gpus ?? [],
    webGpuAdapter: () => ({ none: 'no adapter in this test' })
  }
}

const noEnv = {}

afterEach(async () => {
  await tf.setBackend('cpu')
  if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow')
})

describe('chooseBackend with the native packages absent (as on CI)', () => {
  it('falls back to wasm and says why', async () => {
    const chosen = await chooseBackend(undefined, nodeProbe, noEnv)
    expect(chosen.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(chosen.tried.map((t) => t.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm'])
    expect(chosen.tried[0]).toMatchObject({ available: false, detail: '@tensorflow/tfjs-node-gpu not installed' })
    expect(chosen.reason).toContain('tfjs-node not installed')
  })

  it('honours TCGM_BACKEND over the setting', async () => {
    const chosen = await chooseBackend('wasm', nodeProbe, { TCGM_BACKEND: 'cpu' })
    expect(chosen.name).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    expect(chosen.reason).toContain('environment variable TCGM_BACKEND')
  })

  it('falls back when the requested backend is missing', async () => {
    const chosen = await chooseBackend('tensorflow', nodeProbe, noEnv)
    expect(chosen.name).toBe('wasm')
    expect(chosen.reason).toMatch(/tensorflow requested by setting but unusable; fell back to wasm/)
  })

  it('rejects an unknown name, naming the source and the valid ones', async () => {
    await expect(chooseBackend(undefined, nodeProbe, { TCGM_BACKEND: 'cuda' })).rejects.toThrow(
      /unknown backend 'cuda' from environment variable TCGM_BACKEND; expected one of auto, tensorflow-gpu/
    )
    expect(() => resolvePreference('metal', noEnv)).toThrow(/from setting/)
  })
})

describe('chooseBackend with the native packages mocked present', () => {
  it('uses tfjs-node-gpu when a GPU is listed', async () => {
    const probe = fakeProbe({ installed: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'], gpus: ['GPU 0: NVIDIA H100 (UUID: x)'] })
    const chosen = await chooseBackend(undefined, probe, noEnv)
    expect(chosen).toMatchObject({ name: 'tensorflow-gpu', tfBackend: 'tensorflow' })
    expect(tf.getBackend()).toBe('tensorflow')
    expect(probe.loaded).toEqual(['@tensorflow/tfjs-node-gpu'])
    expect(chosen.tried[0].detail).toContain('NVIDIA H100')
  })

  it('skips tfjs-node-gpu without a visible GPU and takes tfjs-node', async () => {
    const probe = fakeProbe({ installed: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] })
    const chosen = await chooseBackend(undefined, probe, noEnv)
    expect(chosen.name).toBe('tensorflow')
    expect(probe.loaded).toEqual(['@tensorflow/tfjs-node'])
    expect(chosen.reason).toContain('no CUDA GPU visible')
  })

  it('falls back to wasm when tfjs-node is installed but libtensorflow fails to load', async () => {
    const probe = fakeProbe({
      installed: ['@tensorflow/tfjs-node'],
      loadFails: { '@tensorflow/tfjs-node': 'libtensorflow.so.2: cannot open shared object file\nstack...' }
    })
    const chosen = await chooseBackend(undefined, probe, noEnv)
    expect(chosen.name).toBe('wasm')
    expect(chosen.tried[2]).toEqual({ name: 'tensorflow', available: false, detail: 'failed to start: libtensorflow.so.2: cannot open shared object file' })
  })
})

describe('describeBackends', () => {
  it('predicts the choice without loading anything', async () => {
    const probe = fakeProbe({ installed: ['@tensorflow/tfjs-node'] })
    const info = await describeBackends(undefined, probe, noEnv)
    expect(info.name).toBe('tensorflow')
    expect(probe.loaded).toEqual([])
    expect(info.tried.map((t) => [t.name, t.available])).toEqual([
      ['tensorflow-gpu', false],
      ['webgpu', false],
      ['tensorflow', true],
      ['wasm', true],
      ['cpu', true]
    ])
  })

  it('reports wasm on this machine with the default probe', async () => {
    const info = await describeBackends(undefined, undefined, noEnv)
    expect(info.name).toBe('wasm')
    expect(info.reason).toContain('@tensorflow/tfjs-node-gpu not installed')
  })
})
