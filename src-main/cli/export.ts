/** `export --study DIR --run ID --out DIR`: predictions TSV, metrics TSV, report HTML + JSON. */
import { parseArgs } from 'node:util'
import { exportRun } from '../export'
import { savedRunTables } from '../runs/folder'
import { getRunDetail } from '../runs/read'
import { loadStudy } from '../study/study'
import { requireOption } from './study-args'

export const summary = "Export a run's predictions (ClinicaDL columns), metrics and report to a folder"

export const usage = 'usage: export --study DIR --run ID --out DIR'

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { study: { type: 'string' }, run: { type: 'string' }, out: { type: 'string' } } })
  const study = requireOption('export', 'study', values.study)
  const id = requireOption('export', 'run', values.run)
  const out = requireOption('export', 'out', values.out)
  const detail = await getRunDetail(study, id)
  const r = await exportRun(detail, out, (await loadStudy(study)).file.name, undefined, await savedRunTables(study, id))
  for (const f of r.files) process.stdout.write(`${f}\n`)
  return 0
}
