/**
 * The sweep's grid and the pieces of the Slurm executor that need no cluster: cell order, ids and
 * indices (a task id names a cell, so they are part of the format), the CLI's list syntax, the
 * sbatch arguments from a resource profile, and how a task's end is read from Slurm's answers.
 */
import { describe, expect, it } from 'vitest'
import { parseRates, parseSeeds } from '../../../src-main/cli/sweep'
import { SlurmResources, SweepGrid } from '../../../src-main/domain/sweep'
import type { CellStatus } from '../../../src-main/runs/sweeps/cells'
import { expandGrid, ratePercent } from '../../../src-main/runs/sweeps/grid'
import { arraySpec, endFromLog, sbatchArgs } from '../../../src-main/runs/sweeps/slurm'
import { cellStateFromSlurm } from '../../../src-main/runs/sweeps/slurm-executor'

const grid = (g: Partial<SweepGrid> = {}): SweepGrid => ({
  methods: ['tcgm', 'ce'],
  labelRates: [0.05, 0.1],
  seeds: [0, 1, 2],
  presets: ['tiny'],
  learningRates: [],
  ...g
})

describe('expandGrid', () => {
  it('gives methods x rates x seeds cells, paired methods side by side, indices 0..n-1', () => {
    const cells = expandGrid(grid())
    expect(cells).toHaveLength(2 * 2 * 3)
    expect(cells.map((c) => c.index)).toEqual([...Array(12).keys()])
    expect(cells.slice(0, 4).map((c) => c.id)).toEqual(['tcgm-tiny-r5-s0', 'ce-tiny-r5-s0', 'tcgm-tiny-r5-s1', 'ce-tiny-r5-s1'])
    expect(cells[6]).toEqual({ index: 6, id: 'tcgm-tiny-r10-s0', method: 'tcgm', preset: 'tiny', labelRate: 0.1, learningRate: null, seed: 0 })
    // Every combination exactly once.
    expect(new Set(cells.map((c) => `${c.method}|${c.labelRate}|${c.seed}`)).size).toBe(12)
  })

  it('adds presets and learning rates to the grid and to the ids', () => {
    const cells = expandGrid(grid({ presets: ['tiny', 'small'], learningRates: [0.01, 0.001], seeds: [4] }))
    expect(cells).toHaveLength(2 * 2 * 2 * 2)
    expect(cells[0]!.id).toBe('tcgm-tiny-r5-lr0.01-s4')
    expect(cells.at(-1)).toMatchObject({ id: 'ce-small-r10-lr0.001-s4', preset: 'small', learningRate: 0.001 })
  })

  it('refuses rates that would name two cells alike, and repeated values', () => {
    expect(() => expandGrid(grid({ labelRates: [0.1, 0.1000000001] }))).toThrow(/share a folder name/)
    expect(SweepGrid.safeParse(grid({ seeds: [1, 1] })).success).toBe(false)
    expect(SweepGrid.safeParse(grid({ labelRates: [0] })).success).toBe(false)
    expect(SweepGrid.safeParse(grid({ presets: ['huge' as 'tiny'] })).success).toBe(false)
  })

  it('prints rates as percentages', () => {
    expect([0.05, 0.1, 0.2, 0.025, 1].map(ratePercent)).toEqual(['5', '10', '20', '2.5', '100'])
  })
})

describe('the CLI lists', () => {
  it('reads seeds as ranges and lists, rates as fractions or percentages', () => {
    expect(parseSeeds('0-2')).toEqual([0, 1, 2])
    expect(parseSeeds('0-1,5')).toEqual([0, 1, 5])
    expect(() => parseSeeds('2-1')).toThrow(/--seeds/)
    expect(() => parseSeeds('a')).toThrow(/--seeds/)
    expect(parseRates('5%,10%,0.2')).toEqual([0.05, 0.1, 0.2])
    expect(() => parseRates('ten')).toThrow(/--label-rates/)
  })
})

