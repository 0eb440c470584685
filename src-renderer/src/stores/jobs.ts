/**
 * Long jobs seen from the window: progress, the result or the failure, and Cancel.
 *
 * One subscription to the three `job.*` events feeds every job; views call `track` after a
 * request answered with a job id and await the job's result. Training progress (epoch, losses,
 * metrics) arrives the same way and is also forwarded to listeners (`onProgress`) so that the
 * training store can build its curves without a second subscription.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { JobProgress } from '@contract/contracts/app'
import { getApi } from '../api/client'
import { useErrorsStore } from './errors'

export type JobState = 'running' | 'done' | 'failed' | 'cancelled'

export interface TrackedJob {
  readonly jobId: string
  readonly kind: string
  /** What the user sees: "Creating the demo study". */
  readonly title: string
  state: JobState
  /** 0..1 or null when the total is not known yet. */
  fraction: number | null
  message: string
  /** Set when the job failed: the reason from the main process. */
  error?: string
  startedAt: number
  cancelling: boolean
}

interface Waiter {
  resolve: (result: unknown) => void
  reject: (err: Error) => void
}

/** Thrown by `track`'s promise when the user cancelled the job (callers usually ignore it). */
export class JobCancelledError extends Error {
  constructor(title: string) {
    super(`${title}: cancelled`)
    this.name = 'JobCancelledError'
  }
}

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, TrackedJob>>({})
  const waiters = new Map<string, Waiter>()
  // Events that arrive before `track` (a fast job can finish before the request's answer is
  // processed) are kept until the job is tracked.
  const early = new Map<string, { progress?: JobProgress; done?: unknown; error?: { message: string; cancelled: boolean } }>()
  const progressListeners = shallowRef<Array<(p: JobProgress) => void>>([])
  let unsubscribe: Array<() => void> = []

  const running = computed(() => Object.values(jobs.value).filter((j) => j.state === 'running'))

  /** Subscribes to the job events once (idempotent). */
  function connect(): void {
    if (unsubscribe.length > 0) return
    const api = getApi()
    unsubscribe = [
      api.on('job.progress', (p) => onProgress(p)),
      api.on('job.done', (d) => onDone(d.jobId, d.result)),
      api.on('job.error', (e) => onError(e.jobId, e.message, e.cancelled))
    ]
  }

  function disconnect(): void {
    for (const off of unsubscribe) off()
    unsubscribe = []
  }

  function onProgress(p: JobProgress): void {
    const job = jobs.value[p.jobId]
    if (!job) {
      early.set(p.jobId, { ...early.get(p.jobId), progress: p })
    } else if (job.state === 'running') {
      job.fraction = p.fraction
      job.message = p.message
    }
    for (const listener of progressListeners.value) listener(p)
  }

  function onDone(jobId: string, result: unknown): void {
    const job = jobs.value[jobId]
    if (!job) {
      early.set(jobId, { ...early.get(jobId), done: result })
      return
    }
    job.state = 'done'
    job.fraction = 1
    job.cancelling = false
    waiters.get(jobId)?.resolve(result)
    waiters.delete(jobId)
  }

  function onError(jobId: string, message: string, cancelled: boolean): void {
    const job = jobs.value[jobId]
    if (!job) {
      early.set(jobId, { ...early.get(jobId), error: { message, cancelled } })
      return
    }
    job.state = cancelled ? 'cancelled' : 'failed'
    job.cancelling = false
    if (!cancelled) {
      job.error = message
      useErrorsStore().report(job.title, message)
    }
    waiters.get(jobId)?.reject(cancelled ? new JobCancelledError(job.title) : new Error(`${job.title}: ${message}`))
    waiters.delete(jobId)
  }

  /**
   * Follows a started job; resolves with its result, rejects with its failure
   * (a `JobCancelledError` when cancelled). Failures are already reported to the errors store.
   */
  function track(jobId: string, kind: string, title: string): Promise<unknown> {
    connect()
    jobs.value[jobId] = { jobId, kind, title, state: 'running', fraction: null, message: 'Starting…', startedAt: Date.now(), cancelling: false }
    const promise = new Promise<unknown>((resolve, reject) => waiters.set(jobId, { resolve, reject }))
    const pending = early.get(jobId)
    early.delete(jobId)
    if (pending?.progress) onProgress(pending.progress)
    if (pending && 'done' in pending) onDone(jobId, pending.done)
    else if (pending?.error) onError(jobId, pending.error.message, pending.error.cancelled)
    return promise
  }

  /** Asks the main process to cancel; the job ends through `job.error` with cancelled = true. */
  async function cancel(jobId: string): Promise<void> {
    const job = jobs.value[jobId]
    if (!job || job.state !== 'running') return
    job.cancelling = true
    try {
      const { cancelled } = await getApi().call('job.cancel', { jobId })
      if (!cancelled) job.cancelling = false
    } catch (err) {
      job.cancelling = false
      useErrorsStore().report(`Cancelling "${job.title}"`, err)
    }
  }

  /** Removes finished jobs from the list. */
  function clearFinished(): void {
    for (const [id, job] of Object.entries(jobs.value)) if (job.state !== 'running') delete jobs.value[id]
  }

  /** Listens to every `job.progress` event; returns the function that stops listening. */
  function listenProgress(listener: (p: JobProgress) => void): () => void {
    progressListeners.value = [...progressListeners.value, listener]
    return () => {
      progressListeners.value = progressListeners.value.filter((l) => l !== listener)
    }
  }

  return { jobs, running, connect, disconnect, track, cancel, clearFinished, listenProgress }
})
