/**
 * Slurm's own commands (sbatch, squeue, sacct, scancel, sinfo), called as a researcher would call
 * them, and what their output means. No scheduling of our own: Slurm decides where and when.
 *
 * sacct needs the cluster's accounting database (slurmdbd); where there is none (a one-node test
 * cluster, some small clusters) `accountedTasks` says so (null), and the sweep judges tasks that
 * left the queue by their run folder and their Slurm log instead.
 */
import { execFile } from 'node:child_process'
import { userInfo } from 'node:os'
import type { SlurmResources } from '../../domain/sweep'

/** CPUs per task when the profile does not say: a run trains one process per modality. */
export const DEFAULT_CPUS_PER_TASK = 2

/** Array indices as sbatch wants them: '0-3,5,7-8'. */
export function arraySpec(indices: readonly number[]): string {
  const xs = [...new Set(indices)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < xs.length;) {
    let j = i
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`)
    i = j + 1
  }
  return parts.join(',')
}

/** sbatch's arguments for an array of the given cell indices running `script`. */
export function sbatchArgs(res: SlurmResources, o: { jobName: string; logPattern: string; indices: readonly number[]; script: string }): string[] {
  const args = ['--parsable', `--job-name=${o.jobName}`, `--output=${o.logPattern}`, `--cpus-per-task=${res.cpusPerTask ?? DEFAULT_CPUS_PER_TASK}`]
  args.push(`--array=${arraySpec(o.indices)}${res.maxRunning ? `%${res.maxRunning}` : ''}`)
  if (res.partition) args.push(`--partition=${res.partition}`)
  if (res.time) args.push(`--time=${res.time}`)
  if (res.mem) args.push(`--mem=${res.mem}`)
  if (res.gpus) args.push(`--gres=gpu:${res.gpus}`)
  if (res.account) args.push(`--account=${res.account}`)
  if (res.qos) args.push(`--qos=${res.qos}`)
  args.push(...(res.extraArgs ?? []), o.script)
  return args
}

interface Ran {
  code: number
  stdout: string
  stderr: string
}

function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`${cmd} was not found on the PATH: run this where Slurm's commands are installed (a cluster's login node)`))
        return
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

/** Submits the array; resolves to the job id. */
export async function submitArray(args: readonly string[]): Promise<string> {
  const r = await run('sbatch', args)
  if (r.code !== 0) throw new Error(`sbatch failed: ${r.stderr.trim() || `exit code ${r.code}`}`)
  // --parsable prints 'jobid' or 'jobid;cluster'.
  const id = r.stdout.trim().split(';')[0] ?? ''
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed '${r.stdout.trim()}' where a job id was expected`)
  return id
}

/** A task's place in Slurm: 'job_task'. */
export const taskKey = (jobId: string, index: number) => `${jobId}_${index}`

export interface QueuedTask {
  state: string
  reason: string
}

/** The user's queued (pending, running, completing...) array tasks by 'job_task'. */
export async function queuedTasks(jobIds: readonly string[]): Promise<Map<string, QueuedTask>> {
  const out = new Map<string, QueuedTask>()
  if (jobIds.length === 0) return out
  const user = userInfo().username
  // Listing the user's jobs rather than asking for job ids: squeue fails on an id the controller
  // has already forgotten.
  const r = await run('squeue', ['-h', '-r', '-u', user, '-o', '%F|%K|%T|%r'])
  if (r.code !== 0) throw new Error(`squeue failed: ${r.stderr.trim() || `exit code ${r.code}`}`)
  const wanted = new Set(jobIds)
  for (const line of r.stdout.split('\n')) {
    const [job, task, state, reason] = line.trim().split('|')
    if (!job || !wanted.has(job) || !task || !/^\d+$/.test(task)) continue
    out.set(taskKey(job, Number(task)), { state: state ?? '', reason: reason ?? '' })
  }
  return out
}

export interface AccountedTask {
  state: string
  exitCode: string
}

/** Final states from the accounting database, or null where the cluster keeps none. */
export async function accountedTasks(jobIds: readonly string[]): Promise<Map<string, AccountedTask> | null> {
  if (jobIds.length === 0) return new Map()
  let r: Ran
  try {
    r = await run('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode'])
  } catch {
    return null
  }
  if (r.code !== 0) return null // "Slurm accounting storage is disabled", or no slurmdbd answering
  const out = new Map<string, AccountedTask>()
  for (const line of r.stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|')
    const m = /^(\d+)_(\d+)$/.exec(id ?? '')
    if (m) out.set(taskKey(m[1]!, Number(m[2])), { state: (state ?? '').split(' ')[0]!, exitCode: exitCode ?? '' })
  }
  return out
}

export async function cancelTasks(keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return
  const r = await run('scancel', keys)
  if (r.code !== 0) throw new Error(`scancel failed: ${r.stderr.trim() || `exit code ${r.code}`}`)
}

/** Whether Slurm's client commands answer here (used to offer the executor, and by tests). */
export async function slurmAvailable(): Promise<boolean> {
  try {
    return (await run('sinfo', ['-h', '-o', '%P'], 10_000)).code === 0
  } catch {
    return false
  }
}

/** What a task's Slurm log says about how it ended, when Slurm wrote it there. */
export function endFromLog(text: string): 'cancelled' | 'timeout' | 'out-of-memory' | null {
  if (/CANCELLED AT .* DUE TO TIME LIMIT/.test(text)) return 'timeout'
  if (/CANCELLED AT/.test(text)) return 'cancelled'
  if (/oom[-_ ]kill|Out Of Memory/i.test(text)) return 'out-of-memory'
  return null
}
