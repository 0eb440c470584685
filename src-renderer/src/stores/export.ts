/**
 * Export of a run: predictions and metrics TSV and the run report, written by the main process
 * to a folder the user chose; remembers where the files went so the view can show them.
 */
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { ExportResult } from '@contract/contracts/study'
import { getApi } from '../api/client'
import { useErrorsStore } from './errors'
import { useJobsStore } from './jobs'
import { useStudyStore } from './study'

export const useExportStore = defineStore('export', () => {
  const out = ref('')
  const jobId = ref<string | null>(null)
  const result = shallowRef<ExportResult | null>(null)

  /** Asks for a folder with the native dialog (Electron); null when cancelled or unavailable. */
  async function pickNative(): Promise<string | null> {
    try {
      const { path } = await getApi().call('dialog.pick', { mode: 'saveFolder', title: 'Export predictions and report to…' })
      if (path) out.value = path
      return path
    } catch (err) {
      useErrorsStore().report('Choosing the export folder', err)
      return null
    }
  }

  async function run(runId: string): Promise<ExportResult | null> {
    const study = useStudyStore()
    const errors = useErrorsStore()
    if (!study.path) return null
    if (!out.value.trim()) {
      errors.report('Exporting', 'choose a folder to export to first')
      return null
    }
    const folder = out.value.trim()
    result.value = null
    try {
      const started = await getApi().call('export.run', { study: study.path, runId, out: folder })
      jobId.value = started.jobId
      result.value = (await useJobsStore().track(started.jobId, 'export', `Exporting run ${runId}`)) as ExportResult
      errors.info('Export', `${result.value.files.length} files written`, result.value.out)
      return result.value
    } catch (err) {
      if (!jobId.value) errors.report(`Exporting run ${runId}`, err, folder)
      return null
    } finally {
      jobId.value = null
    }
  }

  return { out, jobId, result, pickNative, run }
})
