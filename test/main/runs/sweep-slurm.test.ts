/**
 * A sweep through a real Slurm cluster (CI starts a one-node one: .ci/slurm-local.sh): a tiny
 * sweep (2 methods x 2 label rates x 2 seeds, 1 epoch) goes in as one job array whose tasks run
 * the CLI's train for their cells; one task is cancelled with scancel and shows as cancelled;
 * resubmitting sends that cell alone; collect gives the table; and the same cells trained by the
 * local executor end with the same posteriors (deterministic on CPU).
 *
 * Without Slurm's commands answering here the test says so and skips; with TCGM_REQUIRE_SLURM=1
 * (set by .ci/run) it fails instead.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SeedResultFile } from '../../../src-main/runs/folder'
import { type CellStatus } from '../../../src-main/runs/sweeps/cells'
import { finishedCells, sweepTable } from '../../../src-main/runs/sweeps/collect'
import { type Sweep, cellDir, createSweep, readSweep } from '../../../src-main/runs/sweeps/folder'
import { runSweepLocally } from '../../../src-main/runs/sweeps/local-executor'
import { slurmCellStatuses, submitSweep } from '../../../src-main/runs/sweeps/slurm-executor'
import { repoRoot } from '../../helpers/shared'
import { makeSweepStudy } from './sweep-study'

const slurmAnswers = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' })
const haveSlurm = slurmAnswers.status === 0
const required = process.env.TCGM_REQUIRE_SLURM === '1'
const why = slurmAnswers.error ? 'sinfo is not on the PATH' : `sinfo failed: ${slurmAnswers.stderr.trim()}`
if (!haveSlurm) console.warn(`no Slurm cluster answers here (${why}): the sweep-through-Slurm test is skipped; .ci/slurm-local.sh start runs one`)

describe.runIf(!haveSlurm && required)('Slurm for the sweep tests', () => {
  it('answers (TCGM_REQUIRE_SLURM=1)', () => {
    throw new Error(`TCGM_REQUIRE_SLURM=1 but no Slurm cluster answers: ${why}`)
  })
})

const root = mkdtempSync(join(tmpdir(), 'tcgm-sweep-slurm-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
const study = join(root, 'study')
const grid = { methods: ['tcgm', 'ce'] as Array<'tcgm' | 'ce'>, labelRates: [0.25, 0.5], seeds: [0, 1], presets: ['tiny'] as Array<'tiny'>, learningRates: [] }
const cli = [process.execPath, '--import', 'tsx', join(repoRoot, 'src-main', 'cli.ts')]
// One CPU per task so two tasks share the 2-CPU test node.
const submit = (sweep: Sweep) => submitSweep(sweep, { resources: { cpusPerTask: 1 }, cli, cwd: repoRoot })

/** Polls until no cell is queued or running, at most `limitMs`. */
async function settle(sweep: Sweep, limitMs: number): Promise<CellStatus[]> {
  const until = Date.now() + limitMs
  for (;;) {
    const st = await slurmCellStatuses(sweep)
    if (!st.some((s) => s.state === 'queued' || s.state === 'running')) return st
    if (Date.now() > until)
      throw new Error(`the sweep's tasks did not finish within ${limitMs / 1000} s: ${st.map((s) => `${s.cell.id} ${s.state}`).join(', ')}`)
    await new Promise((r) => setTimeout(r, 2000))
  }
}

const posteriors = async (sweep: string, cell: string, seed: number) =>
  (JSON.parse(await fsp.readFile(join(cellDir(study, sweep, cell), `seed-${seed}`, 'result.json'), 'utf8')) as SeedResultFile).posteriors

describe.runIf(haveSlurm)('a sweep through Slurm', () => {
  beforeAll(async () => {
    await makeSweepStudy(study, 16, { crops: true })
    await createSweep(study, { name: 'array', grid, epochs: 1 })
  })

  it('runs as a job array, shows a cancelled task as such, resubmits it alone and collects', async () => {
    const sweep = await readSweep(study, 'array')
    const { submission } = await submit(sweep)
    expect(submission!.indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    // The last task waits behind the first ones: cancel it as a researcher would.
    const last = `${submission!.jobId}_7`
    execFileSync('scancel', [last])

    let st = await settle(sweep, 300_000)
    const byId = Object.fromEntries(st.map((s) => [s.cell.id, s]))
    expect(byId['ce-tiny-r50-s1']).toMatchObject({ state: 'cancelled', slurmTask: last })
    expect(st.filter((s) => s.state === 'done')).toHaveLength(7)
    expect(st.every((s) => s.slurmTask?.startsWith(`${submission!.jobId}_`))).toBe(true)

    const again = await submit(sweep)
    expect(again.submission!.indices).toEqual([7])
    expect(again.submission!.jobId).not.toBe(submission!.jobId)
    st = await settle(sweep, 120_000)
    expect(st.map((s) => s.state)).toEqual(new Array(8).fill('done'))
    expect((await submit(sweep)).submission).toBeNull()

    const rows = sweepTable(await finishedCells(sweep, st))
    expect(rows.map((r) => `${r.labelRate} ${r.method} ${r.model} ${r.seeds}`)).toEqual(
      [0.25, 0.5].flatMap((rate) => ['tcgm', 'ce'].flatMap((m) => ['smri', 'pet', 'aggregator'].map((model) => `${rate} ${m} ${model} 2`)))
    )
    // The CLI reads the same: status from Slurm and the run folders, collect into the sweep folder.
    const status = spawnSync(cli[0]!, [...cli.slice(1), 'sweep', 'status', '--study', study, '--name', 'array'], { cwd: repoRoot, encoding: 'utf8' })
    expect(status.stdout).toContain('8 done (8 cells)')
    const collect = spawnSync(cli[0]!, [...cli.slice(1), 'sweep', 'collect', '--study', study, '--name', 'array'], { cwd: repoRoot, encoding: 'utf8' })
    expect(collect.status).toBe(0)
    expect((await fsp.readFile(join(sweep.dir, 'metrics.tsv'), 'utf8')).trimEnd().split('\n')).toHaveLength(1 + 12)
    expect(await fsp.readFile(join(sweep.dir, 'report.html'), 'utf8')).toContain('All 8 cells finished.')
  }, 480_000)

  it('gives the same posteriors as the local executor for the same cells', async () => {
    await createSweep(study, { name: 'here', grid: { ...grid, labelRates: [0.25], seeds: [1] }, epochs: 1 })
    const local = await runSweepLocally(await readSweep(study, 'here'))
    expect(local.statuses.map((s) => s.state)).toEqual(['done', 'done'])
    for (const cell of ['tcgm-tiny-r25-s1', 'ce-tiny-r25-s1']) expect(await posteriors('here', cell, 1)).toEqual(await posteriors('array', cell, 1))
  }, 180_000)
})
