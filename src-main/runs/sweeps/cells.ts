/**
 * Where each cell of a sweep stands according to its run folder alone: the truth for a cell that
 * finished, and for cells trained on this machine. Slurm's view is added by slurm-executor.ts.
 */
import type { RunSummary } from '../../domain/runs'
import type { CellState, SweepCell } from '../../domain/sweep'
import { runStarted } from '../folder'
import { runFolderSummary } from '../read'
import { type RunCallbacks, trainPreparedRun } from '../train'
import { type Sweep, cellDir } from './folder'

export interface CellStatus {
  cell: SweepCell
  state: CellState
  /** Why it failed, where it runs, what Slurm says; null when there is nothing to add. */
  message: string | null
  /** Mean test accuracy of the aggregator once done. */
  testAccuracy: number | null
  /** 'job_task' of the cell's latest Slurm submission, if it was submitted. */
  slurmTask: string | null
}

export async function folderCellStatus(sweep: Sweep, cell: SweepCell): Promise<CellStatus> {
  const dir = cellDir(sweep.study, sweep.file.name, cell.id)
  if (!(await runStarted(dir))) return { cell, state: 'waiting', message: null, testAccuracy: null, slurmTask: null }
  const r = await runFolderSummary(dir)
  return { cell, state: r.status, message: r.message, testAccuracy: r.testAccuracy, slurmTask: null }
}

export function folderCellStatuses(sweep: Sweep): Promise<CellStatus[]> {
  return Promise.all(sweep.cells.map((c) => folderCellStatus(sweep, c)))
}

/** Counts by state, in the order a progress line reads them. */
export function countStates(statuses: readonly CellStatus[]): Record<CellState, number> {
  const out: Record<CellState, number> = { done: 0, running: 0, queued: 0, waiting: 0, failed: 0, cancelled: 0, interrupted: 0 }
  for (const s of statuses) out[s.state]++
  return out
}

export function findCell(sweep: Sweep, cellId: string): SweepCell {
  const cell = sweep.cells.find((c) => c.id === cellId)
  if (!cell)
    throw new Error(
      `sweep '${sweep.file.name}' has no cell '${cellId}' (its cells: ${sweep.cells
        .slice(0, 3)
        .map((c) => c.id)
        .join(', ')}${sweep.cells.length > 3 ? ', ...' : ''})`
    )
  return cell
}

/**
 * Trains one cell (what a Slurm task runs, through the CLI's train --sweep --cell): a finished
 * cell is not trained again and resolves to its summary; any other continues from its checkpoints.
 */
export async function trainCell(sweep: Sweep, cellId: string, cb: RunCallbacks = {}): Promise<{ summary: RunSummary; alreadyDone: boolean }> {
  const dir = cellDir(sweep.study, sweep.file.name, findCell(sweep, cellId).id)
  if ((await runStarted(dir)) && (await runFolderSummary(dir)).status === 'done') return { summary: await runFolderSummary(dir), alreadyDone: true }
  return { summary: await trainPreparedRun(sweep.study, dir, cb), alreadyDone: false }
}
