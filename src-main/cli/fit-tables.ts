/**
 * `fit-tables`: TCGM (or the CE baseline) over per-modality feature tables.
 *
 *   fit-tables --modality NAME=FILE.tsv (repeat) --labels FILE.tsv --method tcgm|ce --seed N --out DIR
 *
 * Trains in a worker process (checkpoints in DIR/checkpoints) and writes
 * - DIR/predictions.tsv: for every subject of the tables, the app's predictions table
 *   (runs/tables.ts: ClinicaDL's participant_id, session_id (empty: tables have no sessions),
 *   true_label and predicted_label as class indices, proba0..proba{C-1} of the aggregator; then
 *   true_class, predicted_class, <modality>_proba<k> (empty when the subject lacks that
 *   modality), split, label_hidden). true_label is the labels file's (empty if unlabelled).
 *   Class k is classNames[k] in run.json.
 * - DIR/run.json: configuration, class names, counts, metrics on the labelled validation subjects,
 *   timings.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { writeFileAtomic } from '../files/atomic'
import type { Method } from '../domain/method'
import { resolveTrainConfig } from '../domain/train-config'
import type { ClassificationMetrics } from '../engine/train/metrics'
import { startTrainingRun } from '../runs/worker/client'
import type { TablesRunParams } from '../runs/kinds/tables'
import { predictionsTsv } from '../runs/tables'
import type { PredictionRow } from '../domain/runs'
import { SplitName } from '../domain/study-settings'
import type { SplitEvaluation, TrainResult } from '../engine/train/train-tcgm'
import { parseHidden } from './simulate'

export const summary = 'TCGM or CE over per-modality feature tables (TSV) -> predictions.tsv, run.json'

const usage = `usage: fit-tables --modality NAME=FILE.tsv [--modality NAME=FILE.tsv ...] --labels FILE.tsv
                  --method tcgm|ce --seed N --out DIR
  [--hidden 0 | 32,16] [--epochs 200] [--warmup-epochs 50] [--warmup-accuracy A]
  [--batch-size 16] [--tc-batch-size 64] [--lr-labelled 0.01] [--lr-unlabelled 0.001]
  [--val-fraction 0.2] [--resume]
Feature tables: participant_id + numeric columns. Labels: participant_id, label (empty = unlabelled).`

function num(name: string, v: string | undefined, fallback?: number): number | undefined {
  if (v === undefined) return fallback
  const x = Number(v)
  if (!Number.isFinite(x)) throw new Error(`fit-tables: --${name} must be a number, got '${v}'`)
  return x
}

/** Scalar metrics only (ROC points stay out of run.json). */
function brief(m: ClassificationMetrics | null): Record<string, unknown> | null {
  if (!m) return null
  const { roc: _roc, ...rest } = m
  return rest
}

function briefSplit(ev: SplitEvaluation | undefined, modalities: string[]): Record<string, unknown> | null {
  if (!ev) return null
  return { n: ev.n, aggregator: brief(ev.aggregator), modalities: Object.fromEntries(modalities.map((name, m) => [name, brief(ev.modalities[m] ?? null)])) }
}

