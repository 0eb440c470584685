/**
 * The study requests through the real dispatch with output validation on: every result and
 * event the window receives must satisfy the contract.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DemoResult } from '../../../src-main/api/contracts/study'
import { handlers } from '../../../src-main/api/handlers'
import { createApiRuntime } from '../../../src-main/api/runtime'
import { recordEvents } from '../../helpers/api-events'
import type { ArgsOf, RequestName, ResultOf } from '../../../src-main/api/contract'

const root = mkdtempSync(join(tmpdir(), 'tcgm-handlers-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

describe('study handlers', () => {
  it('demo -> subjects -> detail -> labels -> splits, all within the contract', async () => {
    const api = createApiRuntime({ shell: 'browser', userDataDir: join(root, 'user'), allowedRoots: [root], validateOutputs: true, handlers })
    const { events, jobEnd } = recordEvents(api)
    const call = async <N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>> => {
      const r = await api.dispatch(name, args)
      if (!r.ok) throw new Error(`${name}: ${r.error.message}`)
      return r.result as ResultOf<N>
    }
    const createDemo = async (args: Record<string, unknown>) => {
      const { jobId } = await call('study.createDemo', { ...args, folder: join(root, 'demos') })
      const end = await jobEnd(jobId)
      expect(end.name, JSON.stringify(end.payload)).toBe('job.done')
      expect(events.some((e) => e.name === 'job.progress' && e.payload.jobId === jobId)).toBe(true)
      return DemoResult.parse(end.payload.result)
    }

    // By default the demo keeps a few diagnoses visible and hides the rest for evaluation.
    const fewLabels = await createDemo({ subjects: 8, seed: 2 })
    expect(fewLabels.import.added).toBe(8)
    expect(fewLabels.labels.visible + fewLabels.labels.hidden).toBe(8)
    expect(fewLabels.labels.hidden).toBeGreaterThan(fewLabels.labels.visible)
    expect((await call('study.open', { study: fewLabels.study })).counts).toMatchObject({ labelled: fewLabels.labels.visible, hidden: fewLabels.labels.hidden })

    const demo = await createDemo({ subjects: 4, seed: 2, visibleRate: 1 })
    expect(demo.import.added).toBe(4)
    expect(demo.labels).toEqual({ visible: 4, hidden: 0 })
    const study = demo.study

    const opened = await call('study.open', { study })
    expect(opened.counts).toMatchObject({ subjects: 4, withBoth: 4, labelled: 4 })
    expect((await call('studies.recent', {}))[0].path).toBe(study)
    const list = await call('subjects.list', { study })
    expect(list.rows).toHaveLength(4)
    const id = list.rows[0].id
    const detail = await call('subject.detail', { study, subject: id })
    expect(detail.previews.map((p) => `${p.modality}-${p.side}-${p.plane}`)).toContain('pet-right-coronal')
    const other = list.rows[0].label === 'AD' ? 'NC' : 'AD'
    await call('labels.set', { study, subject: id, label: other })
    expect(events.some((e) => e.name === 'study.changed' && e.payload.what === 'labels')).toBe(true)
    const undo = await call('labels.undo', { study })
    expect(undo.change).toMatchObject({ subject: id, label: list.rows[0].label })
    expect((await call('labels.history', { study, subject: id }))[0].action).toBe('undo')
    const sim = await call('labels.simulateRate', { study, rate: 0.5, seed: 1 })
    expect(sim.visible + sim.hidden).toBe(4)
    expect((await call('study.open', { study })).counts).toMatchObject({ labelled: sim.visible, hidden: sim.hidden })
    const split = await call('splits.make', { study, seed: 3, fractions: { train: 0.5, val: 0.25, test: 0.25 } })
    expect(split.train + split.val + split.test).toBe(4)
    expect((await call('subjects.list', { study })).rows.every((r) => ['train', 'val', 'test'].includes(r.split ?? ''))).toBe(true)
    expect(await call('runs.list', { study })).toEqual([])
    const bad = await api.dispatch('labels.set', { study, subject: 'nobody', label: 'AD' })
    expect(bad.ok ? '' : bad.error.message).toMatch(/subject nobody is not in the study/)
    const preview = await call('import.preview', { study, source: demo.cohort })
    expect(preview.counts).toMatchObject({ subjects: 4, new: 0 })
  })
})
