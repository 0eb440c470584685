/**
 * A sweep's collected results: metrics.tsv (ClinicaDL's metrics columns, led by the grid's
 * method, label rate, preset and learning rate) and report.html (the figure, the table and the
 * cells not finished), both self-contained, written atomically into the sweep's folder.
 */
import { join } from 'node:path'
import type { CellState, SweepCell, SweepFile, SweepTableRow } from '../domain/sweep'
import { writeFileAtomic } from '../files/atomic'
import { esc } from './report'
import { accuracyFigureSvg } from './sweep-figure'
import { metricsTsv } from '../runs/tables'

export function sweepMetricsTsv(rows: readonly SweepTableRow[]): string {
  return metricsTsv(rows, [
    ['method', (r) => r.method],
    ['label_rate', (r) => String(r.labelRate)],
    ['preset', (r) => r.preset],
    // Empty: the app's default learning rates.
    ['learning_rate', (r) => (r.learningRate === null ? '' : String(r.learningRate))]
  ])
}

const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '&ndash;' : (100 * v).toFixed(1))

export interface UnfinishedCell {
  cell: SweepCell
  state: CellState
  message: string | null
}

export function sweepReportHtml(
  sweep: SweepFile,
  studyName: string,
  rows: readonly SweepTableRow[],
  unfinished: readonly UnfinishedCell[],
  total: number
): string {
  const g = sweep.grid
  const table = rows
    .map(
      (r) =>
        `<tr><td>${r.method === 'tcgm' ? 'TCGM' : 'CE'}</td><td>${esc(String(Number((100 * r.labelRate).toPrecision(6))))}%</td><td>${esc(r.preset)}</td><td>${r.learningRate ?? 'default'}</td><td>${esc(r.model)}</td>` +
        (['accuracy', 'balancedAccuracy', 'auc', 'sensitivity', 'specificity', 'f1'] as const)
          .map((k) => `<td>${pct(r.mean[k])} &plusmn; ${pct(r.std[k])}</td>`)
          .join('') +
        `<td>${r.n}</td><td>${r.seeds}</td></tr>`
    )
    .join('\n')
  const missing = unfinished.length
    ? `<h2>Cells not finished (${unfinished.length} of ${total})</h2><p>Their seeds are missing from the table above.</p><ul>${unfinished
        .map((u) => `<li>${esc(u.cell.id)}: ${esc(u.state)}${u.message ? ` &ndash; ${esc(u.message)}` : ''}</li>`)
        .join('')}</ul>`
    : `<p>All ${total} cells finished.</p>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep ${esc(sweep.name)} &ndash; ${esc(studyName)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}td:nth-child(-n+5),th:nth-child(-n+5){text-align:left}</style></head>
<body><h1>Sweep ${esc(sweep.name)}</h1>
<p>Study ${esc(studyName)}. Methods ${g.methods.map(esc).join(', ')}; label rates ${g.labelRates.map((r) => `${Number((100 * r).toPrecision(6))}%`).join(', ')}; seeds ${g.seeds.join(', ')}; presets ${g.presets.join(', ')}; learning rates ${g.learningRates.length ? g.learningRates.join(', ') : 'default'}; ${sweep.epochs} epochs. Each seed draws its own visible labels (at the cell's label rate) and its own split; the methods of a seed share them.</p>
<h2>Test accuracy against label rate</h2>
<figure>${accuracyFigureSvg(rows)}<figcaption>Mean over seeds, error bars one standard deviation (test split).</figcaption></figure>
<h2>Test metrics (%, mean &plusmn; std over seeds)</h2>
<table><thead><tr><th>method</th><th>label rate</th><th>preset</th><th>learning rate</th><th>model</th><th>accuracy</th><th>balanced accuracy</th><th>AUC</th><th>sensitivity</th><th>specificity</th><th>F1</th><th>n</th><th>seeds</th></tr></thead>
<tbody>${table}</tbody></table>
${missing}
</body></html>
`
}

/** Writes metrics.tsv and report.html into the sweep's folder; resolves to their paths. */
export async function writeSweepResults(sweepDir: string, tsv: string, html: string): Promise<string[]> {
  const files: Array<[string, string]> = [
    [join(sweepDir, 'metrics.tsv'), tsv],
    [join(sweepDir, 'report.html'), html]
  ]
  for (const [file, text] of files) await writeFileAtomic(file, text, 'study folder')
  return files.map(([f]) => f)
}
