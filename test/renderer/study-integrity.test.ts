/**
 * Issue 15, items 1-3 and 11-12 in the window: hidden diagnoses stay out of the Subjects table,
 * its search and the Label page until the researcher reveals them on purpose; redo keys redo;
 * the table names the run whose predictions it shows, lets the researcher pick it and defaults
 * to the run last looked at in Results; the viewer's summary says why a subject has no verdict
 * and what its measures mean.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { CohortMeasure } from '@contract/contracts/viewer'
import type { RunSummary, SubjectRow } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useSubjectsStore } from '../../src-renderer/src/stores/subjects'
import { useLabellingStore } from '../../src-renderer/src/stores/labelling'
import { useResultsStore } from '../../src-renderer/src/stores/results'
import SubjectsView from '../../src-renderer/src/views/SubjectsView.vue'
import LabelView from '../../src-renderer/src/views/LabelView.vue'
import SubjectSummary from '../../src-renderer/src/viewer/SubjectSummary.vue'
import { FakeApi, STUDY, studySummary, subjectRow } from './fake-api'
import { fakeScrollerSize } from './layout'

/** What main sends for a demo-like study: two visible AD/NC subjects, two hidden (group left out). */
function rows(runId: string): SubjectRow[] {
  const pred = (p: number) => ({ runId, modalities: { smri: [1 - p, p], pet: [1 - p, p] }, aggregator: [1 - p, p], predicted: p > 0.5 ? 'AD' : 'NC' })
  return [
    subjectRow('S1', { group: 'AD', label: 'AD', prediction: pred(runId === 'run-ce' ? 0.2 : 0.9) }),
    subjectRow('S2', { group: 'CN', label: 'NC', prediction: pred(0.1) }),
    subjectRow('S3', { group: null, labelHidden: true, prediction: pred(0.7) }),
    subjectRow('S4', { group: null, labelHidden: true, prediction: pred(0.3) })
  ]
}

const run = (id: string, method: 'tcgm' | 'ce', testAccuracy: number): RunSummary => ({
  id,
  method,
  preset: 'tiny',
  seeds: 1,
  epochs: 30,
  status: 'done',
  createdAt: '2026-11-26T10:00:00Z',
  finishedAt: '2026-11-26T10:10:00Z',
  testAccuracy,
  message: null
})

function server(): FakeApi {
  return (
    new FakeApi()
      .handle('study.open', () =>
        studySummary({ counts: { subjects: 4, withSmri: 4, withPet: 4, withBoth: 4, labelled: 2, labelledByClass: { NC: 1, AD: 1 }, hidden: 2, runs: 2 } })
      )
      // Newest first: the CE run finished last.
      .handle('runs.list', () => [run('run-ce', 'ce', 0.52), run('run-tcgm', 'tcgm', 0.87)])
      .handle('subjects.list', ({ runId }) => {
        const shown = runId ?? 'run-ce'
        return { classNames: ['NC', 'AD'], latestRunId: 'run-ce', runId: shown, rows: rows(shown) }
      })
      .handle('subject.detail', ({ subject }) => ({ row: rows('run-ce').find((r) => r.id === subject)!, scans: [], previews: [], history: [] }))
      .handle('labels.revealHidden', () => ({
        time: '2026-11-26T11:00:00Z',
        subjects: [
          { id: 'S3', label: 'AD', group: 'AD' },
          { id: 'S4', label: 'NC', group: 'CN' }
        ]
      }))
  )
}

