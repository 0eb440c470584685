/** `import SOURCE --study DIR [--labels FILE]`: creates or updates a study from a cohort. */
import { parseArgs } from 'node:util'
import { detectLayout } from '../study/import'
import { runImport } from '../study/import/run'
import { importLabelFile } from '../study/label-import'
import { cpuCores, parallelImport } from '../study/import/preprocess-pool'
import { STUDY_JSON, createStudy } from '../study/study'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { MciPolicy } from '../domain/study-settings'
import { printProblems, progressPrinter, requireOption } from './study-args'

export const summary = 'Import an ADNI download, BIDS folder or manifest into a study (created if needed)'

export const usage = `usage: import SOURCE --study DIR [--labels FILE] [--layout adni|bids|manifest] [--visit bl]
              [--collection-csv FILE] [--adnimerge FILE] [--mci exclude|as-first-class|as-second-class|converters-36m]
              [--concurrency N]   scans preprocessed at once, each in a worker process (default: the CPU
                                  cores; 1: one after another in this process)`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      study: { type: 'string' },
      labels: { type: 'string' },
      layout: { type: 'string' },
      visit: { type: 'string' },
      'collection-csv': { type: 'string' },
      adnimerge: { type: 'string' },
      mci: { type: 'string' },
      concurrency: { type: 'string' }
    }
  })
  const source = positionals[0]
  if (!source) throw new Error(`import: SOURCE is required\n${usage}`)
  const study = requireOption('import', 'study', values.study)
  const layout = values.layout as 'adni' | 'bids' | 'manifest' | 'caps' | undefined
  if (layout && !['adni', 'bids', 'manifest', 'caps'].includes(layout))
    throw new Error(`import: --layout must be adni, bids, caps or manifest, got '${layout}'`)
  const mci = values.mci as MciPolicy | undefined
  const workers = values.concurrency === undefined ? cpuCores() : Number(values.concurrency)
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`import: --concurrency must be a whole number >= 1, got '${values.concurrency}'`)
  const { preprocessor, concurrency } = parallelImport(workers)
  // Refuse a source without scans before creating anything.
  await detectLayout(source)
  if (
    !(await fsp.stat(join(study, STUDY_JSON)).then(
      () => true,
      () => false
    ))
  ) {
    await createStudy(study, values.visit ? { visit: values.visit } : {})
    process.stdout.write(`created study ${study}\n`)
  }
  const progress = progressPrinter()
  const r = await runImport(study, preprocessor, {
    source,
    concurrency,
    layout,
    visit: values.visit,
    collectionCsv: values['collection-csv'],
    adnimerge: values.adnimerge,
    mci,
    onProgress: (f, m) => progress.update(f, m)
  })
  progress.done()
  printProblems(r.problems)
  process.stdout.write(
    `added ${r.added} subject(s), completed ${r.updated}, unchanged ${r.unchanged}; preprocessed ${r.preprocessed} scan(s), ${r.fromCache} from the cache; ${r.labelled} labelled from the source\n`
  )
  if (values.labels) {
    const l = await importLabelFile(study, values.labels, { mci })
    printProblems(l.problems)
    process.stdout.write(`labels from ${values.labels}: ${l.applied} applied, ${l.unchanged} unchanged, ${l.unknownSubjects.length} unknown subject(s)\n`)
  }
  return r.problems.some((p) => p.severity === 'error') ? 3 : 0
}
