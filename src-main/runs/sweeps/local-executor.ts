/**
 * The local executor: a sweep's cells trained on this machine, `parallel` at a time, each as a
 * single run would train (trainPreparedRun; a run already uses one process per modality). A
 * finished cell never runs again; a failed, cancelled or interrupted one continues from its last
 * checkpoint. Stopping (the signal) cancels the cells in training, which keep their checkpoints,
 * and starts no new one; running the sweep again picks up where it stopped.
 */
import { availableParallelism } from 'node:os'
import { trainPreparedRun } from '../train'
import { type CellStatus, countStates, folderCellStatuses } from './cells'
import { type Sweep, cellDir } from './folder'

/** Cells at once by default: one per two cores (each run trains its two modalities in two processes). */
export function defaultParallel(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2))
}

export interface SweepProgress {
  /** Over the whole grid: finished cells plus the running cells' own fractions, over all cells. */
  fraction: number
  done: number
  total: number
  /** Cells in training here, with their own progress line. */
  running: Array<{ cellId: string; fraction: number | null; message: string }>
}

export interface LocalRunOptions {
  parallel?: number
  signal?: AbortSignal
  onProgress?: (p: SweepProgress) => void
  /** Called when a cell ends (done, failed or cancelled). */
  onCellEnd?: (s: CellStatus) => void
}

export interface LocalRunResult {
  /** Every cell's state after the run. */
  statuses: CellStatus[]
  /** Cells this call trained (or tried to). */
  ran: string[]
}

export async function runSweepLocally(sweep: Sweep, o: LocalRunOptions = {}): Promise<LocalRunResult> {
  const parallel = o.parallel ?? defaultParallel()
  if (!(Number.isInteger(parallel) && parallel >= 1)) throw new Error(`runSweepLocally: parallel must be a whole number >= 1, got ${parallel}`)
  const before = await folderCellStatuses(sweep)
  const busy = before.filter((s) => s.state === 'running')
  if (busy.length) {
    throw new Error(
      `sweep '${sweep.file.name}': cell ${busy[0]!.cell.id} is being trained (${busy[0]!.message ?? 'its status says running'}); wait for it or stop that process first`
    )
  }
  const todo = before.filter((s) => s.state !== 'done').map((s) => s.cell)
  let done = countStates(before).done
  const total = sweep.cells.length
  const running = new Map<string, { fraction: number | null; message: string }>()
  const ran: string[] = []
  const report = () => {
    const within = [...running.values()].reduce((a, r) => a + (r.fraction ?? 0), 0)
    o.onProgress?.({ fraction: (done + within) / total, done, total, running: [...running].map(([cellId, r]) => ({ cellId, ...r })) })
  }

  let next = 0
  const lane = async () => {
    while (next < todo.length && !o.signal?.aborted) {
      const cell = todo[next++]!
      ran.push(cell.id)
      running.set(cell.id, { fraction: 0, message: 'starting' })
      report()
      let status: CellStatus
      try {
        const r = await trainPreparedRun(sweep.study, cellDir(sweep.study, sweep.file.name, cell.id), {
          signal: o.signal,
          onProgress: (fraction, message) => {
            running.set(cell.id, { fraction, message })
            report()
          }
        })
        status = { cell, state: r.status === 'done' ? 'done' : r.status, message: r.message, testAccuracy: r.testAccuracy, slurmTask: null }
      } catch (err) {
        // One cell failing does not stop the others; its status.json says why.
        status = { cell, state: o.signal?.aborted ? 'cancelled' : 'failed', message: (err as Error).message, testAccuracy: null, slurmTask: null }
      }
      running.delete(cell.id)
      if (status.state === 'done') done++
      o.onCellEnd?.(status)
      report()
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, Math.max(1, todo.length)) }, lane))
  return { statuses: await folderCellStatuses(sweep), ran }
}