describe('hidden labels and the run shown in the Subjects table', () => {
  let api: FakeApi
  let restore: () => void
  let wrapper: VueWrapper | null = null

  beforeEach(async () => {
    setActivePinia(createPinia())
    api = server()
    setApi(api)
    await useStudyStore().open(STUDY)
    restore = fakeScrollerSize(1000, 600)
  })

  afterEach(() => {
    wrapper?.unmount()
    wrapper = null
    restore()
    setApi(null)
    localStorage.clear()
  })

  const cells = (w: VueWrapper, id: string) => {
    const row = w.findAll('.vt-row').find((r) => r.text().startsWith(id))!
    return row.findAll('[role="cell"]').map((c) => c.text())
  }

  it('shows no hidden diagnosis in Group, Label or search until the logged reveal', async () => {
    wrapper = mount(SubjectsView)
    await flushPromises()
    expect(cells(wrapper, 'S3').slice(0, 4)).toEqual(['S3', '–', 'sMRIPET', 'hidden'])
    const subjects = useSubjectsStore()
    subjects.search = 'AD'
    await flushPromises()
    expect(subjects.filtered.map((r) => r.id)).toEqual(['S1']) // not the hidden AD subject S3
    expect(wrapper.get('[data-testid="hidden-note"]').text()).toContain('2 diagnoses are hidden for evaluation')

    // Reveal asks first, then calls the one request that returns hidden labels.
    await wrapper.get('[data-testid="reveal-hidden"]').trigger('click')
    expect(api.callsOf('labels.revealHidden')).toEqual([])
    await wrapper.get('[data-testid="reveal-confirm"]').trigger('click')
    await flushPromises()
    expect(api.callsOf('labels.revealHidden')).toEqual([{ study: STUDY }])
    expect(subjects.filtered.map((r) => r.id)).toEqual(['S1', 'S3'])
    subjects.search = ''
    await flushPromises()
    expect(cells(wrapper, 'S3').slice(0, 4)).toEqual(['S3', 'AD', 'sMRIPET', 'AD (hidden)'])
  })

  it('names the run, lets the researcher choose it and defaults to the run last looked at in Results', async () => {
    // Looking at the TCGM run in Results makes it the Subjects table's run.
    api.handle('runs.get', ({ runId }) => ({
      summary: run(runId, 'tcgm', 0.87),
      config: {},
      classNames: ['NC', 'AD'],
      curves: [],
      metrics: [],
      predictions: [],
      confusion: [],
      roc: null
    }))
    await useResultsStore().load('run-tcgm')
    wrapper = mount(SubjectsView)
    await flushPromises()
    expect(api.callsOf('subjects.list').at(-1)).toEqual({ study: STUDY, runId: 'run-tcgm' })
    const select = wrapper.get('[data-testid="subjects-run"]')
    expect((select.element as HTMLSelectElement).value).toBe('run-tcgm')
    expect(select.text()).toContain('TCGM tiny, 30 epochs, test 87 %')
    expect(cells(wrapper, 'S1')[7]).toBe('AD 90 %')

    await select.setValue('run-ce')
    await flushPromises()
    expect(api.callsOf('subjects.list').at(-1)).toEqual({ study: STUDY, runId: 'run-ce' })
    expect(cells(wrapper, 'S1')[7]).toBe('NC 80 %')
    // Remembered: a fresh window shows the CE run again.
    setActivePinia(createPinia())
    await useStudyStore().open(STUDY)
    await useSubjectsStore().load()
    expect(useSubjectsStore().runId).toBe('run-ce')
  })

  it("the Label page says a hidden subject's source group is hidden, and redo keys redo", async () => {
    api
      .handle('labels.set', ({ subject, label }) => ({ subject, label, previous: null, seq: 1 }))
      .handle('labels.undo', () => ({ undone: null, change: { subject: 'S3', label: null, previous: 'AD', seq: 2 } }))
      .handle('labels.redo', () => ({ redone: null, change: { subject: 'S3', label: 'AD', previous: null, seq: 3 } }))
    wrapper = mount(LabelView)
    await flushPromises()
    await useLabellingStore().goTo('S3')
    await flushPromises()
    expect(wrapper.get('[data-testid="source-group"]').text()).toBe('hidden for evaluation')
    const press = (key: string, init: KeyboardEventInit) =>
      window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }))
    press('Z', { ctrlKey: true, shiftKey: true })
    press('y', { ctrlKey: true })
    press('z', { ctrlKey: true })
    await flushPromises()
    await useLabellingStore().settled()
    await flushPromises()
    expect(api.calls.filter((c) => c.name.startsWith('labels.')).map((c) => c.name)).toEqual(['labels.redo', 'labels.redo', 'labels.undo'])
  })
})

describe('viewer summary', () => {
  const gm: CohortMeasure = {
    key: 'hippocampalGmMl',
    label: 'Hippocampal grey matter',
    units: 'mL',
    subject: 7.1,
    description: 'Grey matter inside the two hippocampal boxes (left + right).',
    cohortRange: { min: 5.2, max: 9.4, n: 10 },
    groups: [
      { name: 'NC', values: [8, 8.5] },
      { name: 'AD', values: [6] }
    ]
  }

  it('says what the measure is, its units and the cohort range, and why there is no verdict', () => {
    const none = mount(SubjectSummary, { props: { subject: 'S9', label: null, measures: [gm], prediction: null, consultedRunId: null } })
    expect(none.get('[data-testid="no-verdict"]').text()).toBe('No finished training run yet.')
    const note = none.get('[data-testid="measure-note"]').text()
    expect(note).toContain('inside the two hippocampal boxes')
    expect(note).toContain('Cohort: 5.20–9.40 mL over 10 subjects')
    expect(note).toContain('7 unlabelled or hidden not drawn')
    expect(none.text()).toContain('NC (n=2)')
    none.unmount()
    const notInRun = mount(SubjectSummary, { props: { subject: 'S9', label: null, measures: [gm], prediction: null, consultedRunId: 'run-7' } })
    expect(notInRun.get('[data-testid="no-verdict"]').text()).toContain('not in run run-7')
    expect(notInRun.text()).not.toContain('No finished training run yet')
    notInRun.unmount()
  })
})
