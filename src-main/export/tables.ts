/**
 * The run's tables as other tools read them.
 *
 * predictions.tsv follows ClinicaDL's columns: participant_id, session_id, true_label,
 * predicted_label (0-based class indices, as ClinicaDL writes them), proba0..probaN (the
 * aggregator), then ours: the class names, per-modality probabilities <modality>_proba<k>, the
 * split, and label_hidden (1 when the true label was hidden from training by a simulated label
 * rate). Subjects without a label have an empty true_label.
 *
 * metrics.tsv: one row per model (modality or aggregator) and split, mean and std over seeds.
 */
import type { MetricsRow, RunDetail } from '../domain/runs'

function num(v: number | null | undefined, digits = 6): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits)
}

function clean(field: string): string {
  return field.replace(/[\t\r\n]/g, ' ')
}

export function predictionsTsv(run: RunDetail): string {
  const C = run.classNames.length
  const modalities = [...new Set(run.predictions.flatMap((p) => Object.keys(p.modalities)))].sort()
  const header = [
    'participant_id',
    'session_id',
    'true_label',
    'predicted_label',
    ...Array.from({ length: C }, (_, c) => `proba${c}`),
    'true_class',
    'predicted_class',
    ...modalities.flatMap((m) => Array.from({ length: C }, (_, c) => `${m}_proba${c}`)),
    'split',
    'label_hidden'
  ]
  const lines = [header.join('\t')]
  for (const p of run.predictions) {
    const truth = p.trueLabel ?? p.hiddenLabel
    const ti = truth === null ? -1 : run.classNames.indexOf(truth)
    lines.push(
      [
        clean(p.participantId),
        clean(p.sessionId),
        ti < 0 ? '' : String(ti),
        String(run.classNames.indexOf(p.predictedLabel)),
        ...p.aggregator.map((v) => num(v)),
        truth ?? '',
        p.predictedLabel,
        ...modalities.flatMap((m) => (p.modalities[m] ?? new Array<number | null>(C).fill(null)).map((v) => num(v))),
        p.split ?? '',
        p.trueLabel === null && p.hiddenLabel !== null ? '1' : '0'
      ].join('\t')
    )
  }
  return lines.join('\n') + '\n'
}

const METRICS = ['accuracy', 'balancedAccuracy', 'auc', 'sensitivity', 'specificity', 'f1'] as const
const SNAKE: Record<(typeof METRICS)[number], string> = {
  accuracy: 'accuracy',
  balancedAccuracy: 'balanced_accuracy',
  auc: 'auc',
  sensitivity: 'sensitivity',
  specificity: 'specificity',
  f1: 'f1'
}

export function metricsTsv(rows: readonly MetricsRow[]): string {
  const header = ['model', 'split', 'n', 'seeds', ...METRICS.flatMap((m) => [`${SNAKE[m]}_mean`, `${SNAKE[m]}_std`])]
  const lines = [header.join('\t')]
  for (const r of rows) lines.push([r.model, r.split, String(r.n), String(r.seeds), ...METRICS.flatMap((m) => [num(r.mean[m], 4), num(r.std[m], 4)])].join('\t'))
  return lines.join('\n') + '\n'
}
