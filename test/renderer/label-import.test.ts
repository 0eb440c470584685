/** Label view: "Import labels from a file…" (labels.importFile), its result, its failures, and the file chooser in both shells. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { LabelImportResult } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useSubjectsStore } from '../../src-renderer/src/stores/subjects'
import { useErrorsStore } from '../../src-renderer/src/stores/errors'
import LabelView from '../../src-renderer/src/views/LabelView.vue'
import NoticeArea from '../../src-renderer/src/components/NoticeArea.vue'
import { FakeApi, STUDY, studySummary, subjectRow } from './fake-api'

const ids = ['002_S_0001', '002_S_0002', '002_S_0003']
const FILE = '/data/labels.tsv'

/** A study whose labels change when a file is imported (the result is the test's). */
function server(shell: 'browser' | 'electron', result: (labels: Map<string, string | null>) => LabelImportResult): FakeApi {
  const labels = new Map<string, string | null>(ids.map((id) => [id, null]))
  const count = () => [...labels.values()].filter((l) => l !== null).length
  return new FakeApi(shell)
    .handle('study.open', () => studySummary({ counts: { ...studySummary().counts, subjects: ids.length, labelled: count() } }))
    .handle('subjects.list', () => ({
      classNames: ['NC', 'AD'],
      latestRunId: null,
      runId: null,
      rows: ids.map((id) => subjectRow(id, { label: labels.get(id) ?? null }))
    }))
    .handle('subject.detail', ({ subject }) => ({ row: subjectRow(subject), scans: [], previews: [], history: [] }))
    .handle('labels.importFile', () => result(labels))
}

