/**
 * Long jobs (import, preprocessing, training, export): started by a request that answers at
 * once with a job id, reported through `job.progress` / `job.done` / `job.error`, cancelled
 * through `job.cancel` (an AbortSignal the job must honour).
 */
import { randomUUID } from 'node:crypto'
import type { EventName, PayloadOf } from './contract'

export interface JobHandle {
  readonly id: string
  readonly kind: string
  readonly signal: AbortSignal
  /** fraction in 0..1 or null when unknown. */
  progress(fraction: number | null, message: string, detail?: unknown): void
}

export type Emit = <E extends EventName>(name: E, payload: PayloadOf<E>) => void

export class JobRegistry {
  private readonly running = new Map<string, AbortController>()

  constructor(private readonly emit: Emit) {}

  /** Starts `work` in the background and returns its id at once. */
  start(kind: string, work: (job: JobHandle) => Promise<unknown>): string {
    const id = randomUUID()
    const controller = new AbortController()
    this.running.set(id, controller)
    const handle: JobHandle = {
      id,
      kind,
      signal: controller.signal,
      progress: (fraction, message, detail) => {
        const f = fraction === null ? null : Math.min(1, Math.max(0, fraction))
        this.emit('job.progress', { jobId: id, kind, fraction: f, message, detail })
      }
    }
    // Run on the next tick so the caller receives the id before the first event.
    setImmediate(() => {
      work(handle)
        .then((result) => this.emit('job.done', { jobId: id, kind, result }))
        .catch((err: unknown) => {
          const message = err instanceof Error ? err.message : String(err)
          this.emit('job.error', { jobId: id, kind, message, cancelled: controller.signal.aborted })
        })
        .finally(() => this.running.delete(id))
    })
    return id
  }

  cancel(id: string): boolean {
    const controller = this.running.get(id)
    if (!controller) return false
    controller.abort(new Error('cancelled by the user'))
    return true
  }

  isRunning(id: string): boolean {
    return this.running.has(id)
  }

  cancelAll(): void {
    for (const c of this.running.values()) c.abort(new Error('the app is closing'))
  }
}
