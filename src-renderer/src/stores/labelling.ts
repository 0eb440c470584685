/**
 * Keyboard-first labelling: the current subject, its detail (previews, scans, history), label /
 * skip / undo / previous / next, the save state of every label, the budget, and the active-
 * learning suggestion of the most useful subject to label next.
 *
 * Saves go out at once, one at a time in the order the keys were pressed (a promise chain), so
 * the label log on disk follows the user's order and an undo never overtakes the save it undoes.
 * The label shows immediately; a failed save puts the previous label back and says why.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { LabelImportResult, MciPolicy, SubjectDetail, SubjectRow } from '@contract/contracts/study'
import { getApi } from '../api/client'
import { useErrorsStore, messageOf } from './errors'
import { useStudyStore } from './study'
import { isString, readPref, writePref } from './preferences'

/** Where the label queue was, per study folder. */
const positionKey = (study: string) => `label.position:${study}`
import { argmax, modalityDisagreement, marginUncertainty, useSubjectsStore } from './subjects'
import { modalityLabel, percent } from '../display/format'

/** How a label file is read: recognised from its columns, a participant_id + label table, or ADNIMERGE. */
export type LabelFileFormat = 'auto' | 'table' | 'adnimerge'

export type SaveState = { state: 'saving' } | { state: 'saved'; label: string | null } | { state: 'error'; message: string }

export interface Suggestion {
  readonly subject: string
  /** One sentence for the researcher: why this subject is worth labelling now. */
  readonly reason: string
  /** 'disagreement' | 'uncertainty' | 'no-model' */
  readonly kind: 'disagreement' | 'uncertainty' | 'no-model'
  /** 0..1, higher = more useful. */
  readonly score: number
}

const DETAIL_CACHE = 12

/**
 * Ranks unlabelled subjects for active learning. With predictions: the larger of the modalities'
 * disagreement (total variation between their class probabilities) and the aggregator's
 * uncertainty (1 - margin between its two most likely classes); both lie in 0..1. Without: the first unlabelled subject that has both scans.
 */
export function suggestNext(rows: readonly SubjectRow[], classNames: readonly string[], exclude: ReadonlySet<string>): Suggestion | null {
  let best: Suggestion | null = null
  let fallback: SubjectRow | null = null
  for (const r of rows) {
    if (r.label !== null || exclude.has(r.id)) continue
    if (!fallback && r.hasSmri && r.hasPet) fallback = r
    const p = r.prediction
    if (!p) continue
    const disagreement = modalityDisagreement(p.modalities)
    const uncertainty = marginUncertainty(p.aggregator)
    const score = Math.max(disagreement, uncertainty)
    if (best && score <= best.score) continue
    if (disagreement >= uncertainty) {
      const parts = Object.entries(p.modalities).map(([m, probs]) => {
        const c = argmax(probs)
        return `${modalityLabel(m)} says ${classNames[c] ?? c} (${percent(probs[c])})`
      })
      best = {
        subject: r.id,
        kind: 'disagreement',
        score,
        reason: `${parts.join(', ')}: the modalities disagree more here than on any other unlabelled subject.`
      }
    } else {
      const c = argmax(p.aggregator)
      best = {
        subject: r.id,
        kind: 'uncertainty',
        score,
        reason: `The combined model is least certain here (${classNames[c] ?? c} at only ${percent(p.aggregator[c])}): a label teaches it the most.`
      }
    }
  }
  if (best) return best
  if (fallback) {
    return {
      subject: fallback.id,
      kind: 'no-model',
      score: 0,
      reason:
        'No trained model yet: this is the next unlabelled subject with both scans. After a run, suggestions follow where the modalities disagree or the model is least certain.'
    }
  }
  return null
}

