/**
 * Results of one run: per-subject diagnoses of each modality beside the aggregator's, with
 * disagreements flagged; the confusion matrix and metrics table as the run folder holds them;
 * ROC curves per model computed here from the predictions on the test split.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { PredictionRow, RunDetail } from '@contract/contracts/study'
import { getApi } from '../api/client'
import { useErrorsStore } from './errors'
import { lastRunKey, writePref } from './preferences'
import { useStudyStore } from './study'
import { argmax, modalitiesDisagree, useSubjectsStore } from './subjects'
import { rocAuc, rocCurve, type RocPoint } from '../metrics/roc'

export interface ResultRow {
  readonly id: string
  readonly sessionId: string
  readonly split: PredictionRow['split']
  /** Known class name (visible label, else the hidden one kept for evaluation), or null. */
  readonly truth: string | null
  readonly truthHidden: boolean
  readonly predicted: string
  readonly aggregatorProb: number
  /** Per modality: predicted class name and its probability. */
  readonly modalities: Record<string, { predicted: string; prob: number }>
  readonly disagree: boolean
  /** null when the truth is unknown. */
  readonly correct: boolean | null
}

export interface RocSeries {
  readonly model: string
  readonly points: RocPoint[]
  readonly auc: number
}

export const useResultsStore = defineStore('results', () => {
  const runId = ref<string | null>(null)
  const detail = shallowRef<RunDetail | null>(null)
  const loading = ref(false)
  const disagreementsOnly = ref(false)
  const splitFilter = ref<'all' | 'train' | 'val' | 'test'>('all')
  const search = ref('')

  const classNames = computed(() => detail.value?.classNames ?? [])
  /** Modality names in the order the predictions hold them. */
  const modalities = computed(() => {
    const first = detail.value?.predictions[0]
    return first ? Object.keys(first.modalities) : []
  })

  const rows = computed<ResultRow[]>(() => {
    const d = detail.value
    if (!d) return []
    const names = d.classNames
    // A hidden label counts in the metrics and curves (that is what it is kept for) but is not
    // shown per subject, nor is whether the prediction matched it, until the researcher revealed it.
    const revealed = useSubjectsStore().revealed
    return d.predictions.map((p) => {
      const truth = p.trueLabel ?? (revealed?.has(p.participantId) ? p.hiddenLabel : null)
      const a = argmax(p.aggregator)
      const mods: Record<string, { predicted: string; prob: number }> = {}
      for (const [m, probs] of Object.entries(p.modalities)) {
        const c = argmax(probs)
        mods[m] = { predicted: names[c] ?? String(c), prob: probs[c] }
      }
      return {
        id: p.participantId,
        sessionId: p.sessionId,
        split: p.split,
        truth,
        truthHidden: p.trueLabel === null && p.hiddenLabel !== null,
        predicted: p.predictedLabel,
        aggregatorProb: p.aggregator[a],
        modalities: mods,
        disagree: modalitiesDisagree(p.modalities),
        correct: truth === null ? null : truth === p.predictedLabel
      }
    })
  })

  const visibleRows = computed(() => {
    const q = search.value.trim().toLowerCase()
    return rows.value.filter(
      (r) =>
        (!disagreementsOnly.value || r.disagree) && (splitFilter.value === 'all' || r.split === splitFilter.value) && (!q || r.id.toLowerCase().includes(q))
    )
  })

  const disagreementCount = computed(() => rows.value.filter((r) => r.disagree).length)

  /**
   * ROC per model on the test split, class index 1 positive, from the (seed-averaged)
   * probabilities; subjects whose truth is unknown are left out. Empty for more than 2 classes.
   */
  const rocs = computed<RocSeries[]>(() => {
    const d = detail.value
    if (!d || d.classNames.length !== 2) return []
    const test = d.predictions.filter((p) => p.split === 'test' && (p.trueLabel ?? p.hiddenLabel) !== null)
    const positive = test.map((p) => (p.trueLabel ?? p.hiddenLabel) === d.classNames[1])
    const out: RocSeries[] = []
    const models = [...modalities.value, 'aggregator']
    for (const model of models) {
      const scores = test.map((p) => (model === 'aggregator' ? p.aggregator[1] : (p.modalities[model]?.[1] ?? Number.NaN)))
      const keep = scores.map((s) => Number.isFinite(s))
      const curve = rocCurve(
        positive.filter((_, i) => keep[i]),
        scores.filter((_, i) => keep[i])
      )
      if (curve) out.push({ model, points: curve, auc: rocAuc(curve) })
    }
    return out
  })

  /** Loads a run; without an id, the newest finished run of the study. */
  async function load(id?: string): Promise<void> {
    const study = useStudyStore()
    if (!study.path) return
    const folder = study.path
    loading.value = true
    try {
      let target = id ?? null
      if (!target) {
        const runs = await getApi().call('runs.list', { study: folder })
        target = runs.find((r) => r.status === 'done')?.id ?? null
      }
      runId.value = target
      detail.value = target ? await getApi().call('runs.get', { study: folder, runId: target }) : null
      // The Subjects table shows this run's predictions from now on (it names the run).
      if (target && detail.value?.summary.status === 'done') writePref(lastRunKey(folder), target)
    } catch (err) {
      useErrorsStore().report(`Reading the results of run ${id ?? '(latest)'}`, err, folder)
    } finally {
      loading.value = false
    }
  }

  function reset(): void {
    runId.value = null
    detail.value = null
  }

  return { runId, detail, loading, disagreementsOnly, splitFilter, search, classNames, modalities, rows, visibleRows, disagreementCount, rocs, load, reset }
})
