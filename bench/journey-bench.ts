/**
 * The researcher's journey through the command line, timed, with peak memory:
 *   demo (N subjects) -> import -> label at rate R -> split -> train tcgm -> train ce -> export
 * then each run's aggregator test accuracy next to the oracle's (ground_truth.tsv) on the same
 * test subjects. A benchmark, not a test: it asserts nothing.
 *
 *   node --import tsx bench/journey-bench.ts [--subjects 120] [--label-rate 0.1] [--seeds 1]
 *        [--epochs E] [--preset tiny] [--seed 1] [--out DIR] [--keep]
 * Without --epochs, training runs the CLI's default number of epochs (what a user gets).
 *
 * Peak memory: the resident set of the command's whole process tree (the CLI and its training
 * workers), summed, sampled every 250 ms from /proc (Linux).
 */
import { spawn } from 'node:child_process'
import { promises as fsp, readFileSync, readdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_EPOCHS } from '../src-main/domain/training'
import { getRunDetail, listRuns } from '../src-main/runs/read'
import { loadStudy } from '../src-main/study/study'
import { GROUND_TRUTH_TSV } from '../src-main/demo/cohort'
import { oracleAccuracy, readGroundTruth } from './ground-truth'

const { values } = parseArgs({
  options: {
    subjects: { type: 'string', default: '120' },
    'label-rate': { type: 'string', default: '0.1' },
    seeds: { type: 'string', default: '1' },
    epochs: { type: 'string' },
    preset: { type: 'string', default: 'tiny' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false }
  }
})
const repo = resolve(__dirname, '..')
const work = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), 'tcgm-journey-'))

/** Sum of VmRSS (kB) over `pid` and its descendants. */
function treeRssKb(root: number): number {
  const parent = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parent.set(Number(name), ppid)
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true
    return false
  }
  let kb = 0
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) kb += Number(m[1])
    } catch {
      // ended
    }
  }
  return kb
}

interface Step {
  name: string
  seconds: number
  peakMb: number
}
const steps: Step[] = []

async function cli(name: string, args: string[]): Promise<string> {
  const started = Date.now()
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'src-main/cli.ts'), ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' }
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  let peak = 0
  const timer = setInterval(() => (peak = Math.max(peak, treeRssKb(child.pid!))), 250)
  const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)))
  clearInterval(timer)
  const s: Step = { name, seconds: (Date.now() - started) / 1000, peakMb: peak / 1024 }
  steps.push(s)
  process.stdout.write(`${name.padEnd(22)} ${s.seconds.toFixed(1).padStart(7)} s  peak ${s.peakMb.toFixed(0).padStart(5)} MB\n`)
  if (code !== 0) throw new Error(`${name} exited with ${code}\n${err.slice(-3000)}`)
  return out
}

async function main(): Promise<void> {
  const cohort = join(work, 'cohort')
  const study = join(work, 'study')
  process.stdout.write(
    `journey in ${work}: ${values.subjects} subjects, label rate ${values['label-rate']}, ${values.seeds} seed(s), ${values.epochs ?? `${DEFAULT_EPOCHS} (the default)`} epochs, preset ${values.preset}\n`
  )
  const t0 = Date.now()
  process.stdout.write(
    (await cli('demo', ['demo', '--out', cohort, '--subjects', values.subjects!, '--seed', values.seed!]))
      .split('\n')
      .filter((l) => l.startsWith('oracle'))
      .join('\n') + '\n'
  )
  await cli('import', ['import', cohort, '--study', study])
  await cli('label (simulate rate)', ['label', '--study', study, '--simulate-rate', values['label-rate']!, '--seed', values.seed!, '--splits', values.seed!])
  const train = ['--study', study, '--preset', values.preset!, '--seeds', values.seeds!, ...(values.epochs ? ['--epochs', values.epochs] : [])]
  await cli('train tcgm', ['train', '--method', 'tcgm', ...train])
  await cli('train ce', ['train', '--method', 'ce', ...train])
  const runs = await listRuns(study)
  for (const r of runs) await cli(`export ${r.method}`, ['export', '--study', study, '--run', r.id, '--out', join(work, 'export')])
  const total = (Date.now() - t0) / 1000

  // Accuracy on the test split next to the oracle's on the same subjects.
  const s = await loadStudy(study)
  const gt = readGroundTruth(join(cohort, GROUND_TRUTH_TSV))
  const test = Object.entries(s.file.splits!.assignment)
    .filter(([id, v]) => v === 'test' && gt.has(id))
    .map(([id]) => id)
  process.stdout.write(`\ntest subjects: ${test.length}; oracle (both modalities) accuracy ${(100 * oracleAccuracy(gt, test)).toFixed(1)}%\n`)
  for (const r of runs) {
    const d = await getRunDetail(study, r.id)
    for (const m of d.metrics.filter((x) => x.split === 'test')) {
      process.stdout.write(
        `${r.method.padEnd(5)} ${m.model.padEnd(10)} accuracy ${(100 * m.mean.accuracy).toFixed(1)} +- ${(100 * m.std.accuracy).toFixed(1)}  balanced ${(100 * m.mean.balancedAccuracy).toFixed(1)}\n`
      )
    }
  }
  const peak = Math.max(...steps.map((x) => x.peakMb))
  process.stdout.write(`\ntotal ${total.toFixed(0)} s (${(total / 60).toFixed(1)} min); peak memory of any step ${peak.toFixed(0)} MB\n`)
  if (!values.keep && !values.out) await fsp.rm(work, { recursive: true, force: true })
}

main().catch((err: unknown) => {
  process.stderr.write(`journey failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
