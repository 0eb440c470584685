/**
 * The compute backends in order of preference, how to tell whether each is usable without
 * loading it, and which one a preference (setting or TCGM_BACKEND) asks for.
 *
 * This file does not import TensorFlow.js: `describeBackends` is called from the Electron main
 * process (app.info) and must stay cheap there. The actual initialisation is in choose.ts.
 */
import type { BackendInfo } from '../../domain/backend'
import { nodeProbe, wasmBinaryDir, type BackendProbe } from './probe'
import { adapterName, isSoftwareAdapter, WEBGPU_PACKAGES } from './webgpu-adapter'

/** Names as shown to the user and stored in run records. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKEND_ORDER)[number]

export const BACKEND_ENV_VAR = 'TCGM_BACKEND'

/** The npm package behind each native backend. */
export const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node'
}

export interface Availability {
  available: boolean
  detail: string
}

/** Whether a backend can be tried, judged without loading anything heavy.
 *  @param requested whether the user asked for this backend (a software WebGPU adapter is only
 *    taken then). */
export function checkAvailability(name: BackendName, probe: BackendProbe, requested = false): Availability {
  switch (name) {
    case 'webgpu': {
      const missing = WEBGPU_PACKAGES.find((p) => probe.resolvePackage(p === 'webgpu' ? 'webgpu/package.json' : p) === null)
      if (missing) return { available: false, detail: `${missing} not installed` }
      const adapter = probe.webGpuAdapter()
      if ('none' in adapter) return { available: false, detail: `no WebGPU adapter: ${adapter.none}` }
      const name = adapterName(adapter)
      if (isSoftwareAdapter(adapter) && !requested)
        return { available: false, detail: `only a software adapter (${name}), slower than WebAssembly; TCGM_BACKEND=webgpu uses it anyway` }
      return { available: true, detail: `WebGPU (Dawn) on ${name}, checked against the cpu backend at start-up` }
    }
    case 'tensorflow-gpu': {
      const pkg = NATIVE_PACKAGES[name]!
      if (probe.resolvePackage(pkg) === null) return { available: false, detail: `${pkg} not installed` }
      const gpus = probe.listGpus()
      if (gpus.length === 0) return { available: false, detail: `${pkg} installed but no CUDA GPU visible (nvidia-smi lists none)` }
      return { available: true, detail: `${pkg} installed; ${gpus[0]}${gpus.length > 1 ? ` (+${gpus.length - 1} more)` : ''}` }
    }
    case 'tensorflow': {
      const pkg = NATIVE_PACKAGES[name]!
      if (probe.resolvePackage(pkg) === null) return { available: false, detail: `${pkg} not installed` }
      return { available: true, detail: `${pkg} installed (native TensorFlow on the CPU)` }
    }
    case 'wasm': {
      if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object')
        return { available: false, detail: 'WebAssembly is not available in this runtime' }
      const dir = wasmBinaryDir(probe)
      if (dir === null) return { available: false, detail: '@tensorflow/tfjs-backend-wasm or its .wasm binaries not found' }
      return { available: true, detail: 'WebAssembly (XNNPACK, SIMD, one thread) with the conv2d-based 3D path' }
    }
    case 'cpu':
      return { available: true, detail: 'plain JavaScript, always available (slow)' }
  }
}

export interface Preference {
  /** null = automatic (first available in BACKEND_ORDER). */
  requested: BackendName | null
  /** Where the request came from, for the reason line. */
  source: string
}

/**
 * Resolves the requested backend: the environment variable TCGM_BACKEND overrides the setting
 * (so one run can be forced from a shell), the setting overrides automatic choice.
 * 'auto' or empty means automatic.
 * @throws when a name is not one of BACKEND_ORDER or 'auto'.
 */
export function resolvePreference(setting: string | undefined, env: NodeJS.ProcessEnv = process.env): Preference {
  const fromEnv = env[BACKEND_ENV_VAR]?.trim()
  const pick = (value: string, source: string): Preference => {
    const v = value.toLowerCase()
    if (v === 'auto' || v === '') return { requested: null, source }
    if ((BACKEND_ORDER as readonly string[]).includes(v)) return { requested: v as BackendName, source }
    throw new Error(`chooseBackend: unknown backend '${value}' from ${source}; expected one of auto, ${BACKEND_ORDER.join(', ')}`)
  }
  if (fromEnv) return pick(fromEnv, `environment variable ${BACKEND_ENV_VAR}`)
  if (setting !== undefined && setting.trim() !== '') return pick(setting.trim(), 'setting')
  return { requested: null, source: 'automatic' }
}

/** The order in which backends are tried for a preference: the requested one first, then the
 *  automatic order (a requested backend that fails falls back rather than stopping training). */
export function tryOrder(pref: Preference): BackendName[] {
  if (pref.requested === null) return [...BACKEND_ORDER]
  return [pref.requested, ...BACKEND_ORDER.filter((n) => n !== pref.requested)]
}

/** Builds the one-line reason shown in the UI and written into run records. */
export function reasonFor(chosen: BackendName, pref: Preference, tried: BackendInfo['tried']): string {
  const skipped = tried.filter((t) => t.name !== chosen && !t.available).map((t) => `${t.name}: ${t.detail}`)
  const chosenLine = tried.find((t) => t.name === chosen)?.detail ?? ''
  if (pref.requested === chosen) return `${chosen} requested by ${pref.source} (${chosenLine})`
  const head =
    pref.requested !== null ? `${pref.requested} requested by ${pref.source} but unusable; fell back to ${chosen}` : `${chosen} is the fastest usable backend`
  return skipped.length > 0 ? `${head} (${skipped.join('; ')})` : `${head} (${chosenLine})`
}

/**
 * What the training worker will use, judged without initialising TensorFlow.js in the caller's
 * process (for app.info in the main process). A native package that is installed but fails to
 * load (missing libtensorflow / CUDA libraries) is only discovered by `chooseBackend`.
 */
export async function describeBackends(preference?: string, probe: BackendProbe = nodeProbe, env: NodeJS.ProcessEnv = process.env): Promise<BackendInfo> {
  const pref = resolvePreference(preference, env)
  const tried: BackendInfo['tried'] = []
  let chosen: BackendName | null = null
  for (const name of tryOrder(pref)) {
    const a = checkAvailability(name, probe, pref.requested === name)
    tried.push({ name, available: a.available, detail: a.detail })
    if (a.available && chosen === null) chosen = name
  }
  // cpu is always available, so chosen is set.
  const name = chosen ?? 'cpu'
  return { name, reason: reasonFor(name, pref, tried), tried }
}