/** One prediction row per subject of the tables (one seed: the posteriors as trained). */
export function predictionRows(result: TrainResult, subjectIds: string[], classNames: string[], labels: (number | null)[], split: string[]): PredictionRow[] {
  const C = result.numClasses
  return subjectIds.map((id, i) => {
    const modalities: Record<string, number[]> = {}
    result.posteriors.modalities.forEach((p, m) => {
      const r = Array.from(p.subarray(i * C, (i + 1) * C))
      if (!Number.isNaN(r[0])) modalities[result.modalities[m]!] = r
    })
    return {
      participantId: id,
      // Feature tables have one row per subject and no session.
      sessionId: '',
      split: SplitName.safeParse(split[i]).data ?? null,
      trueLabel: labels[i] === null ? null : classNames[labels[i]!]!,
      hiddenLabel: null,
      predictedLabel: classNames[result.predicted[i]!]!,
      aggregator: Array.from(result.posteriors.aggregator.subarray(i * C, (i + 1) * C)),
      modalities
    }
  })
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      modality: { type: 'string', multiple: true },
      labels: { type: 'string' },
      method: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      hidden: { type: 'string' },
      epochs: { type: 'string' },
      'warmup-epochs': { type: 'string' },
      'warmup-accuracy': { type: 'string' },
      'batch-size': { type: 'string' },
      'tc-batch-size': { type: 'string' },
      'lr-labelled': { type: 'string' },
      'lr-unlabelled': { type: 'string' },
      'val-fraction': { type: 'string' },
      resume: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  if (!values.modality?.length || !values.labels || !values.out) throw new Error(`fit-tables: --modality, --labels and --out are required\n${usage}`)
  const modalities = values.modality.map((spec) => {
    const k = spec.indexOf('=')
    if (k <= 0 || k === spec.length - 1) throw new Error(`fit-tables: --modality expects NAME=FILE.tsv, got '${spec}'`)
    return { name: spec.slice(0, k), file: resolve(spec.slice(k + 1)) }
  })
  const method = (values.method ?? 'tcgm') as Method
  if (method !== 'tcgm' && method !== 'ce') throw new Error(`fit-tables: --method must be tcgm or ce, got '${values.method}'`)
  if (method === 'tcgm' && modalities.length < 2) throw new Error('fit-tables: TCGM needs at least two --modality tables (or use --method ce)')
  const seed = num('seed', values.seed, 0)!
  const out = resolve(values.out)
  const params: TablesRunParams = {
    modalities,
    labelsFile: resolve(values.labels),
    hidden: parseHidden(values.hidden),
    valFraction: num('val-fraction', values['val-fraction'], 0.2)!,
    seed
  }
  const train = resolveTrainConfig({
    method,
    seed,
    // Tables are small: an epoch is a few steps, so more epochs than the loop's default.
    epochs: num('epochs', values.epochs, 200),
    warmupEpochs: num('warmup-epochs', values['warmup-epochs'], 50),
    warmupAccuracy: num('warmup-accuracy', values['warmup-accuracy']) ?? null,
    batchSize: num('batch-size', values['batch-size']),
    tcBatchSize: num('tc-batch-size', values['tc-batch-size']),
    lrLabelled: num('lr-labelled', values['lr-labelled']),
    lrUnlabelled: num('lr-unlabelled', values['lr-unlabelled'])
  })
  const t0 = Date.now()
  const handle = startTrainingRun(
    { kind: 'tables', params, train, runDir: out, resume: values.resume ?? false },
    {
      onEvent: (e) => {
        if (values.quiet || e.type !== 'progress' || e.progress.type !== 'epoch') return
        const p = e.progress
        const val = p.val?.aggregator ? `  val bal.acc ${p.val.aggregator.balancedAccuracy.toFixed(3)}` : ''
        const tc = p.tcGain === null ? '' : `  TC gain ${p.tcGain.toFixed(4)}`
        const ce = p.ceLoss.map((l) => (l === null ? '-' : l.toFixed(3))).join(' ')
        const eta = p.etaSeconds === null ? '' : `  ETA ${p.etaSeconds.toFixed(0)} s`
        process.stderr.write(`epoch ${p.epoch + 1}/${p.epochs} [${p.phase}]  CE ${ce}${tc}${val}${eta}\n`)
      }
    }
  )
  const onSigint = (): void => handle.cancel()
  process.once('SIGINT', onSigint)
  let r
  try {
    r = await handle.done
  } finally {
    process.off('SIGINT', onSigint)
  }
  if (r.status === 'cancelled') {
    process.stderr.write(`fit-tables: cancelled in epoch ${r.epoch + 1}; run again with --resume to continue from ${out}/checkpoints\n`)
    return 130
  }
  const { result } = r
  const subjectIds = r.subjectIds!
  const classNames = r.classNames!
  const built = { data: r.data }
  await writeFileAtomic(
    `${out}/predictions.tsv`,
    predictionsTsv(classNames, predictionRows(result, subjectIds, classNames, built.data.labels, built.data.split))
  )
  const runJson = {
    command: 'fit-tables',
    method,
    params,
    config: result.config,
    classNames,
    modalities: result.modalities,
    counts: {
      subjects: subjectIds.length,
      labelled: built.data.labels.filter((y) => y !== null).length,
      train: built.data.split.filter((s) => s === 'train').length,
      validation: built.data.split.filter((s) => s === 'val').length,
      perModality: Object.fromEntries(result.modalities.map((name, m) => [name, built.data.available.filter((a) => a[m]).length]))
    },
    prior: result.prior,
    selectedEpoch: result.selectedEpoch,
    metrics: { validation: briefSplit(result.evaluation.val, result.modalities) },
    history: result.history,
    timings: {
      totalSeconds: (Date.now() - t0) / 1000,
      trainingSeconds: result.seconds,
      meanEpochSeconds: result.history.reduce((a, h) => a + h.seconds, 0) / Math.max(1, result.history.length)
    }
  }
  await writeFileAtomic(`${out}/run.json`, Buffer.from(`${JSON.stringify(runJson, null, 2)}\n`))
  const v = result.evaluation.val?.aggregator
  process.stdout.write(
    `wrote ${out}/predictions.tsv (${subjectIds.length} subjects) and ${out}/run.json` +
      (v
        ? `; validation (n = ${v.n}): accuracy ${v.accuracy.toFixed(3)}, balanced accuracy ${v.balancedAccuracy.toFixed(3)}, AUC ${v.auc.toFixed(3)}`
        : '; no labelled validation subjects') +
      '\n'
  )
  return 0
}
