/**
 * The open study: its summary (settings, counts), recent studies, the app's backend info, and
 * the actions that create, open and import. Every request names the study folder explicitly
 * (main keeps no current study), so the path lives here and survives a reload through
 * localStorage: reopening the page reopens the same study, and every label is already on disk.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppInfo, RecentStudy } from '@contract/contracts/app'
import type { DemoResult, ImportOptions, ImportPreview, ImportResult, StudySummary } from '@contract/contracts/study'
import { getApi } from '../api/client'
import { useErrorsStore } from './errors'
import { useJobsStore } from './jobs'

/** localStorage key of the open study's folder. */
export const OPEN_STUDY_KEY = 'tcgm-lab.openStudy'

export type StudyChange = 'subjects' | 'labels' | 'splits' | 'runs' | 'settings'

export const useStudyStore = defineStore('study', () => {
  const summary = ref<StudySummary | null>(null)
  const recent = ref<RecentStudy[]>([])
  const appInfo = shallowRef<AppInfo | null>(null)
  const opening = ref(false)
  /** Job id of the running demo creation or import, if any. */
  const activeJobId = ref<string | null>(null)
  const preview = shallowRef<ImportPreview | null>(null)
  const previewing = ref(false)
  const lastImport = shallowRef<ImportResult | null>(null)

  const path = computed(() => summary.value?.path ?? null)
  const classNames = computed(() => summary.value?.settings.classNames ?? [])
  const isOpen = computed(() => summary.value !== null)

  const changeListeners = new Set<(what: StudyChange) => void>()
  let unsubscribe: (() => void) | null = null

  /** Subscribes to `study.changed` for the open study; other stores register with `onChange`. */
  function connect(): void {
    if (unsubscribe) return
    unsubscribe = getApi().on('study.changed', (e) => {
      if (e.study !== path.value) return
      scheduleSummaryRefresh()
      for (const listener of changeListeners) listener(e.what)
    })
  }

  // Labelling fires one change per key press: refresh the counts once the burst is over.
  let refreshTimer: ReturnType<typeof setTimeout> | null = null
  function scheduleSummaryRefresh(): void {
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void refreshSummary()
    }, 300)
  }

  function onChange(listener: (what: StudyChange) => void): () => void {
    changeListeners.add(listener)
    return () => changeListeners.delete(listener)
  }

  async function loadAppInfo(): Promise<void> {
    const errors = useErrorsStore()
    try {
      appInfo.value = await getApi().call('app.info', {})
    } catch (err) {
      errors.report('Reading the app and compute backend information', err)
    }
  }

  async function loadRecent(): Promise<void> {
    try {
      recent.value = await getApi().call('studies.recent', {})
    } catch (err) {
      useErrorsStore().report('Listing recent studies', err)
    }
  }

  /** Opens a study folder; returns false (and reports why) when it cannot be opened. */
  async function open(folder: string): Promise<boolean> {
    connect()
    opening.value = true
    try {
      summary.value = await getApi().call('study.open', { study: folder })
      remember(summary.value.path)
      return true
    } catch (err) {
      useErrorsStore().report('Opening the study', err, folder)
      return false
    } finally {
      opening.value = false
    }
  }

  /** Reopens the study that was open before a reload, if any. */
  async function restore(): Promise<boolean> {
    const saved = readRemembered()
    if (!saved || summary.value) return false
    const ok = await open(saved)
    if (!ok) remember(null)
    return ok
  }

  function close(): void {
    summary.value = null
    remember(null)
  }

  async function refreshSummary(): Promise<void> {
    if (!path.value) return
    try {
      summary.value = await getApi().call('study.open', { study: path.value })
    } catch (err) {
      useErrorsStore().report('Refreshing the study', err, path.value)
    }
  }

  /** One click: writes the synthetic cohort, imports it into a new study, opens it. */
  async function createDemo(subjects?: number, seed?: number): Promise<boolean> {
    const jobs = useJobsStore()
    try {
      const { jobId } = await getApi().call('study.createDemo', { subjects, seed })
      activeJobId.value = jobId
      const result = (await jobs.track(jobId, 'demo', 'Creating the demo study')) as DemoResult
      lastImport.value = result.import
      return await open(result.study)
    } catch (err) {
      if (!activeJobId.value) useErrorsStore().report('Creating the demo study', err)
      return false
    } finally {
      activeJobId.value = null
    }
  }

  /** Creates an empty study in `folder`, then opens it. */
  async function create(folder: string, name?: string): Promise<boolean> {
    connect()
    try {
      summary.value = await getApi().call('study.create', { folder, name })
      remember(summary.value.path)
      return true
    } catch (err) {
      useErrorsStore().report('Creating a study', err, folder)
      return false
    }
  }

  /** Reads what a cohort folder or manifest holds; writes nothing. */
  async function previewImport(options: ImportOptions): Promise<ImportPreview | null> {
    previewing.value = true
    preview.value = null
    try {
      preview.value = await getApi().call('import.preview', { study: path.value ?? undefined, ...options })
      return preview.value
    } catch (err) {
      useErrorsStore().report('Reading the cohort for import', err, options.source)
      return null
    } finally {
      previewing.value = false
    }
  }

  /** Imports the previewed cohort into the open study (a job: progress, Cancel). */
  async function runImport(options: ImportOptions): Promise<ImportResult | null> {
    if (!path.value) {
      useErrorsStore().report('Importing a cohort', 'open or create a study first', options.source)
      return null
    }
    try {
      const { jobId } = await getApi().call('import.run', { study: path.value, ...options })
      activeJobId.value = jobId
      const result = (await useJobsStore().track(jobId, 'import', `Importing ${options.source}`)) as ImportResult
      lastImport.value = result
      summary.value = result.summary
      preview.value = null
      return result
    } catch (err) {
      if (!activeJobId.value) useErrorsStore().report('Importing a cohort', err, options.source)
      return null
    } finally {
      activeJobId.value = null
    }
  }

  return {
    summary, recent, appInfo, opening, activeJobId, preview, previewing, lastImport,
    path, classNames, isOpen,
    connect, onChange, loadAppInfo, loadRecent, open, restore, close, refreshSummary, createDemo, create, previewImport, runImport
  }
})

function remember(folder: string | null): void {
  try {
    if (folder) localStorage.setItem(OPEN_STUDY_KEY, folder)
    else localStorage.removeItem(OPEN_STUDY_KEY)
  } catch {
    // Storage disabled (private mode): the study simply is not reopened after a reload.
  }
}

function readRemembered(): string | null {
  try {
    return localStorage.getItem(OPEN_STUDY_KEY)
  } catch {
    return null
  }
}
