/** The open study's settings: rename the classes, change the visit to pair, and main's refusal while labels use a class. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { StudySummary } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useSubjectsStore } from '../../src-renderer/src/stores/subjects'
import { useErrorsStore } from '../../src-renderer/src/stores/errors'
import StudyPanel from '../../src-renderer/src/components/StudyPanel.vue'
import NoticeArea from '../../src-renderer/src/components/NoticeArea.vue'
import { FakeApi, STUDY, studySummary, subjectRow } from './fake-api'

/** A study whose settings main keeps, refusing (like updateSettings) to drop a class in use. */
function settingsServer(labelled: Record<string, string>): FakeApi {
  let current: StudySummary = studySummary({
    counts: { ...studySummary().counts, labelled: Object.keys(labelled).length }
  })
  const api = new FakeApi()
  return api
    .handle('study.open', () => current)
    .handle('subjects.list', () => ({
      classNames: current.settings.classNames,
      latestRunId: null,
      runId: null,
      rows: ['002_S_0001', '002_S_0002'].map((id) => subjectRow(id, { label: labelled[id] ?? null }))
    }))
    .handle('study.settings', ({ classNames, visit }) => {
      if (classNames) {
        const dropped = [...new Set(Object.values(labelled))].filter((l) => !classNames.includes(l))
        if (dropped.length) throw new Error(`cannot remove class ${dropped.join(', ')}: subjects are labelled with it; clear those labels first`)
      }
      current = { ...current, settings: { ...current.settings, ...(classNames ? { classNames } : {}), ...(visit ? { visit } : {}) } }
      return current
    })
}

describe('study settings in the Start view', () => {
  let wrapper: VueWrapper

  async function openPanel(api: FakeApi): Promise<void> {
    setApi(api)
    await useStudyStore().open(STUDY)
    wrapper = mount(StudyPanel)
    await wrapper.get('[data-testid="settings-edit"]').trigger('click')
  }

  beforeEach(() => {
    setActivePinia(createPinia())
  })

  afterEach(() => {
    wrapper?.unmount()
    setApi(null)
    localStorage.clear()
  })

  it('renames the classes with study.settings and shows the new names everywhere', async () => {
    const api = settingsServer({})
    await openPanel(api)
    const subjects = useSubjectsStore()
    subjects.follow()
    await subjects.load()
    expect(wrapper.get('[data-testid="settings-save"]').attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="settings-class-0"]').setValue('sMCI')
    await wrapper.get('[data-testid="settings-class-1"]').setValue(' pMCI ')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('study.settings')).toEqual([{ study: STUDY, classNames: ['sMCI', 'pMCI'] }])
    expect(wrapper.get('[data-testid="settings-classes"]').text()).toBe('sMCI / pMCI')
    expect(wrapper.get('[data-testid="settings-saved"]').text()).toContain('classes sMCI / pMCI, visit bl')
    expect(useStudyStore().classNames).toEqual(['sMCI', 'pMCI'])
    // The subjects table (and the label keys) reload the class names.
    await new Promise((r) => setTimeout(r, 450))
    await flushPromises()
    expect(subjects.classNames).toEqual(['sMCI', 'pMCI'])
  })

  it('changes only the visit when only the visit is edited', async () => {
    const api = settingsServer({ '002_S_0001': 'AD' })
    await openPanel(api)
    await wrapper.get('[data-testid="settings-visit-input"]').setValue('m12')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('study.settings')).toEqual([{ study: STUDY, visit: 'm12' }])
    expect(wrapper.get('[data-testid="settings-visit"]').text()).toBe('m12')
  })

  it("while labels use a class, main's refusal is shown in the form and as a notice, and nothing changes", async () => {
    const api = settingsServer({ '002_S_0001': 'AD', '002_S_0002': 'NC' })
    await openPanel(api)
    expect(wrapper.text()).toContain('Subjects are labelled')
    await wrapper.get('[data-testid="settings-class-1"]').setValue('Dementia')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('study.settings')).toEqual([{ study: STUDY, classNames: ['NC', 'Dementia'] }])
    expect(wrapper.get('[data-testid="settings-error"]').text()).toBe(
      'Not changed: cannot remove class AD: subjects are labelled with it; clear those labels first'
    )
    expect(useStudyStore().classNames).toEqual(['NC', 'AD'])
    expect(useErrorsStore().notices[0]).toMatchObject({ action: 'Changing the study settings', file: `${STUDY}/study.json` })
    const notices = mount(NoticeArea)
    expect(notices.get('[role="alert"]').text()).toContain('Changing the study settings failed')
    notices.unmount()
    // The form stays open with the user's edit, to fix it or cancel.
    expect((wrapper.get('[data-testid="settings-class-1"]').element as HTMLInputElement).value).toBe('Dementia')
  })

  it('adding a class keeps the labelled ones and is accepted; empty or duplicate names are not sent', async () => {
    const api = settingsServer({ '002_S_0001': 'AD' })
    await openPanel(api)
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Add a class')!
      .trigger('click')
    expect(wrapper.text()).toContain('A class name cannot be empty.')
    expect(wrapper.get('[data-testid="settings-save"]').attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="settings-class-2"]').setValue('ad')
    expect(wrapper.text()).toContain('Two classes have the same name.')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('study.settings')).toEqual([])
    await wrapper.get('[data-testid="settings-class-2"]').setValue('MCI')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.callsOf('study.settings')).toEqual([{ study: STUDY, classNames: ['NC', 'AD', 'MCI'] }])
    expect(wrapper.get('[data-testid="settings-classes"]').text()).toBe('NC / AD / MCI')
  })
})
