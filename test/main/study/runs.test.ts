/**
 * Reading runs back: status (interrupted when the writer is gone), curves from the epoch log
 * (a torn last line ignored), metrics over seeds, predictions averaged over seeds. The run folder
 * is written by hand here, as the training worker would leave it.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RunDetail } from '../../../src-main/api/contracts/study'
import { getRunDetail, listRuns } from '../../../src-main/runs/read'
import { applyLabels, createStudy, makeStudySplits, mutateStudy, saveStudyFile, simulateLabelRate } from '../../../src-main/study/study'
import { classificationMetrics } from '../../../src-main/engine/train/metrics'

const root = mkdtempSync(join(tmpdir(), 'tcgm-runs-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

const ids = ['A', 'B', 'C', 'D']
const truth = [0, 1, 0, 1]

function seedResult(seed: number, agg: number[]) {
  const probs = Float64Array.from(agg)
  return {
    seed,
    subjectIds: ids,
    classNames: ['NC', 'AD'],
    modalities: ['smri', 'pet'],
    selectedEpoch: 1,
    posteriors: { modalities: [agg, [0.5, 0.5, 0.5, 0.5, null, null, 0.5, 0.5]], aggregator: agg },
    predicted: [0, 1, 2, 3].map((i) => (agg[2 * i + 1]! > agg[2 * i]! ? 1 : 0)),
    evaluation: { test: { n: 4, modalities: [classificationMetrics(probs, truth, 2), null], aggregator: classificationMetrics(probs, truth, 2) } },
    history: [],
    seconds: 1
  }
}

describe('runs', () => {
  it('summaries, curves, metrics over seeds, mean predictions', async () => {
    const study = join(root, 'study')
    await createStudy(study)
    await mutateStudy(study, async (s) => {
      for (const id of ids) s.file.subjects.push({ id, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: {} })
      await saveStudyFile(s)
    })
    await applyLabels(study, new Map(ids.map((id, i) => [id, truth[i] ? 'AD' : 'NC'])), 'import:test')
    await simulateLabelRate(study, 0.5, 1)
    await makeStudySplits(study, 1)
    const run = join(study, 'runs', 'r1')
    await fsp.mkdir(join(run, 'seed-0'), { recursive: true })
    await fsp.mkdir(join(run, 'seed-1'), { recursive: true })
    await fsp.writeFile(
      join(run, 'config.json'),
      JSON.stringify({
        id: 'r1',
        method: 'tcgm',
        preset: 'tiny',
        seeds: [0, 1],
        epochs: 2,
        hyperparameters: {},
        train: {},
        createdAt: '2026-01-01T00:00:00Z',
        classNames: ['NC', 'AD']
      })
    )
    // A pid that cannot be running: the run was interrupted.
    await fsp.writeFile(
      join(run, 'status.json'),
      JSON.stringify({ status: 'running', message: null, pid: 2 ** 22 + 17, startedAt: '2026-01-01T00:00:00Z', finishedAt: null })
    )
    await fsp.writeFile(join(run, 'seed-0', 'result.json'), JSON.stringify(seedResult(0, [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.7, 0.3])))
    await fsp.writeFile(
      join(run, 'seed-0', 'progress.jsonl'),
      '{"epoch":1,"phase":"warmup","ceLoss":[0.7,0.5],"tcGain":null,"val":{"aggregator":0.5}}\n{"epoch":2,"phase":"tcgm","ceLoss":[0.4,null],"tcGain":0.2,"val":{"aggregator":0.75}}\n{"epoch":3,"ph'
    )
    let [summary] = await listRuns(study)
    expect(summary).toMatchObject({ id: 'r1', status: 'interrupted', testAccuracy: null })

    await fsp.writeFile(join(run, 'seed-1', 'result.json'), JSON.stringify(seedResult(1, [0.7, 0.3, 0.4, 0.6, 0.4, 0.6, 0.9, 0.1])))
    await fsp.writeFile(
      join(run, 'status.json'),
      JSON.stringify({ status: 'done', message: null, pid: process.pid, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' })
    )
    ;[summary] = await listRuns(study)
    expect(summary!.status).toBe('done')
    expect(summary!.testAccuracy).toBeCloseTo((0.75 + 0.5) / 2, 10) // seed 0: D wrong; seed 1: C and D wrong

    const d = await getRunDetail(study, 'r1')
    expect(RunDetail.safeParse(d).success).toBe(true)
    expect(d.curves[0]!.points.map((p) => [p.epoch, p.ceLoss, p.tcGain])).toEqual([
      [1, 0.6, null],
      [2, 0.4, 0.2]
    ])
    const agg = d.metrics.find((m) => m.model === 'aggregator' && m.split === 'test')!
    expect(agg.seeds).toBe(2)
    expect(agg.mean.accuracy).toBeCloseTo(0.625, 10)
    expect(agg.std.accuracy).toBeCloseTo(Math.sqrt((0.125 ** 2 + 0.125 ** 2) / 1), 10)
    const c = d.predictions.find((p) => p.participantId === 'C')!
    expect(c.aggregator[0]).toBeCloseTo(0.5, 10) // mean of 0.6 and 0.4
    expect(c.modalities.pet).toBeUndefined() // missing in the result (null)
    expect(d.predictions.every((p) => (p.trueLabel ?? p.hiddenLabel) === (truth[ids.indexOf(p.participantId)] ? 'AD' : 'NC'))).toBe(true)
    expect(d.confusion).toEqual([
      [3, 1],
      [2, 2]
    ])
  })
})
