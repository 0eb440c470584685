/**
 * The subject the viewer shows: asks main for its volumes, boxes, cohort measures and verdicts.
 * The payload (two ~3.6 MB Float32Arrays) is kept in a shallowRef and marked raw so Vue never
 * walks it.
 */
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import type { ViewerSubject } from '@contract/contracts/viewer'
import { getApi } from '../api/client'
import { messageOf } from '../stores/errors'

export const useViewerStore = defineStore('viewer', () => {
  const data = shallowRef<ViewerSubject | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** Study and subject of `data` (or of the request in flight). */
  const study = ref<string | null>(null)
  const subject = ref<string | null>(null)
  const run = ref<string | null>(null)
  /** ms the `viewer.subject` request took (main reading, preprocessing, transfer). */
  const requestMs = ref<number | null>(null)
  let generation = 0

  /** Loads a subject; `runId` picks the run whose verdicts to show (default: the newest finished). */
  async function load(studyPath: string, subjectId: string, runId?: string): Promise<void> {
    if (study.value === studyPath && subject.value === subjectId && run.value === (runId ?? null) && (data.value || loading.value)) return
    const mine = ++generation
    study.value = studyPath
    subject.value = subjectId
    run.value = runId ?? null
    loading.value = true
    error.value = null
    data.value = null
    const started = performance.now()
    try {
      const result = await getApi().call('viewer.subject', { study: studyPath, subject: subjectId, ...(runId ? { runId } : {}) })
      if (mine !== generation) return
      data.value = markRaw(result)
      requestMs.value = performance.now() - started
    } catch (err) {
      if (mine === generation) error.value = `Could not open ${subjectId}: ${messageOf(err)}`
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** Drops the volumes (called when the viewer closes, so their memory can go). */
  function clear(): void {
    generation++
    data.value = null
    study.value = null
    subject.value = null
    run.value = null
    loading.value = false
    error.value = null
  }

  return { data, loading, error, study, subject, run, requestMs, load, clear }
})
