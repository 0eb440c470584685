/**
 * Training control: the settings form (method, preset, hyperparameters), start / stop / resume,
 * the live curves built from `job.progress` events (no polling), the ETA, and the run history
 * with a side-by-side comparison.
 *
 * After a page reload while a run is going on, the first training progress event is adopted:
 * the job is tracked again and the curves so far are read from the run folder.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { Hyperparameters, RunDetail, RunSummary, TrainingOptions, TrainingProgressDetail } from '@contract/contracts/study'
import type { JobProgress, TrainingCatalogue } from '@contract/contracts/app'
import { getApi } from '../api/client'
import { useErrorsStore } from './errors'
import { JobCancelledError, useJobsStore } from './jobs'
import { useStudyStore } from './study'
import { readPref, writePref } from './preferences'

const EPOCHS_PREF = 'train.epochs'
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1

type Detail = TrainingProgressDetail

/** Main validates event payloads against the contract; this only tells a training job's detail apart. */
function isTrainingDetail(d: unknown): d is Detail {
  return typeof d === 'object' && d !== null && typeof (d as { runId?: unknown }).runId === 'string' && typeof (d as { epoch?: unknown }).epoch === 'number'
}

/** One point of the live curves: an epoch (as reported by the worker) of one seed. */
export interface LivePoint {
  epoch: number
  ceLoss: number | null
  tcGain: number | null
  /** Validation balanced accuracy by model ('smri', 'pet', 'aggregator'). */
  val: Record<string, number>
}

/** The hyperparameter fields: the catalogue's numeric keys (null or '' = the default) and the selection. */
interface HyperForm {
  values: Record<string, number | null>
  selectBy: string
}

/** A run's state in words: running, finished, stopped (resumable) or failed. */
export function runStateText(status: RunSummary['status']): string {
  switch (status) {
    case 'running':
      return 'running'
    case 'done':
      return 'finished'
    case 'cancelled':
    case 'interrupted':
      return 'stopped (resumable)'
    case 'failed':
      return 'failed'
  }
}

function defaultHyper(c: TrainingCatalogue | null): HyperForm {
  return { values: Object.fromEntries((c?.hyperparameters ?? []).map((x) => [x.key, x.default])), selectBy: c?.selectBy.default ?? 'auto' }
}

