/** Labelling: keys, undo, save order, save errors, and the "label next" suggestion. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { SubjectRow } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useSubjectsStore } from '../../src-renderer/src/stores/subjects'
import { suggestNext, useLabellingStore } from '../../src-renderer/src/stores/labelling'
import { useErrorsStore } from '../../src-renderer/src/stores/errors'
import LabelView from '../../src-renderer/src/views/LabelView.vue'
import { FakeApi, STUDY, studySummary, subjectRow } from './fake-api'

const ids = ['002_S_0001', '002_S_0002', '002_S_0003', '002_S_0004', '002_S_0005', '002_S_0006']

/** A fake main process with a real label log: set, clear and undo behave like the study's. */
function labelServer(): { api: FakeApi; labels: Map<string, string | null> } {
  const labels = new Map<string, string | null>(ids.map((id) => [id, null]))
  const log: Array<{ seq: number; subject: string; previous: string | null; label: string | null; undone: boolean }> = []
  const api = new FakeApi()
  const change = (subject: string, label: string | null) => {
    if (!labels.has(subject)) throw new Error(`unknown subject ${subject}`)
    const previous = labels.get(subject) ?? null
    labels.set(subject, label)
    const seq = log.length + 1
    log.push({ seq, subject, previous, label, undone: false })
    return { subject, label, previous, seq }
  }
  api
    .handle('study.open', () => studySummary())
    .handle('subjects.list', () => ({
      classNames: ['NC', 'AD'],
      latestRunId: null,
      runId: null,
      rows: ids.map((id) => subjectRow(id, { label: labels.get(id) ?? null }))
    }))
    .handle('subject.detail', ({ subject }) => ({ row: subjectRow(subject), scans: [], previews: [], history: [] }))
    .handle('labels.set', ({ subject, label }) => change(subject, label))
    .handle('labels.clear', ({ subject }) => change(subject, null))
    .handle('labels.undo', () => {
      const last = [...log].reverse().find((e) => !e.undone)
      if (!last) return { undone: null, change: null }
      last.undone = true
      labels.set(last.subject, last.previous)
      return {
        undone: {
          seq: last.seq,
          time: '2026-11-26T10:00:00Z',
          action: 'set',
          subject: last.subject,
          label: last.label,
          previous: last.previous,
          undoes: null,
          source: 'user'
        },
        change: { subject: last.subject, label: last.previous, previous: last.label, seq: log.length + 1 }
      }
    })
  return { api, labels }
}

function press(key: string, init: KeyboardEventInit = {}): void {
  window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }))
}

