/**
 * The import's ScanPreprocessor on several CPU cores: a pool of preprocess worker processes
 * (preprocess-worker-entry.ts), because the imaging pipeline is synchronous CPU work and, run
 * in this process, preprocesses one scan at a time whatever the import's concurrency.
 *
 * - Size: at most `size` workers, started lazily when a scan needs one (the import's
 *   concurrency, capped at the CPU cores by `importPreprocessor`).
 * - Memory bound: one scan in flight per worker (each holds a few MNI 91x109x91 volumes while
 *   it works); requests beyond that wait in this process as file names only.
 * - Crash: a worker that dies fails the scan it was working on with an error naming the file;
 *   it leaves the pool, and the next scan starts a fresh one.
 * - Cancel: an aborted signal rejects the scan's request at once (queued or running) and kills
 *   the worker running it.
 * - `close()` kills every worker; `runImport` calls it when the import ends, however it ends.
 *   A pool belongs to one import at a time; after close it starts workers again when asked.
 */
import { availableParallelism } from 'node:os'
import { type WorkerChannel, startWorker } from '../../process/fork'
import { checkAborted } from './plan'
import type { ScanPreprocessor } from './run'
import { imagingPreprocessor } from './preprocess'
import { PREPROCESS_PROTOCOL_VERSION as V, type FromPreprocessWorker, type PreprocessOutput, type PreprocessRequest } from './preprocess-protocol'

export interface PreprocessPoolOptions {
  /** Worker processes at most (>= 1). */
  size: number
  /** Starts one worker; default startWorker('preprocess-worker') (tests wrap it). */
  start?: () => WorkerChannel
}

export interface PreprocessPool extends ScanPreprocessor {
  readonly size: number
  /** Kills every worker and rejects queued requests; resolves once the workers have exited. */
  close(): Promise<void>
}

interface Job {
  request: Omit<PreprocessRequest, 'v' | 'type' | 'id'>
  resolve: (r: PreprocessOutput) => void
  reject: (e: Error) => void
  signal?: AbortSignal
  onAbort?: () => void
}

interface Slot {
  channel: WorkerChannel
  ready: boolean
  /** The job this worker is running (one at a time: the memory bound). */
  job: Job | null
  jobId: number
  /** Set once the worker is gone or is being killed; the slot takes no more jobs. */
  dead: boolean
  exited: Promise<void>
}

/** CPU cores this process may use (the default import concurrency). */
export function cpuCores(): number {
  return Math.max(1, availableParallelism())
}

