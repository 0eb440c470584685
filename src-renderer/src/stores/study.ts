/**
 * The open study: its summary (settings, counts), recent studies, the app's backend info, and
 * the actions that create, open and import. Every request names the study folder explicitly
 * (main keeps no current study), so the path lives here and survives a reload through
 * localStorage: reopening the page reopens the same study, and every label is already on disk.
 * Before an import the user may correct the modality of each detected series (`seriesOverrides`):
 * the preview is read again with the corrections, and the import uses them.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppInfo, RecentStudy } from '@contract/contracts/app'
import type { DemoResult, ImportOptions, ImportPreview, ImportResult, StudySummary } from '@contract/contracts/study'
import { getApi } from '../api/client'
import { messageOf, useErrorsStore } from './errors'
import { useJobsStore } from './jobs'

/** What a detected series is imported as: a modality, or not at all (the contract's choices). */
export type SeriesModality = NonNullable<ImportOptions['modalityOverrides']>[string]

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
  /** The user's corrections of the previewed cohort: series description -> modality. */
  const seriesOverrides = ref<Record<string, SeriesModality>>({})

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

  /** After an open or create the recent list has changed; a failure here is not worth a notice. */
  function refreshRecentQuietly(): void {
    void Promise.resolve()
      .then(() => getApi().call('studies.recent', {}))
      .then(
        (r) => (recent.value = r),
        () => undefined
      )
  }

  /** Opens a study folder; returns false (and reports why) when it cannot be opened. */
  async function open(folder: string): Promise<boolean> {
    connect()
    opening.value = true
    try {
      summary.value = await getApi().call('study.open', { study: folder })
      remember(summary.value.path)
      // What opening repaired (a damaged label log tail set aside) is the researcher's to know.
      for (const notice of summary.value.notices ?? []) useErrorsStore().info('Opening the study', notice, summary.value.path)
      refreshRecentQuietly()
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
      lastImport.value = null
      refreshRecentQuietly()
      return true
    } catch (err) {
      useErrorsStore().report('Creating a study', err, folder)
      return false
    }
  }

  /** Reads what a cohort folder or manifest holds; writes nothing. A new preview starts without
   *  corrections unless `options.modalityOverrides` carries them. */
  async function previewImport(options: ImportOptions): Promise<ImportPreview | null> {
    previewing.value = true
    preview.value = null
    seriesOverrides.value = { ...(options.modalityOverrides ?? {}) }
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

  /**
   * Corrects the modality of one series of the shown preview and reads the cohort again with all
   * corrections so far (the previous preview stays on screen meanwhile). On failure the
   * correction is taken back and the reason reported.
   */
  async function correctSeries(series: string, modality: SeriesModality): Promise<ImportPreview | null> {
    const shown = preview.value
    if (!shown) return null
    const before = seriesOverrides.value
    const overrides = { ...before, [series]: modality }
    seriesOverrides.value = overrides
    previewing.value = true
    try {
      const next = await getApi().call('import.preview', {
        study: path.value ?? undefined,
        source: shown.source,
        layout: shown.layout,
        visit: shown.visit,
        modalityOverrides: overrides
      })
      preview.value = next
      return next
    } catch (err) {
      seriesOverrides.value = before
      useErrorsStore().report(`Reading the cohort again with ${series} as ${modality === 'ignore' ? 'ignored' : modality}`, err, shown.source)
      return null
    } finally {
      previewing.value = false
    }
  }

  /** Options that import exactly what the shown preview lists (its layout, visit and corrections). */
  function previewedImportOptions(): ImportOptions | null {
    const p = preview.value
    if (!p) return null
    const overrides = seriesOverrides.value
    return { source: p.source, layout: p.layout, visit: p.visit, ...(Object.keys(overrides).length ? { modalityOverrides: { ...overrides } } : {}) }
  }

  function discardPreview(): void {
    preview.value = null
    seriesOverrides.value = {}
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
      discardPreview()
      return result
    } catch (err) {
      if (!activeJobId.value) useErrorsStore().report('Importing a cohort', err, options.source)
      return null
    } finally {
      activeJobId.value = null
    }
  }

  /**
   * Changes the class names (refused by main while a label, visible or hidden, uses a name that
   * would go) and / or the visit to pair. Returns null on success, else the reason, which is also
   * reported; other stores hear a 'settings' change either way of delivery.
   */
  async function updateSettings(change: { classNames?: string[]; visit?: string }): Promise<string | null> {
    const folder = path.value
    if (!folder) return 'no study is open'
    try {
      summary.value = await getApi().call('study.settings', { study: folder, ...change })
      for (const listener of changeListeners) listener('settings')
      return null
    } catch (err) {
      useErrorsStore().report('Changing the study settings', err, `${folder}/study.json`)
      return messageOf(err)
    }
  }

  return {
    summary,
    recent,
    appInfo,
    opening,
    activeJobId,
    preview,
    previewing,
    lastImport,
    seriesOverrides,
    path,
    classNames,
    isOpen,
    connect,
    onChange,
    loadAppInfo,
    loadRecent,
    open,
    restore,
    close,
    refreshSummary,
    createDemo,
    create,
    previewImport,
    correctSeries,
    previewedImportOptions,
    discardPreview,
    runImport,
    updateSettings
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