describe('importing labels from a file', () => {
  let api: FakeApi
  let wrapper: VueWrapper

  async function mountView(fake: FakeApi): Promise<void> {
    api = fake
    setApi(api)
    await useStudyStore().open(STUDY)
    wrapper = mount(LabelView)
    await flushPromises()
    await wrapper.get('[data-testid="label-import-open"]').trigger('click')
  }

  beforeEach(() => {
    setActivePinia(createPinia())
  })

  afterEach(() => {
    wrapper.unmount()
    setApi(null)
    localStorage.clear()
  })

  it('sends the file, format and MCI policy, shows the result and refreshes the labels', async () => {
    await mountView(
      server('browser', (labels) => {
        labels.set(ids[0], 'AD')
        labels.set(ids[2], 'NC')
        return {
          applied: 2,
          unchanged: 0,
          unknownSubjects: ['099_S_9999'],
          problems: [
            { file: FILE, severity: 'error', message: "line 4: label 'MCI' of 002_S_0002 is not a class (NC, AD) (MCI: choose an MCI policy); row skipped" },
            { file: FILE, severity: 'warning', message: '1 subject(s) in the file are not in the study and were ignored: 099_S_9999' }
          ]
        }
      })
    )
    expect(wrapper.get('[data-testid="label-import-run"]').attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="label-file"]').setValue(FILE)
    await wrapper.get('[data-testid="label-format"]').setValue('adnimerge')
    await wrapper.get('[data-testid="label-mci"]').setValue('converters-36m')
    await wrapper.get('[data-testid="label-import-run"]').trigger('click')
    await flushPromises()

    expect(api.callsOf('labels.importFile')).toEqual([{ study: STUDY, file: FILE, format: 'adnimerge', mci: 'converters-36m' }])
    const shown = wrapper.get('[data-testid="label-import-result"]').text()
    expect(shown).toContain('2 labels set')
    expect(shown).toContain('labels.tsv')
    expect(wrapper.get('[data-testid="label-import-unknown"]').text()).toContain('1 subject is not in this study')
    expect(wrapper.get('[data-testid="label-import-unknown"]').text()).toContain('099_S_9999')
    expect(wrapper.get('[data-testid="label-import-problems"]').text()).toContain("label 'MCI' of 002_S_0002 is not a class")
    // The labels were read again: the table, the current subject's badge and the study counts.
    expect(api.callsOf('subjects.list')).toHaveLength(2)
    expect(useSubjectsStore().row(ids[0])?.label).toBe('AD')
    expect(useSubjectsStore().row(ids[2])?.label).toBe('NC')
    expect(wrapper.get('[data-testid="current-label"]').text()).toBe('AD')
    expect(useStudyStore().summary?.counts.labelled).toBe(2)
    expect(useErrorsStore().notices).toEqual([])
  })

  it('defaults to recognising the format, without MCI labels; the 36-month rule is for ADNIMERGE only', async () => {
    await mountView(server('browser', () => ({ applied: 0, unchanged: 3, unknownSubjects: [], problems: [] })))
    await wrapper.get('[data-testid="label-file"]').setValue(FILE)
    await wrapper.get('[data-testid="label-import-run"]').trigger('click')
    await flushPromises()
    expect(api.callsOf('labels.importFile')).toEqual([{ study: STUDY, file: FILE, format: 'auto', mci: 'exclude' }])
    expect(wrapper.get('[data-testid="label-import-result"]').text()).toContain('0 labels set, 3 already known, from')
    expect(wrapper.find('[data-testid="label-import-problems"]').exists()).toBe(false)
    await wrapper.get('[data-testid="label-format"]').setValue('table')
    const converters = wrapper.get('[data-testid="label-mci"] option[value="converters-36m"]').element as HTMLOptionElement
    expect(converters.disabled).toBe(true)
    expect(wrapper.get('[data-testid="label-mci"]').text()).toContain('MCI as AD')
  })

  it('a file that cannot be imported shows the file and the problem', async () => {
    await mountView(
      server('browser', () => {
        throw new Error('/data/labels.tsv: no column participant_id (or subject, subject_id, ptid); columns are: id;dx')
      })
    )
    await wrapper.get('[data-testid="label-file"]').setValue(FILE)
    await wrapper.get('[data-testid="label-import-run"]').trigger('click')
    await flushPromises()
    expect(useErrorsStore().notices[0]).toMatchObject({ level: 'error', action: 'Importing labels', file: FILE })
    const notices = mount(NoticeArea)
    const alert = notices.get('[role="alert"]').text()
    expect(alert).toContain('Importing labels failed')
    expect(alert).toContain(FILE)
    expect(alert).toContain('no column participant_id')
    notices.unmount()
    expect(wrapper.find('[data-testid="label-import-result"]').exists()).toBe(false)
    expect(api.callsOf('subjects.list')).toHaveLength(1)
  })

  it('in the desktop app Browse… opens the native file dialog for tables', async () => {
    await mountView(
      server('electron', () => ({ applied: 1, unchanged: 0, unknownSubjects: [], problems: [] })).handle('dialog.pick', () => ({ path: '/home/me/dx.csv' }))
    )
    const browse = wrapper.findAll('button').find((b) => b.text() === 'Browse…')!
    await browse.trigger('click')
    await flushPromises()
    expect(api.callsOf('dialog.pick')).toEqual([{ mode: 'openFile', title: 'Label file', extensions: ['.tsv', '.csv', '.txt'] }])
    expect((wrapper.get('[data-testid="label-file"]').element as HTMLInputElement).value).toBe('/home/me/dx.csv')
  })

  it('in browser mode Browse… lists the allowed folders and picks a table file', async () => {
    await mountView(
      server('browser', () => ({ applied: 1, unchanged: 0, unknownSubjects: [], problems: [] }))
        .handle('files.roots', () => [{ name: 'data', path: '/data', kind: 'dir' }])
        .handle('files.list', ({ path }) => ({ path, parent: null, entries: [{ name: 'labels.tsv', path: FILE, kind: 'file' }] }))
    )
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Browse…')!
      .trigger('click')
    await flushPromises()
    await wrapper.get('.fb-entry[data-name="data"]').trigger('click')
    await flushPromises()
    expect(api.callsOf('files.list')).toEqual([{ path: '/data', extensions: ['.tsv', '.csv', '.txt'] }])
    await wrapper.get('.fb-entry[data-name="labels.tsv"]').trigger('click')
    expect((wrapper.get('[data-testid="label-file"]').element as HTMLInputElement).value).toBe(FILE)
  })
})
