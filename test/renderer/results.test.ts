/** Results: per-modality verdicts beside the aggregator's, disagreements, ROC, metrics, export. */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount } from '@vue/test-utils'
import type { RunDetail } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useSubjectsStore } from '../../src-renderer/src/stores/subjects'
import { useResultsStore } from '../../src-renderer/src/stores/results'
import { useNavigationStore } from '../../src-renderer/src/stores/navigation'
import { rocAuc, rocCurve } from '../../src-renderer/src/metrics/roc'
import ResultsView from '../../src-renderer/src/views/ResultsView.vue'
import { FakeApi, STUDY, studySummary } from './fake-api'
import { fakeScrollerSize } from './layout'

const metricSet = { accuracy: 0.75, balancedAccuracy: 0.75, auc: 0.875, sensitivity: 0.5, specificity: 1, f1: 0.667 }

function runDetail(): RunDetail {
  const p = (id: string, split: 'train' | 'test', truth: string | null, smri: number, pet: number, agg: number, hidden: string | null = null) => ({
    participantId: id,
    sessionId: 'ses-M000',
    split,
    trueLabel: truth,
    hiddenLabel: hidden,
    predictedLabel: agg > 0.5 ? 'AD' : 'NC',
    aggregator: [1 - agg, agg],
    modalities: { smri: [1 - smri, smri], pet: [1 - pet, pet] }
  })
  return {
    summary: {
      id: 'run-2',
      method: 'tcgm',
      preset: 'tiny',
      seeds: 2,
      epochs: 3,
      status: 'done',
      createdAt: '2026-11-26T10:00:00Z',
      finishedAt: null,
      testAccuracy: 0.75,
      message: null
    },
    config: { method: 'tcgm' },
    classNames: ['NC', 'AD'],
    curves: [],
    metrics: [
      { model: 'aggregator', split: 'test', mean: metricSet, std: { ...metricSet, accuracy: 0.05 }, n: 4, seeds: 2 },
      { model: 'smri', split: 'test', mean: metricSet, std: metricSet, n: 4, seeds: 2 }
    ],
    predictions: [
      p('s1', 'test', 'AD', 0.9, 0.8, 0.95),
      p('s2', 'test', null, 0.8, 0.3, 0.6, 'NC'), // modalities disagree; truth hidden
      p('s3', 'test', 'NC', 0.2, 0.1, 0.05),
      p('s4', 'test', 'AD', 0.4, 0.45, 0.3),
      p('s5', 'train', 'NC', 0.1, 0.2, 0.1)
    ],
    confusion: [
      [2, 0],
      [1, 1]
    ],
    roc: null
  }
}

beforeAll(() => {
  // jsdom has no 2D canvas: say so quietly instead of logging "not implemented".
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext
})

describe('ROC', () => {
  it('matches a hand-computed curve, with ties stepped together', () => {
    // Scores 0.9(+) 0.8(-) 0.8(+) 0.1(-): thresholds 0.9, 0.8, 0.1.
    const curve = rocCurve([true, false, true, false], [0.9, 0.8, 0.8, 0.1])
    expect(curve).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.5 },
      { fpr: 0.5, tpr: 1 },
      { fpr: 1, tpr: 1 }
    ])
    // AUC = P(score+ > score-) + 0.5 P(tie) = (1 + 1 + 0.5 + 1) / 4
    expect(rocAuc(curve!)).toBeCloseTo(0.875, 12)
  })

  it('is absent when a class is missing and rejects mismatched inputs', () => {
    expect(rocCurve([true, true], [0.2, 0.3])).toBeNull()
    expect(() => rocCurve([true], [0.1, 0.2])).toThrow(/rocCurve: expected as many scores as labels, got 2 vs 1/)
  })
})

