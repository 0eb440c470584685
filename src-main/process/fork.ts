/**
 * Child processes for heavy work (the training worker, one process per modality network, the
 * import's preprocess workers).
 *
 * Plain Node (CLI, browser mode, tests) uses child_process.fork; the Electron app installs a
 * factory over utilityProcess with `setWorkerFactory`. Callers only see `WorkerChannel`.
 *
 * Entries are named; built bundles hold `<name>.js` next to this code (electron-vite main
 * inputs), and from sources the `.ts` file is run through tsx.
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Entry name -> source file relative to src-main. Add a line when adding a worker entry,
 *  and the same name to `main.build.rollupOptions.input` in electron.vite.config.ts. */
export const workerEntries = {
  'train-worker': 'runs/worker/entry.ts',
  'modality-worker': 'engine/model/modality-worker-entry.ts',
  'preprocess-worker': 'study/import/preprocess-worker-entry.ts',
  'attribution-worker': 'attribution/worker-entry.ts',
  // A worker THREAD (process/thread.ts): one data-parallel replica of a modality network.
  'model-replica': 'engine/model/parallel/replica-entry.ts'
} as const
export type WorkerEntry = keyof typeof workerEntries

export interface WorkerChannel {
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
  /** code is null when killed by a signal. */
  onExit(listener: (code: number | null, signal: string | null) => void): void
  kill(): void
  readonly pid: number | undefined
}

export type WorkerFactory = (entryFile: string, env: Record<string, string>) => WorkerChannel

function nodeFork(entryFile: string, env: Record<string, string>): WorkerChannel {
  const fromSource = entryFile.endsWith('.ts')
  // Without the trap handler, WebAssembly reserves no 10 GB guard region per memory: the way to
  // run under an address-space limit (README, "Memory limits"); the workers need it too.
  const noTrap = process.execArgv.includes('--disable-wasm-trap-handler') ? ['--disable-wasm-trap-handler'] : []
  const child = fork(entryFile, [], {
    execArgv: [...noTrap, ...(fromSource ? ['--import', 'tsx'] : [])],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced' // structured clone: typed arrays travel without JSON
  })
  return {
    send: (m) => {
      if (child.connected) child.send(m as never)
    },
    onMessage: (l) => child.on('message', l),
    onExit: (l) => child.on('exit', (code, signal) => l(code, signal)),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
    get pid() {
      return child.pid
    }
  }
}

let factory: WorkerFactory = nodeFork

export function setWorkerFactory(f: WorkerFactory): void {
  factory = f
}

/** Finds the file to run for an entry: the built bundle when present, else the TS source. */
export function resolveWorkerFile(name: WorkerEntry): string {
  const built = join(__dirname, `${name}.js`)
  if (existsSync(built)) return built
  // Bundled, this module may sit in out/main/chunks while the worker entries are in out/main.
  const builtBesideChunks = join(__dirname, '..', `${name}.js`)
  if (existsSync(builtBesideChunks)) return builtBesideChunks
  const srcMain = resolve(__dirname, '..')
  const source = join(srcMain, workerEntries[name])
  if (existsSync(source)) return source
  // Bundled code runs from out/main; the sources sit at ../../src-main from there.
  const fromOut = resolve(__dirname, '../../src-main', workerEntries[name])
  if (existsSync(fromOut)) return fromOut
  throw new Error(`resolveWorkerFile: no bundle or source for worker '${name}' (looked for ${built} and ${source})`)
}

export function startWorker(name: WorkerEntry, env: Record<string, string> = {}): WorkerChannel {
  return factory(resolveWorkerFile(name), env)
}
