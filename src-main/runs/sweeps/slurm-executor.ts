/**
 * The Slurm executor: a sweep as a job array, task i training cell i (its index in the grid) with
 * the CLI's own `train --sweep NAME --cell ID` into the cell's run folder. The study folder must
 * be on a file system the compute nodes share: nothing is copied, the app reads what the tasks
 * write. sweeps/<name>/slurm/ holds
 *   cells.txt            line i+1 = the id of cell i (what a task reads to find its cell)
 *   task.sh              the array's batch script (rewritten at each submission)
 *   submissions.jsonl    one line per sbatch: job id, array indices, resources, time
 *   logs/<job>_<task>.out  each task's output, as Slurm writes it
 * A cell's latest submission is the one that follows it: resubmitting a failed or cancelled cell
 * makes a new (one-task) array.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { type CellState, SlurmResources } from '../../domain/sweep'
import { appendLinesDurable, ensureDir, writeFileAtomic } from '../../files/atomic'
import { type CellStatus, folderCellStatuses } from './cells'
import type { Sweep } from './folder'
import { type AccountedTask, type QueuedTask, accountedTasks, cancelTasks, endFromLog, queuedTasks, sbatchArgs, submitArray, taskKey } from './slurm'

export const SLURM_DIR = 'slurm'

const Submission = z.object({
  jobId: z.string().regex(/^\d+$/),
  indices: z.array(z.number().int().min(0)),
  submittedAt: z.string(),
  resources: SlurmResources
})
export type Submission = z.infer<typeof Submission>

const slurmDir = (sweep: Sweep) => join(sweep.dir, SLURM_DIR)
const logFile = (sweep: Sweep, jobId: string, index: number) => join(slurmDir(sweep), 'logs', `${jobId}_${index}.out`)

/** Reads a profile file: JSON with the keys of SlurmResources. @throws naming the file and the key */
export async function readSlurmProfile(file: string): Promise<SlurmResources> {
  let raw: unknown
  try {
    raw = JSON.parse(await fsp.readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`cannot read the Slurm profile ${file}: ${(err as Error).message}`, { cause: err })
  }
  const parsed = SlurmResources.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`the Slurm profile ${file}: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`)
  }
  return parsed.data
}

export async function readSubmissions(sweep: Sweep): Promise<Submission[]> {
  const file = join(slurmDir(sweep), 'submissions.jsonl')
  const text = await fsp.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return ''
    throw new Error(`cannot read ${file}: ${err.message}`)
  })
  const out: Submission[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      out.push(Submission.parse(JSON.parse(line)))
    } catch {
      // A torn last line after a kill: that submission's job id was never recorded.
    }
  }
  return out
}

/** The single-quoted shell word for `s`. */
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The batch script of the sweep's array: find the task's cell, run the CLI's train for it. */
export function taskScript(sweep: Sweep, cli: readonly string[], cwd: string): string {
  const cells = join(slurmDir(sweep), 'cells.txt')
  return `#!/bin/bash
# Written by 'sweep run --executor slurm' for sweep ${sweep.file.name} of the study ${sweep.study}.
# Array task i trains the cell on line i+1 of cells.txt into ${join(sweep.dir, 'cells')}/<cell>/.
set -euo pipefail
cell="$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${sh(cells)})"
if [ -z "$cell" ]; then echo "no cell for array task $SLURM_ARRAY_TASK_ID in ${cells.replace(/"/g, '')}" >&2; exit 2; fi
echo "cell $cell, task \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID} on $(hostname)"
cd ${sh(cwd)}
exec ${cli.map(sh).join(' ')} train --study ${sh(sweep.study)} --sweep ${sh(sweep.file.name)} --cell "$cell"
`
}

export interface SubmitOptions {
  resources: SlurmResources
  /** How to start this app's CLI on a compute node, e.g. [node, '--import', 'tsx', '/repo/src-main/cli.ts']. */
  cli: readonly string[]
  /** Working folder of the tasks (where the CLI's packages resolve). */
  cwd: string
  /** Only these cells (ids); default every cell that is neither done nor in the queue. */
  cells?: readonly string[]
}

/**
 * Submits the cells that need to run as one job array. Cells that are done or already queued are
 * never submitted again. Resolves to the submission, or null when there is nothing to submit.
 */
export async function submitSweep(sweep: Sweep, o: SubmitOptions): Promise<{ submission: Submission | null; statuses: CellStatus[] }> {
  const statuses = await slurmCellStatuses(sweep)
  const byId = new Map(statuses.map((s) => [s.cell.id, s]))
  const inQueue = (s: CellStatus) => s.state === 'queued' || s.state === 'running'
  let chosen: CellStatus[]
  if (o.cells) {
    chosen = o.cells.map((id) => {
      const s = byId.get(id)
      if (!s) throw new Error(`sweep '${sweep.file.name}' has no cell '${id}' (cells look like ${sweep.cells[0]?.id})`)
      if (s.state === 'done') throw new Error(`cell ${id} has finished; a finished cell never runs again`)
      if (inQueue(s)) throw new Error(`cell ${id} is already in Slurm's queue (${s.message})`)
      return s
    })
  } else chosen = statuses.filter((s) => s.state !== 'done' && !inQueue(s))
  if (chosen.length === 0) return { submission: null, statuses }

  const dir = slurmDir(sweep)
  await ensureDir(join(dir, 'logs'), 'study folder')
  await writeFileAtomic(join(dir, 'cells.txt'), sweep.cells.map((c) => c.id).join('\n') + '\n', 'study folder')
  const script = join(dir, 'task.sh')
  await writeFileAtomic(script, taskScript(sweep, o.cli, o.cwd), 'study folder')
  await fsp.chmod(script, 0o755)
  const indices = chosen.map((s) => s.cell.index)
  const args = sbatchArgs(o.resources, { jobName: `tcgm-${sweep.file.name}`, logPattern: join(dir, 'logs', '%A_%a.out'), indices, script })
  const jobId = await submitArray(args)
  const submission: Submission = { jobId, indices, submittedAt: new Date().toISOString(), resources: o.resources }
  await appendLinesDurable(join(dir, 'submissions.jsonl'), [JSON.stringify(submission)], 'study folder')
  return { submission, statuses: await slurmCellStatuses(sweep) }
}