export const useLabellingStore = defineStore('labelling', () => {
  const currentId = ref<string | null>(null)
  const detail = shallowRef<SubjectDetail | null>(null)
  const detailLoading = ref(false)
  const detailError = ref<string | null>(null)
  const saves = ref<Record<string, SaveState>>({})
  /** The last subject whose label was set or undone, for the status line. */
  const lastAction = ref<{ subject: string; text: string } | null>(null)
  const skipped = ref<string[]>([])
  const budgetOverride = ref<number | null>(null)

  const cache = new Map<string, SubjectDetail>()
  let chain: Promise<unknown> = Promise.resolve()

  const subjects = useSubjectsStore()
  const study = useStudyStore()

  /** Subjects in labelling order: the Subjects table's current order and filters. */
  const order = computed(() => subjects.filtered.map((r) => r.id))
  const position = computed(() => (currentId.value ? order.value.indexOf(currentId.value) : -1))
  const current = computed(() => (currentId.value ? (subjects.row(currentId.value) ?? null) : null))
  const labelledCount = computed(() => subjects.rows.filter((r) => r.label !== null).length)
  /** How many labels the researcher plans to give: 10 % of the cohort, at least 10, unless set. */
  const budget = computed(() => budgetOverride.value ?? Math.min(subjects.rows.length, Math.max(10, Math.round(subjects.rows.length * 0.1))))
  const pendingSaves = computed(() => Object.values(saves.value).filter((s) => s.state === 'saving').length)
  const failedSaves = computed(() =>
    Object.entries(saves.value)
      .filter(([, s]) => s.state === 'error')
      .map(([id]) => id)
  )
  const suggestion = computed(() =>
    suggestNext(subjects.filtered, subjects.classNames, new Set([...skipped.value, ...(currentId.value ? [currentId.value] : [])]))
  )

  function setBudget(n: number | null): void {
    budgetOverride.value = n === null || !Number.isFinite(n) || n < 1 ? null : Math.round(n)
  }

  /** Makes `subject` the current one and loads its detail (cached), prefetching the next. */
  async function goTo(subject: string): Promise<void> {
    currentId.value = subject
    if (study.path) writePref(positionKey(study.path), subject)
    detailError.value = null
    const cached = cache.get(subject)
    if (cached) {
      detail.value = cached
    } else {
      detail.value = null
      detailLoading.value = true
      try {
        const d = await fetchDetail(subject)
        if (currentId.value === subject) detail.value = d
      } catch (err) {
        if (currentId.value === subject) {
          detailError.value = messageOf(err)
          useErrorsStore().report(`Loading subject ${subject}`, err, study.path ?? undefined)
        }
      } finally {
        if (currentId.value === subject) detailLoading.value = false
      }
    }
    const next = order.value[position.value + 1]
    if (next && !cache.has(next)) void fetchDetail(next).catch(() => undefined)
  }

  async function fetchDetail(subject: string): Promise<SubjectDetail> {
    if (!study.path) throw new Error('no study is open')
    const d = await getApi().call('subject.detail', { study: study.path, subject })
    cache.set(subject, d)
    if (cache.size > DETAIL_CACHE) cache.delete(cache.keys().next().value as string)
    return d
  }

  /** Starts where the researcher left this study's queue (across reloads and launches), else at
   *  the suggestion, else the first unlabelled subject, else the first subject. */
  async function start(): Promise<void> {
    if (currentId.value && subjects.row(currentId.value)) return
    const saved = study.path ? readPref(positionKey(study.path), isString) : null
    const first =
      (saved && subjects.row(saved) ? saved : null) ?? suggestion.value?.subject ?? subjects.filtered.find((r) => r.label === null)?.id ?? order.value[0]
    if (first) await goTo(first)
  }

  async function next(): Promise<void> {
    const id = order.value[position.value + 1]
    if (id) await goTo(id)
  }

  async function previous(): Promise<void> {
    const id = order.value[position.value - 1]
    if (id) await goTo(id)
  }

  /** The next subject after the current one (wrapping) that has no label and was not skipped. */
  function nextUnlabelled(): string | null {
    const ids = order.value
    const skip = new Set(skipped.value)
    for (let k = 1; k <= ids.length; k++) {
      const id = ids[(position.value + k + ids.length) % ids.length]
      if (id !== currentId.value && subjects.row(id)?.label === null && !skip.has(id)) return id
    }
    return null
  }

  async function advance(): Promise<void> {
    const id = nextUnlabelled()
    if (id) await goTo(id)
    else await next()
  }

  /** Queues `work` after every earlier save / undo. */
  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = chain.then(work, work)
    chain = run.catch(() => undefined)
    return run
  }

  /**
   * Labels the current subject with class `classIndex` (0-based, the study's class order), saves
   * at once and moves on to the next unlabelled subject. Resolves when the save is done.
   */
  async function labelCurrent(classIndex: number): Promise<void> {
    const subject = currentId.value
    const name = subjects.classNames[classIndex]
    if (!subject || name === undefined || !study.path) return
    const folder = study.path
    const previousLabel = subjects.row(subject)?.label ?? null
    subjects.applyLabel(subject, name)
    saves.value[subject] = { state: 'saving' }
    lastAction.value = { subject, text: `${subject} → ${name}` }
    skipped.value = skipped.value.filter((id) => id !== subject)
    const saved = enqueue(() => getApi().call('labels.set', { study: folder, subject, label: name }))
    void advance()
    try {
      const change = await saved
      subjects.applyLabel(subject, change.label, true)
      saves.value[subject] = { state: 'saved', label: change.label }
      cache.delete(subject) // its history changed
    } catch (err) {
      subjects.applyLabel(subject, previousLabel, true)
      saves.value[subject] = { state: 'error', message: messageOf(err) }
      useErrorsStore().report(`Saving the label "${name}" of ${subject}`, err, `${folder}/labels.tsv`)
    }
  }

  /** Clears the current subject's label (saved at once). */
  async function clearCurrent(): Promise<void> {
    const subject = currentId.value
    if (!subject || !study.path) return
    const folder = study.path
    const previousLabel = subjects.row(subject)?.label ?? null
    if (previousLabel === null) return
    subjects.applyLabel(subject, null)
    saves.value[subject] = { state: 'saving' }
    lastAction.value = { subject, text: `${subject}: label cleared` }
    try {
      await enqueue(() => getApi().call('labels.clear', { study: folder, subject }))
      subjects.applyLabel(subject, null, true)
      saves.value[subject] = { state: 'saved', label: null }
      cache.delete(subject)
    } catch (err) {
      subjects.applyLabel(subject, previousLabel, true)
      saves.value[subject] = { state: 'error', message: messageOf(err) }
      useErrorsStore().report(`Clearing the label of ${subject}`, err, `${folder}/labels.tsv`)
    }
  }

  /** Moves on without labelling; the subject is left out of "next unlabelled" and suggestions. */
  async function skip(): Promise<void> {
    if (currentId.value && !skipped.value.includes(currentId.value)) skipped.value = [...skipped.value, currentId.value]
    await advance()
  }

  /** Undo and redo: one step of the study's label history (after pending saves), then that subject is shown. */
  async function stepHistory(request: 'labels.undo' | 'labels.redo'): Promise<void> {
    if (!study.path) return
    const folder = study.path
    const undoing = request === 'labels.undo'
    try {
      const { change } = await enqueue(() => getApi().call(request, { study: folder }))
      if (!change) {
        useErrorsStore().info(undoing ? 'Undo' : 'Redo', undoing ? 'There is no label change left to undo.' : 'There is no undone label change to redo.')
        return
      }
      subjects.applyLabel(change.subject, change.label, true)
      saves.value[change.subject] = { state: 'saved', label: change.label }
      cache.delete(change.subject)
      lastAction.value = {
        subject: change.subject,
        text: undoing ? `Undone: ${change.subject} is ${change.label ?? 'unlabelled'} again` : `Redone: ${change.subject} → ${change.label ?? 'unlabelled'}`
      }
      await goTo(change.subject)
    } catch (err) {
      useErrorsStore().report(undoing ? 'Undoing the last label' : 'Redoing the last undone label', err, `${folder}/labels.tsv`)
    }
  }

  /** Undoes the last label change in the study and shows that subject. */
  const undo = (): Promise<void> => stepHistory('labels.undo')

  /** Re-applies the change the last undo reverted and shows that subject. */
  const redo = (): Promise<void> => stepHistory('labels.redo')

  /**
   * Keeps a stratified, seeded fraction (0..1) of the known labels visible and hides the rest,
   * which stay on disk for evaluation: how a researcher with a fully labelled cohort measures
   * learning from few labels. Returns the counts, or null when it failed (reported).
   */
  async function simulateRate(rate: number, seed: number): Promise<{ visible: number; hidden: number } | null> {
    const r = await changeManyLabels(
      (folder) => getApi().call('labels.simulateRate', { study: folder, rate, seed }),
      `Hiding labels (keeping ${Math.round(rate * 100)} % visible)`,
      (folder) => `${folder}/labels.tsv`
    )
    if (r) skipped.value = []
    return r
  }

  /**
   * A request that changes many labels at once: run after pending saves, then the labels, the
   * subjects and the study's counts are read again. Null when there is no study or it failed
   * (reported as `what`, naming `where(folder)`).
   */
  async function changeManyLabels<T>(request: (folder: string) => Promise<T>, what: string, where: (folder: string) => string): Promise<T | null> {
    if (!study.path) return null
    const folder = study.path
    try {
      const r = await enqueue(() => request(folder))
      cache.clear()
      await subjects.load()
      await study.refreshSummary()
      return r
    } catch (err) {
      useErrorsStore().report(what, err, where(folder))
      return null
    }
  }

  /**
   * Imports labels from a file (`labels.importFile`): a TSV/CSV with participant_id and label, or
   * ADNIMERGE with `mci` deciding what MCI becomes. Runs after pending saves, then reloads the
   * labels. Returns what was applied, the unknown subjects and the problems, or null when the file
   * could not be imported (reported with the file and the reason).
   */
  async function importLabels(file: string, format: LabelFileFormat, mci: MciPolicy): Promise<LabelImportResult | null> {
    return changeManyLabels(
      (folder) => getApi().call('labels.importFile', { study: folder, file, format, mci }),
      'Importing labels',
      () => file
    )
  }

  async function labelSuggested(): Promise<void> {
    const s = suggestion.value
    if (s) await goTo(s.subject)
  }

  /** Forgets per-study state (another study was opened). */
  function reset(): void {
    currentId.value = null
    detail.value = null
    detailError.value = null
    saves.value = {}
    skipped.value = []
    lastAction.value = null
    cache.clear()
  }

  /** Waits until every queued save and undo has answered (tests, leaving the view). */
  function settled(): Promise<unknown> {
    return chain
  }

  return {
    currentId,
    detail,
    detailLoading,
    detailError,
    saves,
    lastAction,
    skipped,
    order,
    position,
    current,
    labelledCount,
    budget,
    pendingSaves,
    failedSaves,
    suggestion,
    setBudget,
    goTo,
    start,
    next,
    previous,
    labelCurrent,
    clearCurrent,
    skip,
    undo,
    redo,
    simulateRate,
    importLabels,
    labelSuggested,
    reset,
    settled
  }
})
