/**
 * A sweep's cells each record their own visible subjects and split, drawn per (label rate, seed)
 * from the study's known labels exactly as `label --simulate-rate` draws them, reproducibly, and
 * without changing the study's own labels, hidden labels or split.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRunSubjects } from '../../../src-main/runs/run-labelling'
import type { RunConfig } from '../../../src-main/domain/run-config'
import { cellDir, createSweep, listSweeps, readSweep } from '../../../src-main/runs/sweeps/folder'
import { slurmCellStatuses } from '../../../src-main/runs/sweeps/slurm-executor'
import { loadStudy, simulateLabelRate } from '../../../src-main/study/study'
import { classOf, makeSweepStudy, subjectId } from './sweep-study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-sweep-labels-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
const study = join(root, 'study')
const N = 40 // 20 NC, 20 AD
const grid = { methods: ['tcgm', 'ce'] as const, labelRates: [0.1, 0.25, 0.5], seeds: [0, 1], presets: ['tiny'] as const, learningRates: [] }
const studyFiles = ['study.json', 'labels.tsv', 'labels.hidden.tsv', 'labels.log.tsv']
let before: string[] = []

beforeAll(async () => {
  await makeSweepStudy(study, N)
  before = await Promise.all(studyFiles.map((f) => fsp.readFile(join(study, f), 'utf8')))
  await createSweep(study, { name: 'rates', grid: { ...grid, methods: [...grid.methods], presets: [...grid.presets] }, epochs: 3 })
})

const cell = async (id: string) => readRunSubjects(join(cellDir(study, 'rates', id), 'subjects.tsv'))

describe('a sweep cell’s labelling', () => {
  it('keeps round(rate x class size) labels of each class visible, drawn from visible and hidden labels', async () => {
    const s = await loadStudy(study)
    expect(s.hidden.size).toBe(N / 2) // the study itself shows only half of its labels
    for (const [rate, perClass] of [
      [0.1, 2],
      [0.25, 5],
      [0.5, 10]
    ] as const) {
      for (const seed of [0, 1]) {
        const l = await cell(`tcgm-tiny-r${rate * 100}-s${seed}`)
        const byClass = { NC: 0, AD: 0 }
        for (const id of l.visible) byClass[classOf(Number(id.slice(1))) as 'NC' | 'AD']++
        expect(byClass).toEqual({ NC: perClass, AD: perClass })
        expect(Object.keys(l.split).sort()).toEqual(Array.from({ length: N }, (_, i) => subjectId(i)))
      }
    }
    // At 50%, some visible subjects are hidden in the study: the draw is over all known labels.
    const half = await cell('ce-tiny-r50-s0')
    expect(half.visible.filter((id) => s.hidden.has(id)).length).toBeGreaterThan(0)
  })

  it('is the label command’s draw for the same rate and seed', async () => {
    const copy = join(root, 'copy')
    await fsp.cp(study, copy, { recursive: true })
    await simulateLabelRate(copy, 0.25, 1)
    const shown = [...(await loadStudy(copy)).labels.keys()].sort()
    expect((await cell('tcgm-tiny-r25-s1')).visible.slice().sort()).toEqual(shown)
  })

  it('is shared by the methods of a seed, nested across rates, different across seeds', async () => {
    const a = await cell('tcgm-tiny-r25-s0')
    expect(await cell('ce-tiny-r25-s0')).toEqual(a)
    const low = new Set((await cell('tcgm-tiny-r10-s0')).visible)
    const high = new Set((await cell('tcgm-tiny-r50-s0')).visible)
    expect([...low].every((id) => high.has(id))).toBe(true)
    expect((await cell('tcgm-tiny-r25-s1')).visible.sort()).not.toEqual(a.visible.slice().sort())
  })

  it('gives each cell a run config of its own: one seed, its method, the labelling it came from', async () => {
    const c = JSON.parse(await fsp.readFile(join(cellDir(study, 'rates', 'ce-tiny-r10-s1'), 'config.json'), 'utf8')) as RunConfig
    expect(c).toMatchObject({
      id: 'ce-tiny-r10-s1',
      method: 'ce',
      preset: 'tiny',
      seeds: [1],
      epochs: 3,
      labelling: { sweep: 'rates', labelRate: 0.1, seed: 1 }
    })
    // 2 visible labels per class, about a fifth of them in validation: too few to pick an epoch on.
    expect(c.train.selectionMetric).toBe('last')
  })

  it('is reproducible: another sweep with the same grid draws the same subjects', async () => {
    await createSweep(study, { name: 'again', grid: { ...grid, methods: ['ce'], presets: ['tiny'] }, epochs: 1 })
    for (const id of ['r10-s0', 'r25-s1', 'r50-s0']) {
      expect(await fsp.readFile(join(cellDir(study, 'again', `ce-tiny-${id}`), 'subjects.tsv'), 'utf8')).toBe(
        await fsp.readFile(join(cellDir(study, 'rates', `tcgm-tiny-${id}`), 'subjects.tsv'), 'utf8')
      )
    }
    expect(await listSweeps(study)).toEqual(['again', 'rates'])
  })

  it('leaves the study’s labels, hidden labels and split as they were', async () => {
    expect(await Promise.all(studyFiles.map((f) => fsp.readFile(join(study, f), 'utf8')))).toEqual(before)
  })

  it('refuses a second sweep of the same name, a bad name and a bad grid, leaving nothing behind', async () => {
    const g = { ...grid, methods: ['tcgm' as const], presets: ['tiny' as const] }
    await expect(createSweep(study, { name: 'rates', grid: g, epochs: 1 })).rejects.toThrow(/already has a sweep 'rates'/)
    await expect(createSweep(study, { name: '../x', grid: g, epochs: 1 })).rejects.toThrow(/not a sweep name/)
    await expect(createSweep(study, { name: 'bad', grid: { ...g, labelRates: [1.5] }, epochs: 1 })).rejects.toThrow(/labelRates/)
    expect((await fsp.readdir(join(study, 'sweeps'))).sort()).toEqual(['again', 'rates'])
    await expect(readSweep(study, 'nope')).rejects.toThrow(/no sweep 'nope'/)
  })

  it('names the file when a sweep.json is damaged', async () => {
    const file = join(study, 'sweeps', 'again', 'sweep.json')
    const text = await fsp.readFile(file, 'utf8')
    await fsp.writeFile(file, text.replace('"epochs": 1', '"epochs": "one"'))
    await expect(readSweep(study, 'again')).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a sweep file: epochs`))
    await fsp.writeFile(file, text)
  })
})

describe('a sweep submitted to Slurm, read where Slurm is not', () => {
  it('shows the run folders’ states and says why', async () => {
    const sweep = await readSweep(study, 'again')
    await fsp.mkdir(join(sweep.dir, 'slurm'), { recursive: true })
    await fsp.writeFile(
      join(sweep.dir, 'slurm', 'submissions.jsonl'),
      JSON.stringify({ jobId: '77', indices: [0, 1], submittedAt: '2026-01-01T00:00:00Z', resources: {} }) + '\n'
    )
    const path = process.env.PATH
    process.env.PATH = join(root, 'no-slurm-here')
    try {
      const st = await slurmCellStatuses(sweep)
      expect(st.map((s) => s.state)).toEqual(new Array(6).fill('waiting'))
      expect(st[0]!.message).toMatch(/Slurm's queue cannot be read here \(squeue was not found on the PATH/)
      expect(st[2]!.message).toBeNull() // never submitted
    } finally {
      process.env.PATH = path
    }
  })
})
