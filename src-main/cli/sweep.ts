/**
 * `sweep create|run|status|collect|cancel --study DIR --name NAME ...`: an experiment of many
 * runs (methods x label rates x seeds, optionally x presets x learning rates), run here or as a
 * Slurm job array, collected into one table and figure.
 *
 *   sweep create --study S --name N --methods tcgm,ce --label-rates 5%,10%,20% --seeds 0-2
 *                [--presets tiny] [--learning-rates 0.01,0.001] [--epochs 30]
 *   sweep run --study S --name N [--executor local] [--parallel K]
 *   sweep run --study S --name N --executor slurm [--profile FILE] [--partition P] [--time T]
 *             [--mem M] [--gpus G] [--account A] [--qos Q] [--cpus-per-task C] [--max-running K]
 *             [--cell ID ...]
 *   sweep status --study S [--name N]       (no name: the study's sweeps)
 *   sweep collect --study S --name N        (writes metrics.tsv and report.html in the sweep)
 *   sweep cancel --study S --name N [--cell ID ...]   (Slurm tasks; scancel)
 */
import { parseArgs } from 'node:util'
import { Method } from '../domain/method'
import { type SlurmResources, SlurmResources as SlurmResourcesSchema, type SweepGrid } from '../domain/sweep'
import { TRAINING_DEFAULTS } from '../domain/training'
import { sweepMetricsTsv, sweepReportHtml, writeSweepResults } from '../export/sweep-report'
import { type CellStatus, countStates, folderCellStatuses } from '../runs/sweeps/cells'
import { finishedCells, sweepTable } from '../runs/sweeps/collect'
import { type Sweep, createSweep, listSweeps, readSweep } from '../runs/sweeps/folder'
import { defaultParallel, runSweepLocally } from '../runs/sweeps/local-executor'
import { cancelSweepCells, readSlurmProfile, readSubmissions, slurmCellStatuses, submitSweep } from '../runs/sweeps/slurm-executor'
import { loadStudy } from '../study/study'
import { intOption, progressPrinter, requireOption } from './study-args'

export const summary = 'Sweeps of methods x label rates x seeds, run here or through Slurm (sbatch --array), collected into a table and figure'

export const usage = `usage: sweep create --study DIR --name NAME --methods tcgm,ce --label-rates 5%,10%,20% --seeds 0-2
                    [--presets tiny,small] [--learning-rates 0.01,0.001] [--epochs E]
       sweep run --study DIR --name NAME [--executor local] [--parallel K]
       sweep run --study DIR --name NAME --executor slurm [--profile FILE] [--partition P] [--time T]
                 [--mem M] [--gpus G] [--account A] [--qos Q] [--cpus-per-task C] [--max-running K] [--cell ID ...]
       sweep status --study DIR [--name NAME]      the cells' states (no name: the study's sweeps)
       sweep collect --study DIR --name NAME       metrics.tsv and report.html in the sweep's folder
       sweep cancel --study DIR --name NAME [--cell ID ...]   scancel the sweep's queued or running tasks`

const OPTIONS = {
  study: { type: 'string' },
  name: { type: 'string' },
  methods: { type: 'string' },
  'label-rates': { type: 'string' },
  seeds: { type: 'string' },
  presets: { type: 'string' },
  'learning-rates': { type: 'string' },
  epochs: { type: 'string' },
  executor: { type: 'string' },
  parallel: { type: 'string' },
  cell: { type: 'string', multiple: true },
  profile: { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  mem: { type: 'string' },
  gpus: { type: 'string' },
  account: { type: 'string' },
  qos: { type: 'string' },
  'cpus-per-task': { type: 'string' },
  'max-running': { type: 'string' }
} as const

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values']

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

/** '0-2' or '0,1,2' (or both: '0-2,5'). */
export function parseSeeds(v: string): number[] {
  const out: number[] = []
  for (const part of list(v)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) throw new Error(`sweep: --seeds takes whole numbers and ranges like 0-2, got '${part}'`)
    for (let s = Number(m[1]); s <= Number(m[2] ?? m[1]); s++) out.push(s)
  }
  return out
}

