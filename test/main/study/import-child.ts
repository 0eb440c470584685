/**
 * Child process for the kill -9 import test: what `cli import SOURCE --study DIR --concurrency 1`
 * does (create the study when absent, then import in this process), without the CLI's printing.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor } from '../../../src-main/study/import/preprocess'
import { STUDY_JSON, createStudy } from '../../../src-main/study/study'

const [study, source] = process.argv.slice(2) as [string, string]
async function main(): Promise<void> {
  if (
    !(await fsp.stat(join(study, STUDY_JSON)).then(
      () => true,
      () => false
    ))
  )
    await createStudy(study)
  const r = await runImport(study, imagingPreprocessor, { source, concurrency: 1 })
  process.stdout.write(`${JSON.stringify({ added: r.added, labelled: r.labelled })}\n`)
}
main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
})
