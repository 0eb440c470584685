/**
 * The viewer's attribution map: which modality's map to show for the open subject, asking main
 * whether it is already computed (instant), computing it as a job with progress and cancel, and
 * the map itself (a ~3.6 MB Float32Array, kept in a shallowRef and marked raw).
 */
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import type { AttributionMap } from '@contract/contracts/viewer'
import { getApi } from '../api/client'
import { JobCancelledError, useJobsStore } from '../stores/jobs'
import { messageOf } from '../stores/errors'
import { modalityLabel } from '../display/format'
import type { Modality } from '@contract/contracts/study'

export type AttributionChoice = 'none' | Modality

export const useAttributionStore = defineStore('viewer-attribution', () => {
  const choice = ref<AttributionChoice>('none')
  const map = shallowRef<AttributionMap | null>(null)
  /** 'checking': asking main for a computed map; 'missing': none yet (Compute offered). */
  const status = ref<'idle' | 'checking' | 'missing' | 'computing' | 'ready'>('idle')
  const error = ref<string | null>(null)
  const jobId = ref<string | null>(null)
  const fraction = ref<number | null>(null)
  const message = ref('')
  let target: { study: string; subject: string; runId: string } | null = null
  let generation = 0
  let stopListening: (() => void) | null = null

  function reset(): void {
    // A map being computed for another choice (or another subject, or a closed viewer) is no
    // longer wanted: stop its job.
    if (jobId.value) void useJobsStore().cancel(jobId.value)
    generation++
    stopListening?.()
    stopListening = null
    map.value = null
    status.value = 'idle'
    error.value = null
    jobId.value = null
    fraction.value = null
    message.value = ''
  }

  /** The subject and run the maps are for; forgets the map of another subject. */
  function setTarget(study: string, subject: string, runId: string): void {
    if (target && target.study === study && target.subject === subject && target.runId === runId) return
    target = { study, subject, runId }
    choice.value = 'none'
    reset()
  }

  /** Shows `modality`'s map: read back when computed before, else offers Compute. */
  async function choose(modality: AttributionChoice): Promise<void> {
    choice.value = modality
    reset()
    if (modality === 'none' || !target) return
    const mine = generation
    status.value = 'checking'
    try {
      const found = await getApi().call('viewer.attribution', { ...target, modality })
      if (mine !== generation) return
      map.value = found ? markRaw(found) : null
      status.value = found ? 'ready' : 'missing'
    } catch (err) {
      if (mine !== generation) return
      error.value = messageOf(err)
      status.value = 'missing'
    }
  }

  /** Computes the chosen modality's map (a job), then reads it. */
  async function compute(): Promise<void> {
    const modality = choice.value
    if (modality === 'none' || !target || status.value === 'computing') return
    const args = { ...target, modality }
    const mine = ++generation
    error.value = null
    status.value = 'computing'
    fraction.value = null
    message.value = 'Starting…'
    const jobs = useJobsStore()
    try {
      const started = await getApi().call('viewer.attribution.compute', args)
      if (mine !== generation) return void getApi().call('job.cancel', { jobId: started.jobId })
      jobId.value = started.jobId
      stopListening = jobs.listenProgress((p) => {
        if (p.jobId !== started.jobId || mine !== generation) return
        fraction.value = p.fraction
        message.value = p.message
      })
      await jobs.track(started.jobId, 'viewer.attribution', `Attribution map (${modalityLabel(modality)}) of ${args.subject}`)
      if (mine !== generation) return
      const found = await getApi().call('viewer.attribution', args)
      if (mine !== generation) return
      map.value = found ? markRaw(found) : null
      status.value = found ? 'ready' : 'missing'
      if (!found) error.value = 'the map was computed but could not be read back'
    } catch (err) {
      if (mine !== generation) return
      status.value = 'missing'
      if (!(err instanceof JobCancelledError)) error.value = messageOf(err)
    } finally {
      if (mine === generation) {
        stopListening?.()
        stopListening = null
        jobId.value = null
      }
    }
  }

  async function cancel(): Promise<void> {
    if (jobId.value) await useJobsStore().cancel(jobId.value)
  }

  /** Drops everything (the viewer closed). */
  function clear(): void {
    target = null
    choice.value = 'none'
    reset()
  }

  return { choice, map, status, error, jobId, fraction, message, setTarget, choose, compute, cancel, clear }
})
