/**
 * A run's tables as other tools read them: the one predictions writer and the metrics writer of
 * the app (the run folder at the end of training, the export, `fit-tables`).
 *
 * predictions.tsv follows ClinicaDL's columns: participant_id, session_id, true_label,
 * predicted_label (0-based class indices, as ClinicaDL writes them), proba0..probaN (the
 * aggregator), then ours: the class names, per-modality probabilities <modality>_proba<k>
 * (modalities in name order; empty where a subject lacks one), the split, and label_hidden (1
 * when the true label was hidden from training by a simulated label rate). Subjects without a
 * label have an empty true_label.
 *
 * metrics.tsv: one row per model (modality or aggregator) and split, mean and std over seeds; a
 * sweep's metrics.tsv leads with the columns of its grid (export/sweep-report.ts).
 */
import type { MetricsRow, PredictionRow } from '../domain/runs'
import { formatTable } from '../files/tables'

function num(v: number | null | undefined, digits = 6): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits)
}

export function predictionsTsv(classNames: readonly string[], predictions: readonly PredictionRow[]): string {
  const C = classNames.length
  const modalities = [...new Set(predictions.flatMap((p) => Object.keys(p.modalities)))].sort()
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
  const rows = predictions.map((p) => {
    const truth = p.trueLabel ?? p.hiddenLabel
    const ti = truth === null ? -1 : classNames.indexOf(truth)
    return [
      p.participantId,
      p.sessionId,
      ti < 0 ? '' : String(ti),
      String(classNames.indexOf(p.predictedLabel)),
      ...p.aggregator.map((v) => num(v)),
      truth ?? '',
      p.predictedLabel,
      ...modalities.flatMap((m) => (p.modalities[m] ?? new Array<number | null>(C).fill(null)).map((v) => num(v))),
      p.split ?? '',
      p.trueLabel === null && p.hiddenLabel !== null ? '1' : '0'
    ]
  })
  return formatTable(header, rows)
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

/**
 * A metrics table: `lead` columns first (a sweep's method and label rate; none for a run), then
 * model, split, n (test subjects of a seed), seeds, and mean and std of each metric.
 */
export function metricsTsv<R extends MetricsRow>(rows: readonly R[], lead: ReadonlyArray<[string, (r: R) => string]> = []): string {
  const header = [...lead.map(([name]) => name), 'model', 'split', 'n', 'seeds', ...METRICS.flatMap((m) => [`${SNAKE[m]}_mean`, `${SNAKE[m]}_std`])]
  return formatTable(
    header,
    rows.map((r) => [
      ...lead.map(([, cell]) => cell(r)),
      r.model,
      r.split,
      String(r.n),
      String(r.seeds),
      ...METRICS.flatMap((m) => [num(r.mean[m], 4), num(r.std[m], 4)])
    ])
  )
}
