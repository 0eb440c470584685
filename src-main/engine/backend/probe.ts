/**
 * How the backend chooser looks at the machine: finding optional packages, loading them, and
 * asking whether a CUDA GPU is visible. Everything here is injectable so the chooser's fallbacks
 * can be tested with the native packages absent (as on CI) and mocked present.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export interface BackendProbe {
  /** Resolved file of an installed package, or null when it is not installed. Must not load it. */
  resolvePackage(name: string): string | null
  /** Loads a package (may throw, e.g. when libtensorflow is missing). */
  loadPackage(name: string): unknown
  /** Names of the CUDA GPUs the driver lists; [] when none or no driver. Never throws. */
  listGpus(): string[]
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

export const nodeProbe: BackendProbe = {
  resolvePackage,
  loadPackage: (name) => runtimeRequire(name),
  listGpus
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