describe('Label view keys', () => {
  let api: FakeApi
  let labels: Map<string, string | null>
  let wrapper: VueWrapper

  beforeEach(async () => {
    setActivePinia(createPinia())
    ;({ api, labels } = labelServer())
    setApi(api)
    await useStudyStore().open(STUDY)
    wrapper = mount(LabelView)
    await flushPromises()
  })

  afterEach(() => {
    wrapper.unmount()
    setApi(null)
    localStorage.clear()
  })

  it('starts on the first unlabelled subject and shows the class keys', () => {
    expect(useLabellingStore().currentId).toBe(ids[0])
    expect(wrapper.text()).toContain('1 NC')
    expect(wrapper.text()).toContain('2 AD')
  })

  it('a number key labels the current subject, saves it at once and moves on', async () => {
    press('2')
    await flushPromises()
    await useLabellingStore().settled()
    await flushPromises()
    expect(api.callsOf('labels.set')).toEqual([{ study: STUDY, subject: ids[0], label: 'AD' }])
    expect(labels.get(ids[0])).toBe('AD')
    const store = useLabellingStore()
    expect(store.currentId).toBe(ids[1])
    expect(store.saves[ids[0]]).toEqual({ state: 'saved', label: 'AD' })
    expect(useSubjectsStore().row(ids[0])?.label).toBe('AD')
    expect(wrapper.get('[data-testid="save-line"]').text()).toContain(`${ids[0]} → AD`)
  })

  it('a key outside the classes does nothing', async () => {
    press('3')
    await flushPromises()
    expect(api.callsOf('labels.set')).toEqual([])
    expect(useLabellingStore().currentId).toBe(ids[0])
  })

  it('S skips, arrows move, and keys typed into a text field are left alone', async () => {
    const store = useLabellingStore()
    press('s')
    await flushPromises()
    expect(store.currentId).toBe(ids[1])
    press('ArrowRight')
    await flushPromises()
    expect(store.currentId).toBe(ids[2])
    press('ArrowLeft')
    await flushPromises()
    expect(store.currentId).toBe(ids[1])

    const input = document.createElement('input')
    document.body.appendChild(input)
    input.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true, cancelable: true }))
    await flushPromises()
    expect(api.callsOf('labels.set')).toEqual([])
    input.remove()
  })

  it('U and Ctrl+Z undo in order, after the saves they follow, and show the subject again', async () => {
    const store = useLabellingStore()
    press('1') // 0001 -> NC
    press('2') // 0002 -> AD (keys pressed before the first save answered)
    press('u') // undoes 0002
    await flushPromises()
    await store.settled()
    await flushPromises()
    expect(api.calls.filter((c) => c.name.startsWith('labels.')).map((c) => c.name)).toEqual(['labels.set', 'labels.set', 'labels.undo'])
    expect(labels.get(ids[0])).toBe('NC')
    expect(labels.get(ids[1])).toBeNull()
    expect(store.currentId).toBe(ids[1])
    expect(useSubjectsStore().row(ids[1])?.label).toBeNull()

    press('z', { ctrlKey: true })
    await flushPromises()
    await store.settled()
    await flushPromises()
    expect(labels.get(ids[0])).toBeNull()
    expect(store.currentId).toBe(ids[0])
  })

  it('a failed save puts the previous label back and says which subject and file', async () => {
    api.handle('labels.set', () => {
      throw new Error('EROFS: read-only file system, open labels.log')
    })
    press('2')
    await flushPromises()
    await useLabellingStore().settled()
    await flushPromises()
    const store = useLabellingStore()
    expect(store.saves[ids[0]]).toEqual({ state: 'error', message: 'EROFS: read-only file system, open labels.log' })
    expect(useSubjectsStore().row(ids[0])?.label).toBeNull()
    const notice = useErrorsStore().notices[0]
    expect(notice.action).toBe(`Saving the label "AD" of ${ids[0]}`)
    expect(notice.file).toBe(`${STUDY}/labels.tsv`)
    expect(notice.message).toContain('read-only')
    expect(wrapper.get('[data-testid="save-line"]').text()).toContain(`Not saved: ${ids[0]}`)
  })
})

describe('suggestNext (active learning)', () => {
  const classNames = ['NC', 'AD']
  const predicted = (id: string, smri: number[], pet: number[], aggregator: number[]): SubjectRow =>
    subjectRow(id, { prediction: { runId: 'r1', modalities: { smri, pet }, aggregator, predicted: aggregator[1] > 0.5 ? 'AD' : 'NC' } })

  it('prefers the subject whose modalities disagree most and says so', () => {
    const rows = [
      predicted('a', [0.9, 0.1], [0.85, 0.15], [0.97, 0.03]),
      predicted('b', [0.1, 0.9], [0.8, 0.2], [0.3, 0.7]),
      predicted('c', [0.7, 0.3], [0.72, 0.28], [0.8, 0.2])
    ]
    const s = suggestNext(rows, classNames, new Set())
    expect(s?.subject).toBe('b')
    expect(s?.kind).toBe('disagreement')
    expect(s?.reason).toContain('sMRI says AD (90 %)')
    expect(s?.reason).toContain('PET says NC (80 %)')
  })

  it('falls back on the least certain aggregator when the modalities agree', () => {
    const rows = [predicted('a', [0.6, 0.4], [0.62, 0.38], [0.55, 0.45]), predicted('b', [0.9, 0.1], [0.88, 0.12], [0.99, 0.01])]
    const s = suggestNext(rows, classNames, new Set())
    expect(s?.subject).toBe('a')
    expect(s?.kind).toBe('uncertainty')
  })

  it('skips labelled and excluded subjects; without predictions takes the next with both scans', () => {
    const rows = [subjectRow('x', { label: 'AD' }), subjectRow('y', { hasPet: false }), subjectRow('z'), subjectRow('w')]
    expect(suggestNext(rows, classNames, new Set())).toMatchObject({ subject: 'z', kind: 'no-model' })
    expect(suggestNext(rows, classNames, new Set(['z']))?.subject).toBe('w')
    expect(suggestNext([subjectRow('x', { label: 'NC' })], classNames, new Set())).toBeNull()
  })
})
