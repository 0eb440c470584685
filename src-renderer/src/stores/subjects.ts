/**
 * The subjects of the open study as one table: sorting, filtering and search are computed here
 * so the (virtualised) table component only renders. Reloads when the study reports a change,
 * once per burst of changes.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { SubjectRow } from '@contract/contracts/study'
import { getApi } from '../api/client'
import { useErrorsStore } from './errors'
import { isString, lastRunKey, readPref, writePref } from './preferences'
import { useStudyStore } from './study'

export type SortKey = 'id' | 'group' | 'modalities' | 'label' | 'split' | 'predicted' | 'confidence' | 'disagreement'
export type LabelFilter = 'all' | 'labelled' | 'unlabelled' | `class:${string}`
export type ModalityFilter = 'all' | 'both' | 'missing'
export type SplitFilter = 'all' | 'train' | 'val' | 'test' | 'none'

/** Class index with the highest probability (0-based); -1 for an empty vector. */
export function argmax(p: readonly number[]): number {
  let best = -1
  for (let i = 0; i < p.length; i++) if (best < 0 || p[i] > p[best]) best = i
  return best
}

/**
 * How much the modalities disagree on a subject: the largest total-variation distance between
 * two modalities' class probabilities (0 = identical, 1 = certain of different classes).
 * 0 when fewer than two modalities were predicted.
 */
export function modalityDisagreement(modalities: Record<string, readonly number[]>): number {
  const probs = Object.values(modalities)
  let worst = 0
  for (let a = 0; a < probs.length; a++) {
    for (let b = a + 1; b < probs.length; b++) {
      let tv = 0
      for (let c = 0; c < probs[a].length; c++) tv += Math.abs(probs[a][c] - (probs[b][c] ?? 0))
      worst = Math.max(worst, tv / 2)
    }
  }
  return worst
}

/** True when the modalities' top classes differ. */
export function modalitiesDisagree(modalities: Record<string, readonly number[]>): boolean {
  const tops = new Set(Object.values(modalities).map((p) => argmax(p)))
  return tops.size > 1
}

/**
 * Uncertainty of a prediction in 0..1 by margin sampling: 1 - (top probability - runner-up).
 * 1 when the two most likely classes tie, 0 when one class is certain.
 */
export function marginUncertainty(p: readonly number[]): number {
  if (p.length < 2) return 0
  const sorted = [...p].sort((a, b) => b - a)
  return 1 - (sorted[0] - sorted[1])
}