export const useTrainingStore = defineStore('training', () => {
  /** The form's choices and defaults as main defines them (training.defaults); null until loaded. */
  const catalogue = shallowRef<TrainingCatalogue | null>(null)
  const method = ref<TrainingOptions['method']>('tcgm')
  const preset = ref('')
  const seeds = ref(1)
  const firstSeed = ref(0)
  const epochs = ref(1)
  const hyper = ref<HyperForm>(defaultHyper(null))

  const jobId = ref<string | null>(null)
  const runId = ref<string | null>(null)
  const latest = shallowRef<Detail | null>(null)
  /** Live curves by seed, points in epoch order. */
  const curves = ref<Record<number, LivePoint[]>>({})
  const starting = ref(false)
  /** How the last followed run ended: finished, stopped (resumable: Stop, or the process ended), or failed. */
  const lastFinished = ref<{ runId: string | null; state: 'done' | 'failed' | 'cancelled'; message?: string } | null>(null)

  const runs = ref<RunSummary[]>([])
  const compareIds = ref<string[]>([])
  const compared = shallowRef<RunDetail[]>([])

  const running = computed(() => jobId.value !== null)
  const etaSeconds = computed(() => latest.value?.etaSeconds ?? null)
  const fraction = computed(() => (jobId.value ? (useJobsStore().jobs[jobId.value]?.fraction ?? null) : null))
  const resumable = computed(() => runs.value.filter((r) => r.status === 'interrupted' || r.status === 'cancelled' || r.status === 'failed'))

  /** Reads the catalogue once and fills the form with its defaults. */
  watch(epochs, (v) => {
    if (isPositiveInt(v)) writePref(EPOCHS_PREF, v)
  })

  async function loadCatalogue(): Promise<void> {
    if (catalogue.value) return
    try {
      const c = await getApi().call('training.defaults', {})
      catalogue.value = c
      // Choices made before the catalogue arrived stay; the rest take main's defaults.
      if (preset.value === '') {
        method.value = c.defaults.method
        preset.value = c.defaults.preset
        seeds.value = c.defaults.seeds
        // The epochs last used in this window, else main's default (the one the README's table used).
        epochs.value = readPref(EPOCHS_PREF, isPositiveInt) ?? c.defaults.epochs
      }
      if (Object.keys(hyper.value.values).length === 0) hyper.value = defaultHyper(c)
    } catch (err) {
      useErrorsStore().report('Reading the training defaults', err)
    }
  }

  function choosePreset(id: string): void {
    preset.value = id
  }

  function resetHyperparameters(): void {
    hyper.value = defaultHyper(catalogue.value)
  }

  let stopListening: (() => void) | null = null
  /** Follows training progress events (idempotent). */
  function connect(): void {
    if (stopListening) return
    const jobs = useJobsStore()
    jobs.connect()
    stopListening = jobs.listenProgress(onProgress)
  }

  function onProgress(p: JobProgress): void {
    if (p.kind !== 'training' || !isTrainingDetail(p.detail)) return
    const d = p.detail
    if (jobId.value === null && !starting.value) adopt(p.jobId, d)
    if (p.jobId !== jobId.value) return
    latest.value = d
    runId.value = d.runId
    record(d)
  }

  /** Adds one event to the curves: the last value of an epoch wins. */
  function record(d: Detail): void {
    const points = curves.value[d.seed] ?? (curves.value[d.seed] = [])
    let point = points.length > 0 && points[points.length - 1].epoch === d.epoch ? points[points.length - 1] : undefined
    if (!point) {
      if (d.ceLoss === null && d.tcGain === null && d.val === null) return
      point = { epoch: d.epoch, ceLoss: null, tcGain: null, val: {} }
      points.push(point)
    }
    if (d.ceLoss !== null) point.ceLoss = d.ceLoss
    if (d.tcGain !== null) point.tcGain = d.tcGain
    if (d.val) for (const [model, m] of Object.entries(d.val)) point.val[model] = m.balancedAccuracy
  }

  /** Takes over a training job this window did not start (after a reload). */
  function adopt(id: string, d: Detail): void {
    jobId.value = id
    runId.value = d.runId
    curves.value = {}
    void follow(id, `Training run ${d.runId}`)
    void prefillCurves(d.runId)
  }

  async function prefillCurves(id: string): Promise<void> {
    const study = useStudyStore()
    if (!study.path) return
    try {
      const detail = await getApi().call('runs.get', { study: study.path, runId: id })
      for (const c of detail.curves) {
        const live = curves.value[c.seed] ?? []
        const seen = new Set(live.map((p) => p.epoch))
        const earlier = c.points.filter((p) => !seen.has(p.epoch)).map((p) => ({ epoch: p.epoch, ceLoss: p.ceLoss, tcGain: p.tcGain, val: { ...p.val } }))
        curves.value[c.seed] = [...earlier, ...live].sort((a, b) => a.epoch - b.epoch)
      }
    } catch {
      // The run folder may not hold curves yet; the live events fill them.
    }
  }

  async function follow(id: string, title: string): Promise<void> {
    try {
      const result = await useJobsStore().track(id, 'training', title)
      // A stopped run also ends its job normally (with its summary): only 'done' has finished.
      const summary = result as RunSummary | undefined
      const id2 = summary?.id ?? runId.value
      if (!summary || summary.status === 'done') lastFinished.value = { runId: id2, state: 'done' }
      else if (summary.status === 'failed') lastFinished.value = { runId: id2, state: 'failed', message: summary.message ?? 'the run failed' }
      else lastFinished.value = { runId: id2, state: 'cancelled', message: summary.message ?? undefined }
    } catch (err) {
      lastFinished.value =
        err instanceof JobCancelledError
          ? { runId: runId.value, state: 'cancelled' }
          : { runId: runId.value, state: 'failed', message: err instanceof Error ? err.message : String(err) }
    } finally {
      if (jobId.value === id) jobId.value = null
      void loadRuns()
    }
  }

  function options(): TrainingOptions {
    return {
      method: method.value,
      preset: preset.value,
      seeds: seeds.value,
      firstSeed: firstSeed.value,
      epochs: epochs.value,
      // Empty fields mean "the default" (an emptied number input gives '').
      hyperparameters: {
        ...Object.fromEntries(Object.entries(hyper.value.values).filter(([, v]) => v !== null && (v as unknown) !== '')),
        selectBy: hyper.value.selectBy
      } as Hyperparameters
    }
  }

  /**
   * What to do with subjects imported after the split: 'place' puts them into it (stratified,
   * nobody moves, earlier runs stay comparable; the default), 'resplit' makes a new split (earlier
   * runs keep theirs on disk, but their results are no longer comparable with new runs).
   */
  const splitChoice = ref<'place' | 'resplit'>('place')

  async function applySplitChoice(): Promise<void> {
    const study = useStudyStore()
    const folder = study.path
    if (!folder) return
    if (splitChoice.value === 'place') await getApi().call('splits.place', { study: folder })
    else await getApi().call('splits.make', { study: folder, seed: firstSeed.value })
    await study.refreshSummary()
  }

  /** Makes the split if the study has none, then starts a run. Returns false when it could not start. */
  async function start(): Promise<boolean> {
    const study = useStudyStore()
    const errors = useErrorsStore()
    if (!study.path || running.value) return false
    connect()
    const folder = study.path
    starting.value = true
    try {
      await loadCatalogue()
      if (!study.summary?.hasSplits) {
        await getApi().call('splits.make', { study: folder, seed: firstSeed.value })
        await study.refreshSummary()
      } else if ((study.summary?.unsplit ?? 0) > 0) {
        await applySplitChoice()
      }
      const { jobId: id } = await getApi().call('training.start', { study: folder, ...options() })
      beginFollowing(id, `Training ${method.value === 'tcgm' ? 'TCGM' : 'CE baseline'} (${preset.value})`)
      return true
    } catch (err) {
      errors.report('Starting training', err, folder)
      return false
    } finally {
      starting.value = false
    }
  }

  function beginFollowing(id: string, title: string): void {
    jobId.value = id
    runId.value = null
    latest.value = null
    curves.value = {}
    lastFinished.value = null
    void follow(id, title)
  }

  /** Stops the running job; the run is kept (status cancelled) and can be resumed. */
  async function stop(): Promise<void> {
    if (jobId.value) await useJobsStore().cancel(jobId.value)
  }

  async function resume(id: string): Promise<boolean> {
    const study = useStudyStore()
    if (!study.path || running.value) return false
    connect()
    try {
      const { jobId: job } = await getApi().call('training.resume', { study: study.path, runId: id })
      beginFollowing(job, `Resuming run ${id}`)
      runId.value = id
      void prefillCurves(id)
      return true
    } catch (err) {
      useErrorsStore().report(`Resuming run ${id}`, err, study.path)
      return false
    }
  }

  /** The runs as the window shows them: the run this window is following is running, whatever
   *  its folder said when the list was read (a resumed run was 'cancelled' until then). */
  const shownRuns = computed(() =>
    runs.value.map((r) => (running.value && r.id === runId.value && r.status !== 'running' ? { ...r, status: 'running' as const, message: null } : r))
  )

  async function loadRuns(): Promise<void> {
    const study = useStudyStore()
    if (!study.path) {
      runs.value = []
      return
    }
    try {
      runs.value = await getApi().call('runs.list', { study: study.path })
    } catch (err) {
      useErrorsStore().report('Listing the training runs', err, study.path)
    }
  }

  /** Ticks a run for comparison (at most three at once, oldest tick dropped). */
  function toggleCompare(id: string): void {
    compareIds.value = compareIds.value.includes(id) ? compareIds.value.filter((x) => x !== id) : [...compareIds.value, id].slice(-3)
  }

  async function loadComparison(): Promise<void> {
    const study = useStudyStore()
    if (!study.path) return
    const folder = study.path
    try {
      compared.value = await Promise.all(compareIds.value.map((runId) => getApi().call('runs.get', { study: folder, runId })))
    } catch (err) {
      useErrorsStore().report('Reading the runs to compare', err, folder)
    }
  }

  function reset(): void {
    runs.value = []
    compareIds.value = []
    compared.value = []
    curves.value = {}
    latest.value = null
    lastFinished.value = null
  }

  return {
    catalogue,
    method,
    preset,
    seeds,
    firstSeed,
    epochs,
    hyper,
    jobId,
    runId,
    latest,
    curves,
    starting,
    lastFinished,
    runs,
    shownRuns,
    compareIds,
    compared,
    splitChoice,
    applySplitChoice,
    running,
    etaSeconds,
    fraction,
    resumable,
    loadCatalogue,
    choosePreset,
    resetHyperparameters,
    connect,
    start,
    stop,
    resume,
    loadRuns,
    toggleCompare,
    loadComparison,
    reset
  }
})
