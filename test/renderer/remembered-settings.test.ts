/** Settings the window remembers across reloads and launches (issue 15, item 16): the epochs and the label queue position. */
import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useSubjectsStore } from '../../src-renderer/src/stores/subjects'
import { useLabellingStore } from '../../src-renderer/src/stores/labelling'
import { useTrainingStore } from '../../src-renderer/src/stores/training'
import { mount } from '@vue/test-utils'
import LabelRatePanel from '../../src-renderer/src/components/LabelRatePanel.vue'
import { FakeApi, STUDY, flush, studySummary, subjectRow } from './fake-api'

/** A fresh window (a reload): new stores over the same localStorage. */
async function freshWindow(): Promise<FakeApi> {
  setActivePinia(createPinia())
  const api = new FakeApi()
    .handle('study.open', () => studySummary())
    .handle('subjects.list', () => ({ classNames: ['NC', 'AD'], latestRunId: null, runId: null, rows: ['S1', 'S2', 'S3', 'S4'].map((id) => subjectRow(id)) }))
    .handle('subject.detail', ({ subject }) => ({ row: subjectRow(subject), scans: [], previews: [], history: [] }))
  setApi(api)
  await useStudyStore().open(STUDY)
  return api
}

describe('remembered settings', () => {
  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it("the epochs last chosen survive a reload; without a choice main's default is used", async () => {
    await freshWindow()
    const training = useTrainingStore()
    await training.loadCatalogue()
    expect(training.epochs).toBe(30)
    training.epochs = 12
    await flush()
    await freshWindow()
    await useTrainingStore().loadCatalogue()
    expect(useTrainingStore().epochs).toBe(12)
  })

  it('the label queue reopens on the subject the researcher was on', async () => {
    await freshWindow()
    await useSubjectsStore().load()
    await useLabellingStore().start()
    expect(useLabellingStore().currentId).toBe('S1')
    await useLabellingStore().goTo('S3')
    await freshWindow()
    await useSubjectsStore().load()
    await useLabellingStore().start()
    expect(useLabellingStore().currentId).toBe('S3')
  })
})

describe('Keep N% visible', () => {
  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it('shows the share of the known labels visible now', async () => {
    setActivePinia(createPinia())
    setApi(new FakeApi().handle('study.open', () => studySummary({ counts: { ...studySummary().counts, subjects: 120, labelled: 12, hidden: 108 } })))
    await useStudyStore().open(STUDY)
    const wrapper = mount(LabelRatePanel)
    await flush()
    expect((wrapper.get('[data-testid="rate-percent"]').element as HTMLInputElement).value).toBe('10')
    wrapper.unmount()
  })
})