export function createPreprocessPool(opts: PreprocessPoolOptions): PreprocessPool {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error(`createPreprocessPool: size must be a whole number >= 1, got ${opts.size}`)
  const start = opts.start ?? (() => startWorker('preprocess-worker'))
  const slots: Slot[] = []
  /** Workers not yet exited, retired ones included: close() waits for them all. */
  const living = new Set<Slot>()
  const queue: Job[] = []
  let nextId = 1

  const settle = (job: Job, outcome: { ok: true; result: PreprocessOutput } | { ok: false; error: Error }) => {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort)
    if (outcome.ok) job.resolve(outcome.result)
    else job.reject(outcome.error)
  }

  const retire = (slot: Slot) => {
    slot.dead = true
    const i = slots.indexOf(slot)
    if (i >= 0) slots.splice(i, 1)
  }

  const spawn = (): void => {
    let resolveExit!: () => void
    const slot: Slot = { channel: start(), ready: false, job: null, jobId: 0, dead: false, exited: new Promise((r) => (resolveExit = r)) }
    slots.push(slot)
    living.add(slot)
    slot.channel.onMessage((raw) => {
      const msg = raw as FromPreprocessWorker
      if (slot.dead) return
      if (msg.type === 'ready') {
        slot.ready = true
        return pump()
      }
      if (msg.type !== 'result' || msg.id !== slot.jobId || !slot.job) return
      const job = slot.job
      slot.job = null
      settle(job, msg.ok ? { ok: true, result: msg.result } : { ok: false, error: new Error(msg.error) })
      pump()
    })
    slot.channel.onExit((code, signal) => {
      living.delete(slot)
      resolveExit()
      if (slot.dead) return
      const wasReady = slot.ready
      retire(slot)
      const how = signal ?? `code ${code}`
      if (slot.job) {
        const job = slot.job
        slot.job = null
        settle(job, { ok: false, error: new Error(`preprocess worker (pid ${slot.channel.pid ?? '?'}) died (${how}) while preprocessing ${job.request.file}`) })
      } else if (!wasReady && queue.length) {
        // It never started: fail the scan that asked for it, so a worker that cannot start
        // fails the scans one by one instead of restarting forever.
        const job = queue.shift()!
        settle(job, { ok: false, error: new Error(`preprocess worker exited before it was ready (${how}); ${job.request.file} was not preprocessed`) })
      }
      pump()
    })
  }

  /** Hands queued jobs to idle ready workers, starting workers up to `size`. */
  function pump(): void {
    for (const job of queue.filter((j) => j.signal?.aborted)) job.onAbort?.()
    for (const slot of slots) {
      if (!queue.length) return
      if (slot.dead || !slot.ready || slot.job) continue
      const job = queue.shift()!
      slot.job = job
      slot.jobId = nextId++
      const msg: PreprocessRequest = { v: V, type: 'run', id: slot.jobId, ...job.request }
      slot.channel.send(msg)
    }
    const starting = slots.filter((s) => !s.ready && !s.dead).length
    const wanted = Math.min(queue.length - starting, opts.size - slots.length)
    for (let i = 0; i < wanted; i++) spawn()
  }

  const run: ScanPreprocessor['run'] = (file, modality, settings, o) =>
    new Promise<PreprocessOutput>((resolve, reject) => {
      checkAborted(o.signal)
      const job: Job = {
        request: { file, modality, settings, suv: o.suv, scan: { input: o.input, t1File: o.t1File, dicomSeries: o.dicomSeries, studyDir: o.studyDir } },
        resolve,
        reject,
        signal: o.signal
      }
      if (o.signal) {
        job.onAbort = () => {
          const error = abortError(o.signal!)
          const q = queue.indexOf(job)
          if (q >= 0) queue.splice(q, 1)
          const slot = slots.find((s) => s.job === job)
          if (slot) {
            slot.job = null
            retire(slot)
            slot.channel.kill()
          }
          settle(job, { ok: false, error })
          pump()
        }
        o.signal.addEventListener('abort', job.onAbort, { once: true })
      }
      queue.push(job)
      pump()
    })

  return {
    size: opts.size,
    settingsHash: imagingPreprocessor.settingsHash,
    run,
    async close() {
      const closing = [...slots]
      const waiting = [...living].map((s) => s.exited)
      for (const job of queue.splice(0)) settle(job, { ok: false, error: new Error(`preprocess pool closed before ${job.request.file} was preprocessed`) })
      for (const slot of closing) {
        const job = slot.job
        slot.job = null
        retire(slot)
        slot.channel.kill()
        if (job) settle(job, { ok: false, error: new Error(`preprocess pool closed while preprocessing ${job.request.file}`) })
      }
      await Promise.all(waiting)
    }
  }
}

function abortError(signal: AbortSignal): Error {
  try {
    checkAborted(signal)
  } catch (e) {
    return e as Error
  }
  return new Error('import cancelled')
}

/**
 * The preprocessor for an import running `concurrency` scans at once: in this process for 1,
 * else a pool of min(concurrency, CPU cores) workers (close it, or let runImport close it).
 */
export function importPreprocessor(concurrency: number): ScanPreprocessor {
  const size = Math.min(Math.max(1, Math.floor(concurrency)), cpuCores())
  return size <= 1 ? imagingPreprocessor : createPreprocessPool({ size })
}

/**
 * What an import from the app or the CLI runs with: `workers` scans preprocessed at once
 * (default: the CPU cores; 1 = in this process), and runImport's concurrency at two tasks per
 * worker, so that one task's file checks and cache write (gzip, fsync) overlap the other's
 * preprocessing. The memory bound holds: at most `workers` scans are preprocessed at once; the
 * extra tasks hold only their file name or their crops.
 */
export function parallelImport(workers: number = cpuCores()): { preprocessor: ScanPreprocessor; concurrency: number } {
  const preprocessor = importPreprocessor(workers)
  return { preprocessor, concurrency: 2 * ((preprocessor as Partial<PreprocessPool>).size ?? 1) }
}