describe('sbatch arguments', () => {
  it('compresses array indices', () => {
    expect(arraySpec([0, 1, 2, 3, 5, 7, 8])).toBe('0-3,5,7-8')
    expect(arraySpec([4])).toBe('4')
    expect(arraySpec([3, 1, 2, 2])).toBe('1-3')
  })

  it('passes the profile as sbatch options, two CPUs per task by default', () => {
    const res = SlurmResources.parse({
      partition: 'gpu',
      time: '04:00:00',
      mem: '16G',
      gpus: 1,
      account: 'adlab',
      maxRunning: 4,
      extraArgs: ['--constraint=a100']
    })
    expect(sbatchArgs(res, { jobName: 'tcgm-s', logPattern: '/l/%A_%a.out', indices: [0, 1, 2, 6], script: '/s/task.sh' })).toEqual([
      '--parsable',
      '--job-name=tcgm-s',
      '--output=/l/%A_%a.out',
      '--cpus-per-task=2',
      '--array=0-2,6%4',
      '--partition=gpu',
      '--time=04:00:00',
      '--mem=16G',
      '--gres=gpu:1',
      '--account=adlab',
      '--constraint=a100',
      '/s/task.sh'
    ])
  })

  it('refuses a profile with unknown keys or malformed values, naming the key', () => {
    const bad = (x: unknown) => SlurmResources.safeParse(x).error?.issues[0]
    expect(bad({ time: 'two hours' })?.path).toEqual(['time'])
    expect(bad({ mem: '16 GB' })?.path).toEqual(['mem'])
    expect(bad({ partitoin: 'gpu' })?.code).toBe('unrecognized_keys')
    expect(bad({ extraArgs: ['; rm -rf /'] })?.path).toEqual(['extraArgs', 0])
  })
})

describe('a task that left the queue', () => {
  const cell = expandGrid(grid())[3]!
  const folder = (state: CellStatus['state'], message: string | null = null): CellStatus => ({ cell, state, message, testAccuracy: null, slurmTask: null })
  const key = '41_3'

  it('is what its run folder says once done, and what the queue says while queued', () => {
    expect(cellStateFromSlurm(folder('done'), key, { state: 'RUNNING', reason: 'None' }, null, null)).toMatchObject({ state: 'done', slurmTask: key })
    expect(cellStateFromSlurm(folder('waiting'), key, { state: 'PENDING', reason: 'Resources' }, null, null)).toMatchObject({
      state: 'queued',
      message: expect.stringContaining('Resources')
    })
    expect(cellStateFromSlurm(folder('failed', 'old failure'), key, { state: 'RUNNING', reason: 'None' }, null, null).state).toBe('running')
  })

  it('is cancelled or failed as sacct says, where the cluster keeps accounting', () => {
    expect(cellStateFromSlurm(folder('running'), key, undefined, { state: 'CANCELLED', exitCode: '0:15' }, null).state).toBe('cancelled')
    const t = cellStateFromSlurm(folder('running'), key, undefined, { state: 'TIMEOUT', exitCode: '0:0' }, null)
    expect(t).toMatchObject({ state: 'failed', message: expect.stringContaining('--time') })
    expect(cellStateFromSlurm(folder('failed', 'worker crashed'), key, undefined, { state: 'FAILED', exitCode: '1:0' }, null).message).toContain(
      'worker crashed'
    )
  })

  it('is read from its log and run folder without accounting', () => {
    const cancelledLog = 'cell x\nslurmstepd-vm: error: *** JOB 44 ON vm CANCELLED AT 2026-12-02T17:06:36 ***\n'
    expect(endFromLog(cancelledLog)).toBe('cancelled')
    expect(endFromLog('*** JOB 44 ON vm CANCELLED AT 2026-12-02T17:06:36 DUE TO TIME LIMIT ***')).toBe('timeout')
    expect(endFromLog('cell x\nrun x: done\n')).toBeNull()
    expect(cellStateFromSlurm(folder('failed'), key, undefined, null, cancelledLog).state).toBe('cancelled')
    // Never started: no log, no status.json.
    expect(cellStateFromSlurm(folder('waiting'), key, undefined, null, null)).toMatchObject({
      state: 'cancelled',
      message: expect.stringContaining('before it started')
    })
    // Started on a node that is gone, nothing written: interrupted, resumable.
    expect(cellStateFromSlurm(folder('running', 'running on node7'), key, undefined, null, 'cell x\n').state).toBe('interrupted')
    expect(cellStateFromSlurm(folder('failed', 'no test labels'), key, undefined, null, 'cell x\n')).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('no test labels')
    })
  })
})
