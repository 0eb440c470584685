/**
 * Worker threads for work that must share memory with its siblings (the data-parallel replicas
 * of a modality network sum their gradients through a SharedArrayBuffer). Entries are named as
 * the worker processes' (fork.ts): the built bundle `<name>.js` when present, else the TS source,
 * which a thread cannot run by itself, so tsx is registered in it first.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { resolveWorkerFile, type WorkerEntry } from './fork'

const runtimeRequire = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

export function startThread(name: WorkerEntry, workerData: unknown): Worker {
  const file = resolveWorkerFile(name)
  if (!file.endsWith('.ts')) return new Worker(file, { workerData })
  const tsx = runtimeRequire.resolve('tsx/cjs/api')
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)})`, { eval: true, workerData })
}
