/**
 * Export of a run to a folder the user chose: predictions.tsv, metrics.tsv, report.html and
 * report.json (the data behind the report). Each file is written atomically; existing files of
 * the same name are replaced.
 */
import { join } from 'node:path'
import type { RunDetail } from '../domain/runs'
import type { ExportResult } from '../domain/study-records'
import { ensureDir, writeFileAtomic } from '../files/atomic'
import { reportHtml } from './report'
import { metricsTsv, predictionsTsv } from './tables'

export async function exportRun(run: RunDetail, out: string, studyName: string, signal?: AbortSignal): Promise<ExportResult> {
  if (run.predictions.length === 0) throw new Error(`run ${run.summary.id} has no predictions yet (status: ${run.summary.status}); export after it has finished`)
  await ensureDir(out)
  const prefix = `${run.summary.id}`
  const files: Array<[string, string]> = [
    [`${prefix}_predictions.tsv`, predictionsTsv(run)],
    [`${prefix}_metrics.tsv`, metricsTsv(run.metrics)],
    [`${prefix}_report.html`, reportHtml(run, studyName)],
    [`${prefix}_report.json`, JSON.stringify(run, null, 1) + '\n']
  ]
  const written: string[] = []
  for (const [name, text] of files) {
    signal?.throwIfAborted()
    const file = join(out, name)
    await writeFileAtomic(file, text)
    written.push(file)
  }
  return { out, files: written }
}
