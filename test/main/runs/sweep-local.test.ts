/**
 * The local executor on a real (tiny) study: cells train as single runs do, one at a time here;
 * stopping cancels the cell in training and starts no other; running again resumes the stopped
 * cell from its checkpoint (to the same posteriors as an uninterrupted run) and trains the rest;
 * a finished cell never trains again.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SeedResultFile } from '../../../src-main/runs/folder'
import { trainCell } from '../../../src-main/runs/sweeps/cells'
import { cellDir, createSweep, readSweep } from '../../../src-main/runs/sweeps/folder'
import { type SweepProgress, runSweepLocally } from '../../../src-main/runs/sweeps/local-executor'
import { makeSweepStudy } from './sweep-study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-sweep-local-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
const study = join(root, 'study')
const grid = { methods: ['tcgm', 'ce'] as Array<'tcgm' | 'ce'>, labelRates: [0.5], seeds: [0], presets: ['tiny'] as Array<'tiny'>, learningRates: [] }

beforeAll(async () => {
  await makeSweepStudy(study, 16, { crops: true })
  // Three epochs, so that a stop asked during the first one always lands before the cell ends
  // (with one epoch a quiet machine could finish the cell first).
  await createSweep(study, { name: 'local', grid, epochs: 3 })
  await createSweep(study, { name: 'fresh', grid: { ...grid, methods: ['tcgm'] }, epochs: 3 })
})

const posteriors = async (sweep: string, cell: string) =>
  (JSON.parse(await fsp.readFile(join(cellDir(study, sweep, cell), 'seed-0', 'result.json'), 'utf8')) as SeedResultFile).posteriors

describe('the local executor', () => {
  it('stops, resumes to the same result, and never trains a finished cell again', async () => {
    const sweep = await readSweep(study, 'local')
    const controller = new AbortController()
    const first = await runSweepLocally(sweep, {
      parallel: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.running.some((r) => r.message.includes('epoch'))) controller.abort(new Error('stopped by the test'))
      }
    })
    expect(first.ran).toEqual(['tcgm-tiny-r50-s0'])
    expect(first.statuses.map((s) => s.state)).toEqual(['cancelled', 'waiting'])

    const progress: SweepProgress[] = []
    const second = await runSweepLocally(sweep, { parallel: 1, onProgress: (p) => progress.push(p) })
    expect(second.ran).toEqual(['tcgm-tiny-r50-s0', 'ce-tiny-r50-s0'])
    expect(second.statuses.map((s) => s.state)).toEqual(['done', 'done'])
    expect(progress.at(-1)).toMatchObject({ fraction: 1, done: 2, total: 2, running: [] })
    expect(progress.some((p) => p.fraction > 0 && p.fraction < 0.5 && p.running[0]?.cellId === 'tcgm-tiny-r50-s0')).toBe(true)

    const third = await runSweepLocally(sweep)
    expect(third.ran).toEqual([])
    const again = await trainCell(sweep, 'ce-tiny-r50-s0')
    expect(again.alreadyDone).toBe(true)

    // The stopped-and-resumed cell ends where an uninterrupted one does.
    const fresh = await runSweepLocally(await readSweep(study, 'fresh'))
    expect(fresh.statuses.map((s) => s.state)).toEqual(['done'])
    expect(await posteriors('local', 'tcgm-tiny-r50-s0')).toEqual(await posteriors('fresh', 'tcgm-tiny-r50-s0'))
    // TCGM and CE did train differently on the same labels.
    expect(await posteriors('local', 'ce-tiny-r50-s0')).not.toEqual(await posteriors('local', 'tcgm-tiny-r50-s0'))
  }, 240_000)
})
