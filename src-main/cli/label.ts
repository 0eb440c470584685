/**
 * `label --study DIR --simulate-rate R --seed S` keeps a stratified fraction of the known labels
 * visible (the rest hidden for evaluation); `label --study DIR --set ID=CLASS [--set ...]`,
 * `--clear ID`, `--undo`, `--import FILE`, `--splits SEED`.
 */
import { parseArgs } from 'node:util'
import { importLabelFile } from '../study/label-import'
import { makeStudySplits, setLabel, simulateLabelRate, undoLabel } from '../study/study'
import type { MciPolicy } from '../domain/study-settings'
import { intOption, numberOption, printProblems, requireOption } from './study-args'

export const summary = 'Set, clear, undo or import labels; simulate a label rate; make the split'

export const usage = `usage: label --study DIR [--set ID=CLASS ...] [--clear ID ...] [--undo] [--import FILE [--mci POLICY]]
             [--simulate-rate R --seed S] [--splits SEED]
  --set ID=CLASS       set a subject's label (repeatable)     --clear ID     clear one (repeatable)
  --undo               undo the last label change             --import FILE  labels from a TSV/CSV or ADNIMERGE
  --mci POLICY         exclude | as-first-class | as-second-class | converters-36m
  --simulate-rate R    keep a stratified share R of the known labels visible (--seed S), hide the rest
  --splits SEED        make the train/val/test split (60/20/20)`

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      study: { type: 'string' },
      'simulate-rate': { type: 'string' },
      seed: { type: 'string' },
      set: { type: 'string', multiple: true },
      clear: { type: 'string', multiple: true },
      undo: { type: 'boolean' },
      import: { type: 'string' },
      mci: { type: 'string' },
      splits: { type: 'string' }
    }
  })
  const study = requireOption('label', 'study', values.study)
  let did = false
  for (const pair of values.set ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new Error(`label: --set expects ID=CLASS, got '${pair}'`)
    const r = await setLabel(study, pair.slice(0, eq), pair.slice(eq + 1))
    process.stdout.write(`${r.subject}: ${r.previous ?? '(none)'} -> ${r.label}\n`)
    did = true
  }
  for (const id of values.clear ?? []) {
    const r = await setLabel(study, id, null)
    process.stdout.write(`${r.subject}: ${r.previous ?? '(none)'} -> (none)\n`)
    did = true
  }
  if (values.undo) {
    const r = await undoLabel(study)
    process.stdout.write(r ? `undid event ${r.undone.seq}: ${r.change.subject} is ${r.change.label ?? '(none)'} again\n` : 'nothing to undo\n')
    did = true
  }
  if (values.import) {
    const r = await importLabelFile(study, values.import, { mci: values.mci as MciPolicy | undefined })
    printProblems(r.problems)
    process.stdout.write(`${r.applied} label(s) applied, ${r.unchanged} unchanged, ${r.unknownSubjects.length} unknown subject(s)\n`)
    did = true
  }
  if (values['simulate-rate'] !== undefined) {
    const rate = numberOption('label', 'simulate-rate', values['simulate-rate'])
    const r = await simulateLabelRate(study, rate, intOption('label', 'seed', values.seed, 0))
    const by = Object.entries(r.visibleByClass)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')
    process.stdout.write(`${r.visible} label(s) visible (${by}), ${r.hidden} hidden for evaluation only\n`)
    did = true
  }
  if (values.splits !== undefined) {
    const c = await makeStudySplits(study, intOption('label', 'splits', values.splits))
    process.stdout.write(`split: train ${c.train}, validation ${c.val}, test ${c.test}\n`)
    did = true
  }
  if (!did) throw new Error('label: nothing to do; use --set ID=CLASS, --clear ID, --undo, --import FILE, --simulate-rate R --seed S or --splits SEED')
  return 0
}
