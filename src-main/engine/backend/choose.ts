/**
 * Picks and initialises the TensorFlow.js backend of this process (the training worker, a
 * modality worker, the CLI, a test): tfjs-node-gpu when a CUDA GPU is really visible, then
 * tfjs-node, then WebAssembly, then plain JavaScript. The choice and the reason travel with
 * every run record.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendInfo } from '../../domain/backend'
import { createLogger } from '../../log'
import { checkAvailability, NATIVE_PACKAGES, reasonFor, resolvePreference, tryOrder, type BackendName } from './candidates'
import { nodeProbe, wasmBinaryDir, type BackendProbe } from './probe'
import { checkStepAgainstCpu, STEP_CHECK_TOLERANCE } from './step-check'
import { registerWebGpu, throwIfGpuFailed } from './webgpu'

const log = createLogger('backend')

export interface ChosenBackend extends BackendInfo {
  name: BackendName
  /** The name TensorFlow.js knows the backend by ('tensorflow', 'wasm' or 'cpu'). */
  tfBackend: string
}

let current: ChosenBackend | null = null

/** The choice made by the last successful `chooseBackend` in this process, or null. */
export function currentBackend(): ChosenBackend | null {
  return current
}

/** Loads and activates one backend; throws with a one-line cause when it cannot. */
async function initialise(name: BackendName, probe: BackendProbe, requested: boolean): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // Loading a tfjs-node package registers the 'tensorflow' backend into the same tfjs-core.
      probe.loadPackage(NATIVE_PACKAGES[name]!)
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${NATIVE_PACKAGES[name]} loaded but the 'tensorflow' backend did not initialise`)
      return 'tensorflow'
    }
    case 'wasm': {
      const wasm = probe.loadPackage('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void }
      const dir = wasmBinaryDir(probe)
      if (dir === null) throw new Error('the .wasm binaries were not found')
      // Only allowed before the backend first initialises; a second chooseBackend call in the
      // same process finds it initialised already.
      if (tf.findBackend('wasm') === null) wasm.setWasmPaths(dir)
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise')
      return 'wasm'
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise')
      return 'cpu'
    case 'webgpu': {
      await registerWebGpu(probe.resolvePackage, requested)
      // One small training step against the cpu backend before any real training.
      const check = await checkStepAgainstCpu('webgpu')
      throwIfGpuFailed()
      if (!(check.worst <= STEP_CHECK_TOLERANCE)) {
        await tf.setBackend('cpu')
        tf.removeBackend('webgpu')
        throw new Error(
          `its training step differs from the cpu backend's (gradient of ${check.worstWeight}: ${check.worst.toExponential(1)} relative, tolerance ${STEP_CHECK_TOLERANCE})`
        )
      }
      return 'webgpu'
    }
  }
}

/**
 * Chooses, initialises and activates the backend of this process.
 * @param preference the user's setting: 'auto' (default), 'tensorflow-gpu', 'tensorflow', 'wasm'
 *   or 'cpu'. The environment variable TCGM_BACKEND overrides it. A requested backend that cannot
 *   start falls back to the automatic order, and the reason says so.
 * @throws when the preference names no known backend.
 */
export async function chooseBackend(preference?: string, probe: BackendProbe = nodeProbe, env: NodeJS.ProcessEnv = process.env): Promise<ChosenBackend> {
  const pref = resolvePreference(preference, env)
  const tried: BackendInfo['tried'] = []
  for (const name of tryOrder(pref)) {
    const a = checkAvailability(name, probe, pref.requested === name)
    if (!a.available) {
      tried.push({ name, available: false, detail: a.detail })
      continue
    }
    try {
      const tfBackend = await initialise(name, probe, pref.requested === name)
      tried.push({ name, available: true, detail: a.detail })
      const reason = reasonFor(name, pref, tried)
      log.info(`using ${name}: ${reason}`)
      current = { name, tfBackend, reason, tried }
      return current
    } catch (e) {
      const cause = (e instanceof Error ? e.message : String(e)).split('\n')[0]
      tried.push({ name, available: false, detail: `failed to start: ${cause}` })
    }
  }
  throw new Error(`chooseBackend: no backend could start (${tried.map((t) => `${t.name}: ${t.detail}`).join('; ')})`)
}
