/**
 * The run report: one self-contained HTML file (no scripts, no external resources) with the
 * configuration, the metrics table, training curves and the confusion matrix as inline SVG.
 * The JSON behind it is the RunDetail itself (report.json).
 */
import type { RunDetail } from '../domain/runs'

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf']

interface Series {
  name: string
  points: Array<[number, number]>
}

/** A line chart as SVG: x (named by `axes.x`, default epoch), y = value; axes with min/max ticks. */
export function lineChartSvg(title: string, series: readonly Series[], width = 420, height = 240, axes: { x: string; y?: string } = { x: 'epoch' }): string {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y))
  if (all.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p>no data</p></figure>`
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))]
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))]
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5]
  const m = { l: 48, r: 10, t: 10, b: 30 }
  const sx = (x: number) => m.l + ((x - x0) / Math.max(1e-9, x1 - x0)) * (width - m.l - m.r)
  const sy = (y: number) => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b)
  const lines = series
    .map((s, k) => {
      const pts = s.points.filter(([, y]) => Number.isFinite(y))
      if (!pts.length) return ''
      const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')
      return `<path d="${d}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="1.5"><title>${esc(s.name)}</title></path>`
    })
    .join('')
  const legend = series.map((s, k) => `<span style="color:${COLOURS[k % COLOURS.length]}">&#9632; ${esc(s.name)}</span>`).join(' ')
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">
<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="none" stroke="#999"/>
<text x="${m.l - 4}" y="${m.t + 10}" text-anchor="end" font-size="10">${y1.toFixed(3)}</text>
<text x="${m.l - 4}" y="${height - m.b}" text-anchor="end" font-size="10">${y0.toFixed(3)}</text>
<text x="${m.l}" y="${height - m.b + 14}" font-size="10">${x0}</text>
<text x="${width - m.r}" y="${height - m.b + 14}" text-anchor="end" font-size="10">${x1}</text>
<text x="${(width + m.l) / 2}" y="${height - 4}" text-anchor="middle" font-size="10">${esc(axes.x)}</text>${
    axes.y
      ? `
<text x="10" y="${(height - m.b + m.t) / 2}" text-anchor="middle" font-size="10" transform="rotate(-90 10 ${(height - m.b + m.t) / 2})">${esc(axes.y)}</text>`
      : ''
  }
${lines}</svg><div class="legend">${legend}</div></figure>`
}

/** The confusion matrix [true][predicted] as an SVG grid, shaded by row fraction. */
export function confusionSvg(classNames: readonly string[], confusion: readonly (readonly number[])[]): string {
  const C = classNames.length
  const cell = 56
  const off = 70
  const size = off + C * cell + 10
  const cells: string[] = []
  confusion.forEach((row, a) => {
    const total = row.reduce((x, y) => x + y, 0) || 1
    row.forEach((v, b) => {
      const shade = Math.round(255 - (v / total) * 180)
      cells.push(
        `<rect x="${off + b * cell}" y="${off + a * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"/>` +
          `<text x="${off + b * cell + cell / 2}" y="${off + a * cell + cell / 2 + 5}" text-anchor="middle" font-size="14">${v}</text>`
      )
    })
  })
  const labels = classNames
    .map(
      (n, k) =>
        `<text x="${off + k * cell + cell / 2}" y="${off - 8}" text-anchor="middle" font-size="12">${esc(n)}</text>` +
        `<text x="${off - 8}" y="${off + k * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${esc(n)}</text>`
    )
    .join('')
  return `<figure><figcaption>Confusion matrix, aggregator, test split (rows: true, columns: predicted; summed over seeds)</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="confusion matrix">
<text x="${off + (C * cell) / 2}" y="14" text-anchor="middle" font-size="11">predicted</text>${labels}${cells.join('')}</svg></figure>`
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '&ndash;' : (100 * v).toFixed(1)
}