describe('results', () => {
  let api: FakeApi

  beforeEach(async () => {
    setActivePinia(createPinia())
    api = new FakeApi()
      .handle('study.open', () => studySummary())
      .handle('runs.list', () => [{ ...runDetail().summary, id: 'run-3', status: 'running' }, runDetail().summary])
      .handle('runs.get', () => runDetail())
      .handle('export.run', () => ({ jobId: 'exp-1' }))
    setApi(api)
    await useStudyStore().open(STUDY)
  })

  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it('loads the newest finished run and lines up each modality beside the aggregator', async () => {
    const results = useResultsStore()
    await results.load()
    expect(api.callsOf('runs.get')).toEqual([{ study: STUDY, runId: 'run-2' }])
    const s2 = results.rows.find((r) => r.id === 's2')!
    expect(s2.modalities).toEqual({ smri: { predicted: 'AD', prob: 0.8 }, pet: { predicted: 'NC', prob: 0.7 } })
    expect(s2.predicted).toBe('AD')
    expect(s2.disagree).toBe(true)
    // s2's label is hidden for evaluation: counted in the ROC, not shown per subject (nor
    // whether the prediction matched it) until the researcher reveals the hidden labels.
    expect(s2.truth).toBeNull()
    expect(s2.truthHidden).toBe(true)
    expect(s2.correct).toBeNull()
    api.handle('labels.revealHidden', () => ({ time: '2026-11-26T11:00:00Z', subjects: [{ id: 's2', label: 'NC', group: 'CN' }] }))
    expect(await useSubjectsStore().revealHidden()).toBe(true)
    const revealed = results.rows.find((r) => r.id === 's2')!
    expect(revealed.truth).toBe('NC')
    expect(revealed.correct).toBe(false)
    expect(results.disagreementCount).toBe(1)
    results.disagreementsOnly = true
    expect(results.visibleRows.map((r) => r.id)).toEqual(['s2'])
  })

  it('computes one ROC per model on the test split only', async () => {
    const results = useResultsStore()
    await results.load()
    expect(results.rocs.map((r) => r.model)).toEqual(['smri', 'pet', 'aggregator'])
    // Aggregator test scores: s1 .95(+), s2 .6(-), s3 .05(-), s4 .3(+): pairs won 3 of 4.
    expect(results.rocs[2].auc).toBeCloseTo(0.75, 12)
  })

  it('the view shows the metrics with ± over seeds, highlights disagreements, opens the viewer and exports', async () => {
    const restore = fakeScrollerSize(900, 400)
    const wrapper = mount(ResultsView)
    await flushPromises()
    const metrics = wrapper.get('[data-testid="metrics"]').text()
    expect(metrics).toContain('0.750 ± 0.050')
    expect(metrics).toContain('Aggregator')
    expect(wrapper.text()).toContain('Aggregator on the test split')

    const rendered = wrapper.findAll('[data-testid="result-subject"]').map((c) => c.text())
    expect(rendered).toEqual(['s1', 's2', 's3', 's4', 's5'])
    const s2 = wrapper.findAll('.vt-row')[1]
    expect(s2.classes()).toContain('lab-disagree')
    expect(s2.get('[data-testid="result-smri"]').text()).toBe('AD 80 %')
    expect(s2.get('[data-testid="result-pet"]').text()).toBe('NC 70 %')
    expect(s2.text()).toContain('hidden')
    expect(s2.text()).not.toContain('NC (hidden)')
    expect(s2.text()).not.toContain('wrong')

    await s2.trigger('click')
    expect(useNavigationStore().current).toBe('viewer')
    expect(useNavigationStore().params).toEqual({ study: STUDY, subjectId: 's2', runId: 'run-2' })

    await wrapper.get('[data-testid="export-folder"]').setValue('/tmp/out')
    await wrapper.get('[data-testid="export-run"]').trigger('click')
    await flushPromises()
    expect(api.callsOf('export.run')).toEqual([{ study: STUDY, runId: 'run-2', out: '/tmp/out' }])
    api.emit('job.done', { jobId: 'exp-1', kind: 'export', result: { out: '/tmp/out', files: ['/tmp/out/predictions.tsv', '/tmp/out/metrics.tsv'] } })
    await flushPromises()
    expect(wrapper.get('[data-testid="export-result"]').text()).toContain('/tmp/out/predictions.tsv')
    wrapper.unmount()
    restore()
  })
})