const RUNNING_STATES = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'STAGE_OUT', 'SIGNALING', 'RESIZING'])
const FAILED_STATES: Record<string, string> = {
  FAILED: 'the task exited with an error',
  TIMEOUT: 'the task reached its time limit (raise --time)',
  OUT_OF_MEMORY: 'the task ran out of memory (raise --mem)',
  NODE_FAIL: 'its node failed',
  BOOT_FAIL: 'its node failed to boot',
  DEADLINE: 'it reached its deadline',
  PREEMPTED: 'it was preempted'
}

/**
 * A cell's state from its run folder, its latest task in Slurm's queue (or not), what sacct says
 * of that task (null: the cluster keeps no accounting) and its Slurm log (null: none written).
 */
export function cellStateFromSlurm(
  folder: CellStatus,
  key: string,
  queued: QueuedTask | undefined,
  accounted: AccountedTask | undefined | null,
  log: string | null
): CellStatus {
  const out = (state: CellState, message: string | null): CellStatus => ({ ...folder, state, message, slurmTask: key })
  if (folder.state === 'done') return { ...folder, slurmTask: key }
  if (queued) {
    return RUNNING_STATES.has(queued.state)
      ? out('running', `Slurm ${queued.state} (task ${key})`)
      : out('queued', `Slurm ${queued.state}${queued.reason && queued.reason !== 'None' ? `: ${queued.reason}` : ''} (task ${key})`)
  }
  if (accounted) {
    if (accounted.state === 'CANCELLED') return out('cancelled', `cancelled in Slurm (task ${key})`)
    const why = FAILED_STATES[accounted.state]
    if (why)
      return out(
        'failed',
        `Slurm ${accounted.state}: ${why}, exit code ${accounted.exitCode} (task ${key}, log slurm/logs/${key}.out)${folder.message ? `; ${folder.message}` : ''}`
      )
  }
  const end = log === null ? null : endFromLog(log)
  if (end === 'cancelled') return out('cancelled', `cancelled in Slurm while running (task ${key}); its checkpoints are kept`)
  if (end === 'timeout') return out('failed', `${FAILED_STATES.TIMEOUT} (task ${key})`)
  if (end === 'out-of-memory') return out('failed', `${FAILED_STATES.OUT_OF_MEMORY} (task ${key})`)
  if (log === null && folder.state === 'waiting')
    return out('cancelled', `left Slurm's queue before it started: cancelled, or dropped by the cluster (task ${key})`)
  if (folder.state === 'running' || folder.state === 'interrupted' || folder.state === 'waiting') {
    return out('interrupted', `the task left Slurm's queue without finishing (task ${key}, log slurm/logs/${key}.out)`)
  }
  return out(folder.state, `${folder.message ?? folder.state} (task ${key}, log slurm/logs/${key}.out)`)
}

/**
 * Every cell's state: the run folder for cells never submitted and for finished ones, Slurm's
 * queue (squeue) and accounting (sacct, where the cluster keeps it) for the others, and a
 * task's log where Slurm has neither.
 */
export async function slurmCellStatuses(sweep: Sweep): Promise<CellStatus[]> {
  const folder = await folderCellStatuses(sweep)
  const submissions = await readSubmissions(sweep)
  if (submissions.length === 0) return folder
  const latest = new Map<number, string>()
  for (const s of submissions) for (const i of s.indices) latest.set(i, s.jobId)
  const jobIds = [...new Set(latest.values())]
  let queue: Map<string, QueuedTask>
  try {
    queue = await queuedTasks(jobIds)
  } catch (err) {
    // Read where Slurm is not (a laptop with the study's folder): what the run folders say.
    const note = `Slurm's queue cannot be read here (${(err as Error).message}); state from the run folder`
    return folder.map((f) => (f.state === 'done' || !latest.has(f.cell.index) ? f : { ...f, message: f.message ? `${f.message}; ${note}` : note }))
  }
  const accounted = await accountedTasks(jobIds)
  return Promise.all(
    folder.map(async (f) => {
      const jobId = latest.get(f.cell.index)
      if (jobId === undefined) return f
      const log = await fsp.readFile(logFile(sweep, jobId, f.cell.index), 'utf8').catch(() => null)
      return cellStateFromSlurm(f, taskKey(jobId, f.cell.index), queue.get(taskKey(jobId, f.cell.index)), accounted?.get(taskKey(jobId, f.cell.index)), log)
    })
  )
}

/** Cancels the queued or running tasks of these cells (default: all of the sweep's). */
export async function cancelSweepCells(sweep: Sweep, cellIds?: readonly string[]): Promise<CellStatus[]> {
  const statuses = await slurmCellStatuses(sweep)
  const wanted = cellIds ? new Set(cellIds) : null
  for (const id of cellIds ?? []) if (!statuses.some((s) => s.cell.id === id)) throw new Error(`sweep '${sweep.file.name}' has no cell '${id}'`)
  const keys = statuses
    .filter((s) => (!wanted || wanted.has(s.cell.id)) && (s.state === 'queued' || s.state === 'running') && s.slurmTask)
    .map((s) => s.slurmTask!)
  await cancelTasks(keys)
  return statuses.filter((s) => s.slurmTask && keys.includes(s.slurmTask))
}
