/**
 * Export of a run to a folder the user chose: predictions.tsv, metrics.tsv, report.html and
 * report.json (the data behind the report). The two tables are copies of the ones the run folder
 * got at the end of training (`saved`); a run without them (trained before runs wrote them) gets
 * them written from its detail by the same writers. Each file is written atomically; existing
 * files of the same name are replaced.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { RunDetail } from '../domain/runs'
import type { ExportResult } from '../domain/study-records'
import { ensureDir, writeFileAtomic } from '../files/atomic'
import { metricsTsv, predictionsTsv } from '../runs/tables'
import { reportHtml } from './report'

/** The run folder's own tables (runs/folder.ts savedRunTables). */
export interface SavedRunTables {
  predictions: string
  metrics: string
}

async function readSaved(file: string): Promise<Buffer> {
  try {
    return await fsp.readFile(file)
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
}

export async function exportRun(run: RunDetail, out: string, studyName: string, signal?: AbortSignal, saved?: SavedRunTables | null): Promise<ExportResult> {
  if (run.predictions.length === 0)
    throw new Error(`run ${run.summary.id} has no predictions yet (status: ${run.summary.status}); export after it has finished`)
  await ensureDir(out)
  const prefix = `${run.summary.id}`
  const files: Array<[string, string | Buffer]> = [
    [`${prefix}_predictions.tsv`, saved ? await readSaved(saved.predictions) : predictionsTsv(run.classNames, run.predictions)],
    [`${prefix}_metrics.tsv`, saved ? await readSaved(saved.metrics) : metricsTsv(run.metrics)],
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