export const useSubjectsStore = defineStore('subjects', () => {
  const rows = shallowRef<SubjectRow[]>([])
  const classNames = ref<string[]>([])
  const latestRunId = ref<string | null>(null)
  /** The run whose predictions the rows show (main's answer: the chosen run when finished, else the newest). */
  const runId = ref<string | null>(null)
  /**
   * Labels hidden for evaluation, by subject, once the researcher revealed them (labels.revealHidden,
   * logged in the study); null until then. Kept for this window only: a reload hides them again.
   */
  const revealed = shallowRef<Map<string, { label: string; group: string | null }> | null>(null)
  const loading = ref(false)
  const loadedFor = ref<string | null>(null)

  const search = ref('')
  const labelFilter = ref<LabelFilter>('all')
  const modalityFilter = ref<ModalityFilter>('all')
  const splitFilter = ref<SplitFilter>('all')
  const disagreementsOnly = ref(false)
  const sortKey = ref<SortKey>('id')
  const sortDescending = ref(false)

  // Labels chosen in this window and not yet confirmed by the main process: they win over a
  // reload that raced with the save.
  const pendingLabels = new Map<string, string | null>()

  const byId = computed(() => new Map(rows.value.map((r, i) => [r.id, i])))

  const filtered = computed(() => {
    const q = search.value.trim().toLowerCase()
    const out = rows.value.filter((r) => {
      if (q && !r.id.toLowerCase().includes(q) && !(groupOf(r) ?? '').toLowerCase().includes(q) && !r.sessionId.toLowerCase().includes(q)) return false
      const lf = labelFilter.value
      if (lf === 'labelled' && r.label === null) return false
      if (lf === 'unlabelled' && r.label !== null) return false
      if (lf.startsWith('class:') && r.label !== lf.slice(6)) return false
      if (modalityFilter.value === 'both' && !(r.hasSmri && r.hasPet)) return false
      if (modalityFilter.value === 'missing' && r.hasSmri && r.hasPet) return false
      const sf = splitFilter.value
      if (sf !== 'all' && (sf === 'none' ? r.split !== null : r.split !== sf)) return false
      if (disagreementsOnly.value && !(r.prediction && modalitiesDisagree(r.prediction.modalities))) return false
      return true
    })
    const key = sortValue(sortKey.value, groupOf)
    const dir = sortDescending.value ? -1 : 1
    return out.sort((a, b) => {
      const ka = key(a)
      const kb = key(b)
      if (ka === kb) return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
      return (ka < kb ? -1 : 1) * dir
    })
  })

  /** The source group the window may show: null for a hidden subject until the reveal. */
  function groupOf(r: SubjectRow): string | null {
    return r.group ?? revealed.value?.get(r.id)?.group ?? null
  }

  /** The hidden label of a subject, once revealed; null otherwise. */
  function revealedLabel(r: SubjectRow): string | null {
    return r.labelHidden ? (revealed.value?.get(r.id)?.label ?? null) : null
  }

  /** Sort by `key`; a second click on the same key reverses the order. */
  function sortBy(key: SortKey): void {
    if (sortKey.value === key) sortDescending.value = !sortDescending.value
    else {
      sortKey.value = key
      sortDescending.value = key === 'disagreement' || key === 'confidence'
    }
  }

  async function load(): Promise<void> {
    const study = useStudyStore()
    if (!study.path) {
      rows.value = []
      loadedFor.value = null
      return
    }
    const folder = study.path
    loading.value = true
    try {
      // The run last looked at (in Results or chosen here) for this study, else main's newest.
      const wanted = readPref(lastRunKey(folder), isString)
      const list = await getApi().call('subjects.list', wanted ? { study: folder, runId: wanted } : { study: folder })
      if (study.path !== folder) return // another study was opened meanwhile
      if (loadedFor.value !== folder) revealed.value = null
      classNames.value = list.classNames
      latestRunId.value = list.latestRunId
      runId.value = list.runId
      rows.value = list.rows.map((r) => (pendingLabels.has(r.id) ? { ...r, label: pendingLabels.get(r.id) ?? null } : r))
      loadedFor.value = folder
    } catch (err) {
      useErrorsStore().report('Listing the subjects', err, folder)
    } finally {
      loading.value = false
    }
  }

  /** Shows the predictions of run `id` (remembered as the run last looked at for this study). */
  async function chooseRun(id: string): Promise<void> {
    const study = useStudyStore()
    if (!study.path) return
    writePref(lastRunKey(study.path), id)
    await load()
  }

  /**
   * The researcher's explicit request to see the hidden labels: main logs it in the study and
   * answers them; the Group column, its search and the Label column then show them. Returns
   * whether it worked (a failure is reported).
   */
  async function revealHidden(): Promise<boolean> {
    const study = useStudyStore()
    if (!study.path) return false
    const folder = study.path
    try {
      const r = await getApi().call('labels.revealHidden', { study: folder })
      if (study.path !== folder) return false
      revealed.value = new Map(r.subjects.map((x) => [x.id, { label: x.label, group: x.group }]))
      return true
    } catch (err) {
      useErrorsStore().report('Revealing the hidden labels', err, folder)
      return false
    }
  }

  /** Loads once per study; later calls do nothing until the study changes. */
  async function ensureLoaded(): Promise<void> {
    const study = useStudyStore()
    if (study.path && loadedFor.value === study.path) return
    await load()
  }

  /** Shows a label at once (before the save answers); `confirmed` drops the override. */
  function applyLabel(subject: string, label: string | null, confirmed = false): void {
    if (confirmed) pendingLabels.delete(subject)
    else pendingLabels.set(subject, label)
    const i = byId.value.get(subject)
    if (i === undefined) return
    const next = rows.value.slice()
    next[i] = { ...next[i], label }
    rows.value = next
  }

  function row(subject: string): SubjectRow | undefined {
    const i = byId.value.get(subject)
    return i === undefined ? undefined : rows.value[i]
  }

  let reloadTimer: ReturnType<typeof setTimeout> | null = null
  let stopListening: (() => void) | null = null
  /** Reloads after study changes, at most once per 400 ms burst. */
  function follow(): void {
    if (stopListening) return
    stopListening = useStudyStore().onChange(() => {
      if (reloadTimer) clearTimeout(reloadTimer)
      reloadTimer = setTimeout(() => {
        reloadTimer = null
        void load()
      }, 400)
    })
  }

  return {
    rows,
    classNames,
    latestRunId,
    runId,
    revealed,
    loading,
    loadedFor,
    groupOf,
    revealedLabel,
    chooseRun,
    revealHidden,
    search,
    labelFilter,
    modalityFilter,
    splitFilter,
    disagreementsOnly,
    sortKey,
    sortDescending,
    filtered,
    sortBy,
    load,
    ensureLoaded,
    applyLabel,
    row,
    follow
  }
})

function sortValue(key: SortKey, groupOf: (r: SubjectRow) => string | null): (r: SubjectRow) => string | number {
  switch (key) {
    case 'id':
      return (r) => r.id
    case 'group':
      return (r) => groupOf(r) ?? '\uffff'
    case 'modalities':
      return (r) => (r.hasSmri ? 2 : 0) + (r.hasPet ? 1 : 0)
    case 'label':
      return (r) => r.label ?? '\uffff'
    case 'split':
      return (r) => r.split ?? '\uffff'
    case 'predicted':
      return (r) => r.prediction?.predicted ?? '\uffff'
    case 'confidence':
      return (r) => (r.prediction ? Math.max(...r.prediction.aggregator) : -1)
    case 'disagreement':
      return (r) => (r.prediction ? modalityDisagreement(r.prediction.modalities) : -1)
  }
}
