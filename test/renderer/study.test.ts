/** Start: one-click demo study with progress and Cancel, import preview before writing, errors that say what failed. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount } from '@vue/test-utils'
import type { ImportPreview, ImportResult } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { OPEN_STUDY_KEY, useStudyStore } from '../../src-renderer/src/stores/study'
import { useErrorsStore } from '../../src-renderer/src/stores/errors'
import { useJobsStore } from '../../src-renderer/src/stores/jobs'
import { useNavigationStore } from '../../src-renderer/src/stores/navigation'
import StudyPanel from '../../src-renderer/src/components/StudyPanel.vue'
import NoticeArea from '../../src-renderer/src/components/NoticeArea.vue'
import { FakeApi, STUDY, studySummary } from './fake-api'

const preview: ImportPreview = {
  source: '/data/adni',
  layout: 'adni',
  visit: 'bl',
  visits: ['bl', 'm12'],
  series: [{ name: 'MPRAGE GM', modality: 'smri', reason: 'series description mentions MPRAGE' }],
  subjects: [
    { id: '002_S_0295', visits: ['bl'], smri: '/data/adni/a.nii', pet: null, group: 'AD', known: false, smriProblem: null, petProblem: null },
    {
      id: '002_S_0413',
      visits: ['bl'],
      smri: '/data/adni/native.nii',
      pet: null,
      group: 'CN',
      known: false,
      smriProblem: 'not in MNI space: its field of view x 300..320 mm does not cover the brain. What to do: normalise it to MNI152',
      petProblem: null
    }
  ],
  inputs: [
    {
      modality: 'smri',
      series: 'MPRAGE GM',
      kind: 't1-weighted',
      space: 'native',
      scans: 1,
      reason: 'native space: its axes are rotated (oblique by 12.0 degrees)'
    }
  ],
  counts: { subjects: 2, withSmri: 2, withPet: 0, new: 2 },
  problems: [{ file: '/data/adni/002_S_0295/PET/b.nii', message: 'truncated: header says 902629 voxels, file holds 1200', severity: 'error' }]
}

describe('study panel', () => {
  let api: FakeApi

  beforeEach(() => {
    setActivePinia(createPinia())
    api = new FakeApi()
      .handle('study.createDemo', () => ({ jobId: 'demo-1' }))
      .handle('study.open', () => studySummary())
      .handle('job.cancel', () => ({ cancelled: true }))
      .handle('import.preview', () => preview)
      .handle('import.run', () => ({ jobId: 'imp-1' }))
    setApi(api)
  })

  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it('creates the demo study with one click, shows progress with Cancel, then opens it', async () => {
    const wrapper = mount(StudyPanel)
    await wrapper.get('[data-testid="demo-subjects"]').setValue('24')
    await wrapper.get('[data-testid="create-demo"]').trigger('click')
    await flushPromises()
    expect(api.callsOf('study.createDemo')).toEqual([{ subjects: 24, seed: undefined }])
    api.emit('job.progress', { jobId: 'demo-1', kind: 'study.createDemo', fraction: 0.4, message: 'preprocessed 10/48 scans' })
    await flushPromises()
    expect(wrapper.text()).toContain('Creating the demo study')
    expect(wrapper.text()).toContain('preprocessed 10/48 scans')
    expect(wrapper.get('progress').attributes('value')).toBe('40')
    expect(wrapper.find('.job-cancel').exists()).toBe(true)

    api.emit('job.done', {
      jobId: 'demo-1',
      kind: 'study.createDemo',
      result: {
        study: STUDY,
        cohort: '/c',
        import: { added: 24, updated: 0, unchanged: 0, preprocessed: 48, fromCache: 0, problems: [], summary: studySummary() }
      }
    })
    await flushPromises()
    expect(useStudyStore().path).toBe(STUDY)
    expect(localStorage.getItem(OPEN_STUDY_KEY)).toBe(STUDY)
    expect(useNavigationStore().current).toBe('subjects')
    wrapper.unmount()
  })

  it('Cancel cancels the job, and a cancelled job is not reported as an error', async () => {
    const wrapper = mount(StudyPanel)
    await wrapper.get('[data-testid="create-demo"]').trigger('click')
    await flushPromises()
    await wrapper.get('.job-cancel').trigger('click')
    await flushPromises()
    expect(api.callsOf('job.cancel')).toEqual([{ jobId: 'demo-1' }])
    expect(wrapper.get('.job-cancel').text()).toBe('Cancelling…')
    api.emit('job.error', { jobId: 'demo-1', kind: 'study.createDemo', message: 'cancelled by the user', cancelled: true })
    await flushPromises()
    expect(useJobsStore().jobs['demo-1'].state).toBe('cancelled')
    expect(useErrorsStore().notices).toEqual([])
    expect(useStudyStore().isOpen).toBe(false)
    wrapper.unmount()
  })

  it('a failed job says what failed and why', async () => {
    const wrapper = mount(StudyPanel)
    await wrapper.get('[data-testid="create-demo"]').trigger('click')
    await flushPromises()
    api.emit('job.error', {
      jobId: 'demo-1',
      kind: 'study.createDemo',
      message: 'ENOSPC: no space left on device, write /studies/demo/cohort/ADNI/x.nii.gz',
      cancelled: false
    })
    await flushPromises()
    const [notice] = useErrorsStore().notices
    expect(notice.action).toBe('Creating the demo study')
    expect(notice.message).toContain('ENOSPC')
    const notices = mount(NoticeArea)
    expect(notices.get('[role="alert"]').text()).toContain('Creating the demo study failed')
    expect(notices.get('[role="alert"]').text()).toContain('no space left on device')
    notices.unmount()
    wrapper.unmount()
  })

  it('previews an import (subjects, problems) before anything is written, then imports', async () => {
    await useStudyStore().open(STUDY)
    const wrapper = mount(StudyPanel)
    await wrapper.get('[data-testid="import-source"]').setValue('/data/adni')
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Preview')!
      .trigger('click')
    await flushPromises()
    expect(api.callsOf('import.preview')).toEqual([{ study: STUDY, source: '/data/adni' }])
    expect(api.callsOf('import.run')).toEqual([])
    const shown = wrapper.get('[data-testid="import-preview"]').text()
    expect(shown).toContain('002_S_0295')
    expect(shown).toContain('truncated: header says 902629 voxels')
    expect(shown).toContain('/data/adni/002_S_0295/PET/b.nii')
    // What the scans will be taken as, before importing: a native T1 is registered here.
    expect(wrapper.get('[data-testid="import-inputs"]').text()).toContain('T1-weighted, native space: registered to the MNI template here')
    // A scan the import would drop is marked at preview, with the reason on the cell.
    expect(wrapper.get('[data-testid="preview-smri-002_S_0295"]').text()).toBe('✓')
    const bad = wrapper.get('[data-testid="preview-smri-002_S_0413"]')
    expect(bad.text()).toBe('✗ will be skipped')
    expect(bad.attributes('title')).toContain('not in MNI space')

    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Import 2 subjects')!
      .trigger('click')
    await flushPromises()
    expect(api.callsOf('import.run')).toEqual([{ study: STUDY, source: '/data/adni', layout: 'adni', visit: 'bl' }])
    const problem = {
      file: '/data/adni/native.nii',
      severity: 'error' as const,
      message: '002_S_0413 sMRI skipped: must be spatially normalised to MNI space first. Normalise it to MNI152 and import it again.'
    }
    const result: ImportResult = { added: 1, updated: 0, unchanged: 0, preprocessed: 1, fromCache: 0, problems: [problem], summary: studySummary() }
    api.emit('job.done', { jobId: 'imp-1', kind: 'import', result })
    await flushPromises()
    expect(useStudyStore().lastImport).toEqual(result)
    expect(useNavigationStore().current).toBe('subjects')
    // Every problem of the import is listed by file with its message (not only counted).
    const listed = wrapper.get('[data-testid="import-problems"]').text()
    expect(listed).toContain('/data/adni/native.nii')
    expect(listed).toContain('002_S_0413 sMRI skipped')
    expect(listed).toContain('import it again')
    wrapper.unmount()
  })

  it('New study, with a study open: creates it under its name in the chosen folder, opens it and lists it in recent studies', async () => {
    const recent = [{ path: STUDY, name: 'demo', openedAt: '2026-11-26T10:00:00Z' }]
    api
      .handle('study.create', ({ folder, name }) => {
        recent.unshift({ path: folder, name: name ?? 'x', openedAt: '2026-11-26T11:00:00Z' })
        return studySummary({ path: folder, name: name ?? 'x', counts: { ...studySummary().counts, subjects: 0 } })
      })
      .handle('studies.recent', () => recent)
    await useStudyStore().open(STUDY)
    const wrapper = mount(StudyPanel)
    await flushPromises()
    // The demo study is open, and New study is on the page (not only behind the menu).
    await wrapper.get('[data-testid="new-study-folder"]').setValue('/studies/mine')
    await wrapper.get('[data-testid="new-study-name"]').setValue('My cohort 2026')
    await wrapper.get('[data-testid="create-study"]').trigger('click')
    await flushPromises()
    expect(api.callsOf('study.create')).toEqual([{ folder: '/studies/mine', name: 'My cohort 2026' }])
    expect(useStudyStore().summary?.name).toBe('My cohort 2026')
    expect(wrapper.get('[data-testid="import-target"]').text()).toBe('My cohort 2026')
    expect(useStudyStore().recent.map((r) => r.path)).toEqual(['/studies/mine', STUDY])
    // Back to the demo study: the recent list switches.
    expect(await useStudyStore().open(STUDY)).toBe(true)
    expect(useStudyStore().path).toBe(STUDY)
    wrapper.unmount()
  })

  it('opening a folder that is not a study names the folder and the reason', async () => {
    api.handle('study.open', () => {
      throw new Error('/home/me/scans/study.json: no such file (not a study folder)')
    })
    expect(await useStudyStore().open('/home/me/scans')).toBe(false)
    expect(useErrorsStore().notices[0]).toMatchObject({ action: 'Opening the study', file: '/home/me/scans' })
  })

  it('File > Open study in the desktop app opens the native folder dialog, and the chosen study', async () => {
    const electron = new FakeApi('electron').handle('dialog.pick', () => ({ path: STUDY })).handle('study.open', () => studySummary())
    setApi(electron)
    useNavigationStore().receiveMenuCommand('openStudy')
    const wrapper = mount(StudyPanel)
    await flushPromises()
    expect(electron.callsOf('dialog.pick')).toEqual([{ mode: 'openFolder', title: 'Study folder', extensions: undefined }])
    expect((wrapper.get('[data-testid="open-path"]').element as HTMLInputElement).value).toBe(STUDY)
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Open')!
      .trigger('click')
    await flushPromises()
    expect(useStudyStore().path).toBe(STUDY)
    wrapper.unmount()
  })

  it('job events that arrive before the job is tracked are not lost', async () => {
    const jobs = useJobsStore()
    jobs.connect()
    api.emit('job.done', { jobId: 'fast', kind: 'export', result: { out: '/o', files: [] } })
    await expect(jobs.track('fast', 'export', 'Exporting')).resolves.toEqual({ out: '/o', files: [] })
  })
})