export function reportHtml(run: RunDetail, studyName: string): string {
  const s = run.summary
  const modelNames = [...new Set(run.curves.flatMap((c) => c.points.flatMap((p) => Object.keys(p.val))))]
  const valSeries: Series[] = run.curves.flatMap((c) =>
    modelNames.map((m) => ({
      name: `${m} (seed ${c.seed})`,
      points: c.points.filter((p) => p.val[m] !== undefined).map((p) => [p.epoch, p.val[m]!] as [number, number])
    }))
  )
  const ceSeries: Series[] = run.curves.map((c) => ({
    name: `CE loss (seed ${c.seed})`,
    points: c.points.filter((p) => p.ceLoss !== null).map((p) => [p.epoch, p.ceLoss!] as [number, number])
  }))
  const tcSeries: Series[] = run.curves.map((c) => ({
    name: `TC gain (seed ${c.seed})`,
    points: c.points.filter((p) => p.tcGain !== null).map((p) => [p.epoch, p.tcGain!] as [number, number])
  }))
  const metricRows = run.metrics
    .map(
      (r) =>
        `<tr><td>${esc(r.model)}</td><td>${r.split}</td><td>${r.n}</td><td>${r.seeds}</td>` +
        (['accuracy', 'balancedAccuracy', 'auc', 'sensitivity', 'specificity', 'f1'] as const)
          .map((k) => `<td>${pct(r.mean[k])} &plusmn; ${pct(r.std[k])}</td>`)
          .join('') +
        '</tr>'
    )
    .join('\n')
  const labelled = run.predictions.filter((p) => p.trueLabel !== null).length
  const hidden = run.predictions.filter((p) => p.trueLabel === null && p.hiddenLabel !== null).length
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TCGM Lab run ${esc(s.id)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:0 1.5em 1.5em 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}.legend{font-size:11px;max-width:420px}
code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>Run ${esc(s.id)}</h1>
<p>Study <b>${esc(studyName)}</b>. Method <b>${s.method === 'tcgm' ? 'TCGM' : 'CE only (baseline)'}</b>, preset <code>${esc(s.preset)}</code>, ${s.seeds} seed(s), ${s.epochs} epochs. Status: ${esc(s.status)}${s.message ? ` (${esc(s.message)})` : ''}. Created ${esc(s.createdAt)}${s.finishedAt ? `, finished ${esc(s.finishedAt)}` : ''}.</p>
<p>${run.predictions.length} subjects: ${labelled} with a visible label, ${hidden} with a label hidden from training (evaluation only). Classes: ${run.classNames.map((c, k) => `${k} = ${esc(c)}`).join(', ')}.</p>
<h2>Metrics (percent, mean &plusmn; std over seeds)</h2>
<p>Computed with every known label of each split, including labels hidden from training.</p>
<table><tr><th>model</th><th>split</th><th>n</th><th>seeds</th><th>accuracy</th><th>balanced acc.</th><th>AUC</th><th>sensitivity</th><th>specificity</th><th>F1</th></tr>
${metricRows}
</table>
<h2>Training</h2>
${lineChartSvg('Validation balanced accuracy (visible labels only, as used for model selection)', valSeries)}
${lineChartSvg('Cross-entropy loss (labelled)', ceSeries)}
${tcSeries.some((x) => x.points.length) ? lineChartSvg('Total Correlation gain', tcSeries) : ''}
<h2>Test split</h2>
${confusionSvg(run.classNames, run.confusion)}
${run.roc ? lineChartSvg(`ROC, aggregator, first seed (AUC ${pct(run.roc.auc)}%)`, [{ name: 'ROC', points: run.roc.fpr.map((f, k) => [f, run.roc!.tpr[k]!] as [number, number]) }], 420, 240, { x: 'false-positive rate', y: 'true-positive rate' }) : ''}
<h2>Configuration</h2>
<pre>${esc(JSON.stringify(run.config, null, 2))}</pre>
</body></html>
`
}
