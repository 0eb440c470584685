/**
 * `qc --study DIR` lists the scans a failed registration flagged (kept out of training);
 * `--accept ID:smri|pet` lets one into training, `--reject ID:smri|pet` takes that back.
 */
import { parseArgs } from 'node:util'
import { isModality } from '../domain/modality'
import { acceptRegistration, flaggedScans } from '../study/qc'
import { requireOption } from './study-args'
import type { Modality } from '../domain/modality'

export const summary = 'List scans flagged by registration QC; accept or reject them for training'

export const usage = `usage: qc --study DIR [--accept ID:smri|pet ...] [--reject ID:smri|pet ...]
  lists the scans whose registration to MNI was flagged (NCC with the template below the threshold);
  a flagged scan enters training only once accepted`

function target(flag: string, v: string): [string, Modality] {
  const i = v.lastIndexOf(':')
  const m = v.slice(i + 1)
  if (i <= 0 || !isModality(m)) throw new Error(`qc: ${flag} expects ID:smri or ID:pet, got '${v}'`)
  return [v.slice(0, i), m]
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { study: { type: 'string' }, accept: { type: 'string', multiple: true }, reject: { type: 'string', multiple: true } }
  })
  const study = requireOption('qc', 'study', values.study)
  for (const [flag, list, accepted] of [
    ['--accept', values.accept, true],
    ['--reject', values.reject, false]
  ] as const) {
    for (const v of list ?? []) {
      const [id, m] = target(flag, v)
      const r = await acceptRegistration(study, id, m, accepted)
      process.stdout.write(`${r.subject} ${r.modality}: ${accepted ? 'accepted into training' : 'kept out of training'} (NCC ${r.ncc.toFixed(3)})\n`)
    }
  }
  const flagged = await flaggedScans(study)
  if (flagged.length === 0) process.stdout.write('no scan was flagged by registration QC\n')
  for (const f of flagged)
    process.stdout.write(
      `${f.subject}\t${f.modality}\tNCC ${f.ncc.toFixed(3)} < ${f.threshold}\t${f.accepted ? 'accepted' : 'kept out of training'}\t${f.path}\n`
    )
  return 0
}