/** '0.05,0.1' or '5%,10%'. */
export function parseRates(v: string): number[] {
  return list(v).map((part) => {
    const pct = part.endsWith('%')
    const n = Number(pct ? part.slice(0, -1) : part)
    if (!Number.isFinite(n)) throw new Error(`sweep: --label-rates takes fractions (0.1) or percentages (10%), got '${part}'`)
    return pct ? n / 100 : n
  })
}

function numbers(name: string, v: string): number[] {
  return list(v).map((part) => {
    const n = Number(part)
    if (!Number.isFinite(n)) throw new Error(`sweep: --${name} takes numbers, got '${part}'`)
    return n
  })
}

async function create(study: string, name: string, v: Values): Promise<number> {
  const methods = list(requireOption('sweep create', 'methods', v.methods)).map((m) => {
    const p = Method.safeParse(m)
    if (!p.success) throw new Error(`sweep create: --methods are ${Method.options.join(', ')}; got '${m}'`)
    return p.data
  })
  const grid = {
    methods,
    labelRates: parseRates(requireOption('sweep create', 'label-rates', v['label-rates'])),
    seeds: parseSeeds(requireOption('sweep create', 'seeds', v.seeds)),
    presets: list(v.presets ?? TRAINING_DEFAULTS.preset),
    learningRates: v['learning-rates'] ? numbers('learning-rates', v['learning-rates']) : []
  } as SweepGrid
  const sweep = await createSweep(study, { name, grid, epochs: intOption('sweep create', 'epochs', v.epochs, TRAINING_DEFAULTS.epochs) })
  process.stdout.write(`sweep ${name}: ${sweep.cells.length} cells in ${sweep.dir}\n`)
  return 0
}

/** Options over the profile over the defaults. */
async function resources(v: Values): Promise<SlurmResources> {
  const base = v.profile ? await readSlurmProfile(v.profile) : {}
  const given: Record<string, unknown> = {
    partition: v.partition,
    time: v.time,
    mem: v.mem,
    gpus: v.gpus === undefined ? undefined : intOption('sweep run', 'gpus', v.gpus),
    account: v.account,
    qos: v.qos,
    cpusPerTask: v['cpus-per-task'] === undefined ? undefined : intOption('sweep run', 'cpus-per-task', v['cpus-per-task']),
    maxRunning: v['max-running'] === undefined ? undefined : intOption('sweep run', 'max-running', v['max-running'])
  }
  const merged = { ...base, ...Object.fromEntries(Object.entries(given).filter(([, x]) => x !== undefined)) }
  const parsed = SlurmResourcesSchema.safeParse(merged)
  if (!parsed.success) throw new Error(`sweep run: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`)
  return parsed.data
}

/** How a Slurm task starts this same CLI: this process's node, its flags (tsx) and script. */
function thisCli(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!]
}

