/**
 * `train --study DIR --method tcgm|ce --preset NAME --seeds K [--epochs E]`: trains a run (seeds
 * one after another, each in a worker process) with a progress bar on a TTY; `--resume RUN`
 * continues an interrupted run; `--sweep NAME --cell ID` trains one cell of a sweep into its run
 * folder (what each Slurm task of a sweep runs). Prints the run id and the test metrics.
 * SIGINT and SIGTERM (Slurm's scancel) stop after the current step, leaving the checkpoints.
 */
import { Method } from '../domain/method'
import { TRAINING_DEFAULTS } from '../domain/training'
import { parseArgs } from 'node:util'
import { getRunDetail, runFolderDetail } from '../runs/read'
import { trainCell } from '../runs/sweeps/cells'
import { cellDir, readSweep } from '../runs/sweeps/folder'
import { resumeStudyRun, trainStudy } from '../runs/train'
import { intOption, numberOption, progressPrinter, requireOption } from './study-args'

export const summary = 'Train TCGM or the CE baseline on a study (progress bar; --resume RUN after a crash)'

export const usage = `usage: train --study DIR --method tcgm|ce --preset NAME --seeds K [--first-seed S] [--epochs E]
             [--warmup-epochs W] [--batch-size B] [--lr-labelled LR] [--lr-unlabelled LR]
       train --study DIR --resume RUN     continue an interrupted run from its checkpoints
       train --study DIR --sweep NAME --cell ID   train one cell of a sweep (what each Slurm task runs)`

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      study: { type: 'string' },
      method: { type: 'string' },
      preset: { type: 'string' },
      seeds: { type: 'string' },
      'first-seed': { type: 'string' },
      epochs: { type: 'string' },
      'warmup-epochs': { type: 'string' },
      'batch-size': { type: 'string' },
      'lr-labelled': { type: 'string' },
      'lr-unlabelled': { type: 'string' },
      resume: { type: 'string' },
      sweep: { type: 'string' },
      cell: { type: 'string' }
    }
  })
  const study = requireOption('train', 'study', values.study)
  const controller = new AbortController()
  const onSigint = () => {
    process.stderr.write('\nstopping after the current step (Ctrl-C again to kill)...\n')
    controller.abort(new Error('cancelled from the command line'))
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
  }
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  const progress = progressPrinter()
  const cb = {
    signal: controller.signal,
    onCreated: (id: string) => process.stderr.write(`run ${id}\n`),
    onProgress: (
      f: number | null,
      m: string,
      d: { ceLoss: number | null; tcGain: number | null; val: Record<string, { balancedAccuracy: number }> | null; etaSeconds: number | null }
    ) => {
      const parts = [m]
      if (d.ceLoss !== null) parts.push(`ce ${d.ceLoss.toFixed(3)}`)
      if (d.tcGain !== null) parts.push(`tc ${d.tcGain.toFixed(3)}`)
      if (d.val?.aggregator) parts.push(`val bacc ${(100 * d.val.aggregator.balancedAccuracy).toFixed(1)}%`)
      if (d.etaSeconds !== null) parts.push(`eta ${Math.round(d.etaSeconds)} s`)
      progress.update(f, parts.join(', '))
    }
  }
  if ((values.sweep === undefined) !== (values.cell === undefined)) throw new Error('train: --sweep and --cell go together (one cell of a sweep)')
  let summaryRun
  let cellFolder: string | null = null
  try {
    if (values.sweep !== undefined && values.cell !== undefined) {
      const sweep = await readSweep(study, values.sweep)
      const r = await trainCell(sweep, values.cell, cb)
      if (r.alreadyDone) process.stderr.write(`cell ${values.cell} has finished already; it is not trained again\n`)
      summaryRun = r.summary
      cellFolder = cellDir(sweep.study, values.sweep, values.cell)
    } else if (values.resume) summaryRun = await resumeStudyRun(study, values.resume, cb)
    else {
      const method = values.method
      if (!Method.safeParse(method).success) throw new Error(`train: --method must be ${Method.options.join(' or ')}, got '${method ?? ''}'`)
      summaryRun = await trainStudy(
        study,
        {
          method: method as Method,
          preset: values.preset ?? TRAINING_DEFAULTS.preset,
          seeds: intOption('train', 'seeds', values.seeds, TRAINING_DEFAULTS.seeds),
          firstSeed: intOption('train', 'first-seed', values['first-seed'], 0),
          epochs: values.epochs === undefined ? undefined : intOption('train', 'epochs', values.epochs),
          hyperparameters: {
            warmupEpochs: values['warmup-epochs'] === undefined ? undefined : intOption('train', 'warmup-epochs', values['warmup-epochs']),
            batchSize: values['batch-size'] === undefined ? undefined : intOption('train', 'batch-size', values['batch-size']),
            lrLabelled: values['lr-labelled'] === undefined ? undefined : numberOption('train', 'lr-labelled', values['lr-labelled']),
            lrUnlabelled: values['lr-unlabelled'] === undefined ? undefined : numberOption('train', 'lr-unlabelled', values['lr-unlabelled'])
          }
        },
        cb
      )
    }
  } finally {
    progress.done()
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
  }
  process.stdout.write(`run ${summaryRun.id}: ${summaryRun.status}${summaryRun.message ? ` (${summaryRun.message})` : ''}\n`)
  if (summaryRun.status !== 'done') return 4
  const detail = cellFolder ? await runFolderDetail(study, cellFolder) : await getRunDetail(study, summaryRun.id)
  for (const r of detail.metrics.filter((x) => x.split === 'test')) {
    const f = (k: 'accuracy' | 'balancedAccuracy' | 'auc') => `${(100 * (r.mean[k] ?? NaN)).toFixed(1)} +- ${(100 * (r.std[k] ?? NaN)).toFixed(1)}`
    process.stdout.write(`test ${r.model.padEnd(10)} n=${r.n} accuracy ${f('accuracy')}  balanced ${f('balancedAccuracy')}  AUC ${f('auc')}\n`)
  }
  return 0
}
