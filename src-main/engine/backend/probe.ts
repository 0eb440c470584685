/**
 * How the backend chooser looks at the machine: finding optional packages, loading them, and
 * asking whether a CUDA GPU is visible. Everything here is injectable so the chooser's fallbacks
 * can be tested with the native packages absent (as on CI) and mocked present.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { dawnAddonPath, type GpuAdapterInfo } from './webgpu-adapter'

export interface BackendProbe {
  /** Resolved file of an installed package, or null when it is not installed. Must not load it. */
  resolvePackage(name: string): string | null
  /** Loads a package (may throw, e.g. when libtensorflow is missing). */
  loadPackage(name: string): unknown
  /** Names of the CUDA GPUs the driver lists; [] when none or no driver. Never throws. */
  listGpus(): string[]
  /** The WebGPU adapter Dawn would use, or why there is none. Never throws. */
  webGpuAdapter(): GpuAdapterInfo | { none: string }
}

// A require created at run time: bundlers leave it alone (the native packages are
// optionalDependencies and must not be pulled into a bundle), and absence is a caught error.
const runtimeRequire = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

function resolvePackage(name: string): string | null {
  try {
    return runtimeRequire.resolve(name)
  } catch {
    return null
  }
}

/** Asks the NVIDIA driver through `nvidia-smi -L` (one line "GPU 0: <name> (UUID: ...)" per GPU).
 *  This is what CUDA would see; it spawns a small process, so it is cheap for the main process. */
function listGpus(): string[] {
  if (process.platform === 'darwin') return []
  try {
    const out = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^GPU \d+:/.test(l))
  } catch {
    return []
  }
}

/** Asked once per process tree: the answer travels to child processes and threads in this
 *  environment variable (a replica thread or modality worker does not start Dawn again). */
const ADAPTER_MEMO_VAR = 'TCGM_WEBGPU_ADAPTER_PROBE'

/** Asks Dawn for an adapter in a short child process (loading Dawn and a Vulkan/Metal driver in
 *  the Electron main process or in every worker would cost memory and start-up time). */
function webGpuAdapter(): GpuAdapterInfo | { none: string } {
  const memo = process.env[ADAPTER_MEMO_VAR]
  if (memo) return JSON.parse(memo) as GpuAdapterInfo | { none: string }
  const addon = dawnAddonPath(resolvePackage)
  let answer: GpuAdapterInfo | { none: string }
  if (addon === null) answer = { none: `the webgpu package (Dawn) has no build for ${process.platform}-${process.arch} installed` }
  else {
    const script = `const d=require(${JSON.stringify(addon)});Object.assign(globalThis,d.globals);d.create([]).requestAdapter({powerPreference:'high-performance'}).then(a=>{const i=a&&a.info;process.stdout.write(JSON.stringify(i?{vendor:i.vendor,architecture:i.architecture,device:i.device,description:i.description}:{none:'Dawn found no Vulkan, Metal or Direct3D 12 device it accepts'}));process.exit(0)},e=>{process.stdout.write(JSON.stringify({none:String(e&&e.message||e)}));process.exit(0)})`
    try {
      const out = execFileSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        timeout: 20000,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
      })
      answer = JSON.parse(out) as GpuAdapterInfo | { none: string }
    } catch (e) {
      answer = { none: `the adapter query failed (${(e as Error).message.split('\n')[0]})` }
    }
  }
  process.env[ADAPTER_MEMO_VAR] = JSON.stringify(answer)
  return answer
}

export const nodeProbe: BackendProbe = {
  resolvePackage,
  loadPackage: (name) => runtimeRequire(name),
  listGpus,
  webGpuAdapter
}

/** Folder holding the tfjs-backend-wasm `.wasm` binaries (with a trailing slash, as
 *  `setWasmPaths` wants it), or null when the package or its binaries are missing. */
export function wasmBinaryDir(probe: BackendProbe = nodeProbe): string | null {
  const entry = probe.resolvePackage('@tensorflow/tfjs-backend-wasm')
  if (entry === null) return null
  // The package's main file sits in dist/, next to the binaries.
  const dir = dirname(entry)
  const candidates = [dir, join(dir, '..', 'dist')]
  for (const d of candidates) {
    if (existsSync(join(d, 'tfjs-backend-wasm-simd.wasm')) || existsSync(join(d, 'tfjs-backend-wasm.wasm'))) return d + '/'
  }
  return null
}