async function runCmd(sweep: Sweep, v: Values): Promise<number> {
  const executor = v.executor ?? 'local'
  if (executor === 'slurm') {
    const { submission, statuses } = await submitSweep(sweep, { resources: await resources(v), cli: thisCli(), cwd: process.cwd(), cells: v.cell })
    if (!submission) {
      process.stdout.write(`nothing to submit: ${describeCounts(statuses)}\n`)
      return 0
    }
    process.stdout.write(
      `submitted job ${submission.jobId}: ${submission.indices.length} task(s) (array ${submission.indices.join(',')}); follow with 'sweep status'\n`
    )
    return 0
  }
  if (executor !== 'local') throw new Error(`sweep run: --executor is local or slurm, got '${executor}'`)
  if (v.cell) throw new Error('sweep run: --cell is for --executor slurm; the local executor runs every cell not done')
  if ((await readSubmissions(sweep)).length) {
    const queued = (await slurmCellStatuses(sweep)).filter((s) => s.state === 'queued' || s.state === 'running')
    if (queued.length)
      throw new Error(
        `sweep run: ${queued.length} cell(s) of '${sweep.file.name}' are in Slurm's queue (${queued[0]!.cell.id}, ...); cancel them ('sweep cancel') or let them finish before running here`
      )
  }
  const controller = new AbortController()
  const onSignal = () => {
    process.stderr.write('\nstopping the cells in training after their current step (run the sweep again to resume)...\n')
    controller.abort(new Error('cancelled from the command line'))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const progress = progressPrinter()
  let result
  try {
    result = await runSweepLocally(sweep, {
      parallel: v.parallel === undefined ? defaultParallel() : intOption('sweep run', 'parallel', v.parallel),
      signal: controller.signal,
      onProgress: (p) => progress.update(p.fraction, `${p.done}/${p.total} cells done${p.running.map((r) => `; ${r.cellId}: ${r.message}`).join('')}`),
      onCellEnd: (s) => {
        progress.done()
        process.stderr.write(`cell ${s.cell.id}: ${s.state}${s.message ? ` (${s.message})` : ''}\n`)
      }
    })
  } finally {
    progress.done()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  process.stdout.write(`sweep ${sweep.file.name}: ${describeCounts(result.statuses)}\n`)
  return result.statuses.every((s) => s.state === 'done') ? 0 : 4
}

function describeCounts(statuses: readonly CellStatus[]): string {
  const c = countStates(statuses)
  return Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ')
}

/** Slurm's view where the sweep was submitted, else the run folders'. */
async function statuses(sweep: Sweep): Promise<CellStatus[]> {
  return (await readSubmissions(sweep)).length ? slurmCellStatuses(sweep) : folderCellStatuses(sweep)
}

async function status(sweep: Sweep): Promise<number> {
  const st = await statuses(sweep)
  const width = Math.max(...st.map((s) => s.cell.id.length), 4)
  process.stdout.write(`${'cell'.padEnd(width)}  ${'state'.padEnd(11)}  test acc  note\n`)
  for (const s of st) {
    const acc = s.testAccuracy === null ? '' : `${(100 * s.testAccuracy).toFixed(1)}%`
    process.stdout.write(`${s.cell.id.padEnd(width)}  ${s.state.padEnd(11)}  ${acc.padEnd(8)}  ${s.message ?? ''}\n`)
  }
  process.stdout.write(`${describeCounts(st)} (${st.length} cells)\n`)
  return 0
}

async function collect(sweep: Sweep): Promise<number> {
  const st = await statuses(sweep)
  const rows = sweepTable(await finishedCells(sweep, st))
  const unfinished = st.filter((s) => s.state !== 'done')
  const tsv = sweepMetricsTsv(rows)
  const files = await writeSweepResults(sweep.dir, tsv, sweepReportHtml(sweep.file, (await loadStudy(sweep.study)).file.name, rows, unfinished, st.length))
  process.stdout.write(tsv)
  if (unfinished.length)
    process.stderr.write(
      `${unfinished.length} of ${st.length} cells are not finished (${describeCounts(unfinished)}); their seeds are missing from the table\n`
    )
  for (const f of files) process.stdout.write(`${f}\n`)
  return 0
}

async function cancel(sweep: Sweep, v: Values): Promise<number> {
  const cancelled = await cancelSweepCells(sweep, v.cell)
  process.stdout.write(
    cancelled.length ? cancelled.map((s) => `cancelled ${s.cell.id} (task ${s.slurmTask})\n`).join('') : "no cell of this sweep is in Slurm's queue\n"
  )
  return 0
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (!sub || !['create', 'run', 'status', 'collect', 'cancel'].includes(sub)) {
    throw new Error(`sweep: the subcommands are create, run, status, collect and cancel; got '${sub ?? ''}'`)
  }
  const { values } = parseArgs({ args: rest, options: OPTIONS })
  const study = requireOption(`sweep ${sub ?? ''}`.trim(), 'study', values.study)
  if (sub === 'status' && values.name === undefined) {
    const names = await listSweeps(study)
    process.stdout.write(names.length ? names.map((n) => `${n}\n`).join('') : `no sweeps in ${study}\n`)
    return 0
  }
  const name = requireOption(`sweep ${sub ?? ''}`.trim(), 'name', values.name)
  switch (sub) {
    case 'create':
      return create(study, name, values)
    case 'run':
      return runCmd(await readSweep(study, name), values)
    case 'status':
      return status(await readSweep(study, name))
    case 'collect':
      return collect(await readSweep(study, name))
    default:
      return cancel(await readSweep(study, name), values)
  }
}
