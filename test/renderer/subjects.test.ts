/** Subjects table: search, filters and sorting over 1,000 subjects, virtualised rendering. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount } from '@vue/test-utils'
import type { SubjectRow } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useSubjectsStore } from '../../src-renderer/src/stores/subjects'
import SubjectsView from '../../src-renderer/src/views/SubjectsView.vue'
import { FakeApi, STUDY, studySummary, subjectRow } from './fake-api'
import { fakeScrollerSize } from './layout'

/** 1,000 subjects: every 3rd labelled, every 7th without PET, predictions on the even ones. */
function cohort(): SubjectRow[] {
  return Array.from({ length: 1000 }, (_, i) => {
    const id = `${String(100 + (i % 900)).padStart(3, '0')}_S_${String(i).padStart(4, '0')}`
    const ad = ((i * 7919) % 100) / 100
    return subjectRow(id, {
      group: i % 2 ? 'AD' : 'CN',
      label: i % 3 === 0 ? (i % 2 ? 'AD' : 'NC') : null,
      hasPet: i % 7 !== 0,
      split: i % 5 === 0 ? 'test' : 'train',
      prediction:
        i % 2 === 0 ? { runId: 'r', modalities: { smri: [1 - ad, ad], pet: [ad, 1 - ad] }, aggregator: [1 - ad, ad], predicted: ad > 0.5 ? 'AD' : 'NC' } : null
    })
  })
}

describe('subjects', () => {
  let restoreLayout: () => void

  beforeEach(async () => {
    setActivePinia(createPinia())
    setApi(
      new FakeApi()
        .handle('study.open', () => studySummary())
        .handle('subjects.list', () => ({ classNames: ['NC', 'AD'], latestRunId: 'r', runId: 'r', rows: cohort() }))
    )
    await useStudyStore().open(STUDY)
    restoreLayout = fakeScrollerSize(1000, 600)
  })

  afterEach(() => {
    restoreLayout()
    setApi(null)
    localStorage.clear()
  })

  it('filters, searches and sorts 1,000 subjects', async () => {
    const s = useSubjectsStore()
    await s.load()
    expect(s.filtered).toHaveLength(1000)
    s.labelFilter = 'unlabelled'
    expect(s.filtered.every((r) => r.label === null)).toBe(true)
    expect(s.filtered).toHaveLength(666)
    s.modalityFilter = 'missing'
    expect(s.filtered.every((r) => !r.hasPet && r.label === null)).toBe(true)
    s.labelFilter = 'class:AD'
    s.modalityFilter = 'all'
    expect(s.filtered.every((r) => r.label === 'AD')).toBe(true)
    s.labelFilter = 'all'
    s.search = '_s_0042'
    expect(s.filtered.map((r) => r.id)).toEqual(['142_S_0042'])
    s.search = ''
    s.sortBy('disagreement')
    expect(s.sortDescending).toBe(true)
    const first = s.filtered[0].prediction!
    expect(Math.abs(first.modalities.smri[1] - first.modalities.pet[1])).toBeGreaterThan(0.9)
    s.sortBy('id')
    s.sortBy('id')
    expect(s.filtered[0].id > s.filtered[999].id).toBe(true)
    s.disagreementsOnly = true
    expect(s.filtered.length).toBeGreaterThan(0)
    expect(s.filtered.every((r) => r.prediction !== null)).toBe(true)
  })

  it('a label shown before its save survives a reload that raced with it', async () => {
    const s = useSubjectsStore()
    await s.load()
    const id = s.rows[1].id
    s.applyLabel(id, 'AD')
    await s.load()
    expect(s.row(id)?.label).toBe('AD')
    s.applyLabel(id, 'AD', true)
    await s.load()
    expect(s.row(id)?.label).toBeNull()
  })

  it('renders only the rows in view, and clicking a header sorts', async () => {
    const wrapper = mount(SubjectsView)
    await flushPromises()
    const rendered = wrapper.findAll('.vt-row')
    expect(rendered.length).toBeGreaterThan(10)
    expect(rendered.length).toBeLessThan(60)
    expect(wrapper.get('[data-testid="subjects-count"]').text()).toContain('1000 of 1000 shown')
    const groupHeader = wrapper.findAll('.th').find((b) => b.text().startsWith('Group'))!
    await groupHeader.trigger('click')
    expect(groupHeader.attributes('aria-sort')).toBe('ascending')
    expect(wrapper.findAll('.vt-row')[0].text()).toContain('AD')
    await wrapper.get('[data-testid="subjects-search"]').setValue('142_S_0042')
    expect(wrapper.findAll('.vt-row')).toHaveLength(1)
    wrapper.unmount()
  })
})
