/**
 * Starts a training run in a worker process and follows it. `done` resolves with the result (or
 * a 'cancelled' status) and rejects with a clear message when the worker reports an error,
 * crashes, is killed, or exits without answering: it never hangs.
 */
import { basename, dirname } from 'node:path'
import { startWorker, type WorkerChannel } from '../../process/fork'
import { isFromWorker, TRAIN_PROTOCOL_VERSION, type RunEvent, type RunResult, type RunSpec, type ToWorker } from './protocol'

export interface RunHandle {
  /** Asks the worker to stop before its next step; it is killed if it has not exited after `graceMs`. */
  cancel(): void
  done: Promise<RunResult>
  /** Process id of the worker (undefined once it could not start). */
  readonly pid: number | undefined
}

export interface RunClientOptions {
  onEvent(e: RunEvent): void
  /** How long a cancelled worker may take to exit before it is killed (default 10 s). */
  graceMs?: number
}

export function startTrainingRun(spec: RunSpec, opts: RunClientOptions): RunHandle {
  const worker: WorkerChannel = startWorker('train-worker')
  let settled = false
  let lastProgress = ''
  let cancelTimer: NodeJS.Timeout | null = null
  const done = new Promise<RunResult>((resolve, reject) => {
    const finish = (f: () => void): void => {
      if (settled) return
      settled = true
      if (cancelTimer) clearTimeout(cancelTimer)
      f()
    }
    worker.onMessage((m) => {
      if (!isFromWorker(m)) return
      if (m.v !== TRAIN_PROTOCOL_VERSION) {
        finish(() => reject(new Error(`training worker speaks protocol version ${m.v}, expected ${TRAIN_PROTOCOL_VERSION}`)))
        worker.kill()
        return
      }
      switch (m.type) {
        case 'started':
          opts.onEvent({ type: 'started', pid: m.pid, modalities: m.modalities, numSubjects: m.numSubjects })
          break
        case 'progress':
          lastProgress = ` (last progress: epoch ${m.progress.epoch + 1}/${m.progress.epochs}, step ${m.progress.step}/${m.progress.stepsInEpoch})`
          opts.onEvent({ type: 'progress', progress: m.progress })
          break
        case 'done':
          finish(() => resolve(m.result))
          break
        case 'error':
          finish(() => reject(new Error(`training run '${spec.kind}' in ${spec.runDir} failed: ${m.message}`)))
          break
      }
    })
    worker.onExit((code, signal) => {
      finish(() =>
        reject(
          new Error(
            `training worker for '${spec.kind}' in ${spec.runDir} exited ${signal ? `on signal ${signal}` : `with code ${code}`} before finishing${lastProgress}; ` +
              `its last checkpoint is in ${spec.runDir}/checkpoints; ${resumeHint(spec)}`
          )
        )
      )
    })
  })
  worker.send({ v: TRAIN_PROTOCOL_VERSION, type: 'start', spec } satisfies ToWorker)
  return {
    cancel: () => {
      if (settled) return
      worker.send({ v: TRAIN_PROTOCOL_VERSION, type: 'cancel' } satisfies ToWorker)
      if (!cancelTimer) cancelTimer = setTimeout(() => worker.kill(), opts.graceMs ?? 10_000)
    },
    done,
    get pid() {
      return worker.pid
    }
  }
}

/** How to continue a crashed run: a study's run (<study>/runs/<id>/<seed folder>) by its
 *  command; others by running the same command with resume. */
export function resumeHint(spec: Pick<RunSpec, 'kind' | 'runDir'>): string {
  const run = dirname(spec.runDir)
  const runs = dirname(run)
  if (spec.kind !== 'study' || basename(runs) !== 'runs') return 'run the same command again with resume to continue from it'
  return `continue it with: npm run cli -- train --study ${dirname(runs)} --resume ${basename(run)} (or Resume in the window's Results view)`
}
