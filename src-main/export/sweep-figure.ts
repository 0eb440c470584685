/**
 * The sweep's figure, drawn like the paper's Figure 6: test accuracy against the label rate, one
 * line per method with error bars of one standard deviation over seeds, one panel per model
 * (each modality, then the aggregator). Label rates sit at even steps, as the paper draws them.
 */
import type { SweepTableRow } from '../domain/sweep'
import { COLOURS, esc } from './report'

const pctLabel = (rate: number) => `${Number((100 * rate).toPrecision(6))}%`

const MODEL_TITLES: Record<string, string> = { smri: 'sMRI', pet: 'FDG-PET', aggregator: 'Aggregator (sMRI + PET)' }

/** The legend's name of a line: the method, and preset / learning rate when the grid varies them. */
export function seriesName(r: Pick<SweepTableRow, 'method' | 'preset' | 'learningRate'>, many: { presets: boolean; lrs: boolean }): string {
  const parts: string[] = [r.method === 'tcgm' ? 'TCGM' : 'CE']
  if (many.presets) parts.push(r.preset)
  if (many.lrs) parts.push(r.learningRate === null ? 'default lr' : `lr ${r.learningRate}`)
  return parts.join(', ')
}

/** One panel per model as inline SVG; accuracy in percent. */
export function accuracyFigureSvg(rows: readonly SweepTableRow[]): string {
  if (rows.length === 0) return '<p>No cell has finished yet.</p>'
  const models = [...new Set(rows.map((r) => r.model))].sort((a, b) => (a === 'aggregator' ? 1 : b === 'aggregator' ? -1 : 0))
  const rates = [...new Set(rows.map((r) => r.labelRate))].sort((a, b) => a - b)
  const many = { presets: new Set(rows.map((r) => r.preset)).size > 1, lrs: new Set(rows.map((r) => r.learningRate)).size > 1 }
  const names = [...new Set(rows.map((r) => seriesName(r, many)))]
  const lo = Math.min(...rows.map((r) => 100 * (r.mean.accuracy - r.std.accuracy)))
  const hi = Math.max(...rows.map((r) => 100 * (r.mean.accuracy + r.std.accuracy)))
  const y0 = Math.max(0, Math.floor(lo / 10) * 10)
  const y1 = Math.min(100, Math.max(y0 + 10, Math.ceil(hi / 10) * 10))
  const W = 300
  const H = 240
  const m = { l: 44, r: 10, t: 24, b: 40 }
  const sx = (k: number) => m.l + ((k + 0.5) / rates.length) * (W - m.l - m.r)
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b)
  const panels = models.map((model, p) => {
    const parts: string[] = [`<g transform="translate(${p * W},0)">`]
    parts.push(`<text x="${(W + m.l) / 2}" y="14" text-anchor="middle" font-size="12" font-weight="bold">${esc(MODEL_TITLES[model] ?? model)}</text>`)
    parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`)
    for (let y = y0; y <= y1; y += 10) {
      parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#eee"/>`)
      parts.push(`<text x="${m.l - 4}" y="${(sy(y) + 3).toFixed(1)}" text-anchor="end" font-size="10">${y}</text>`)
    }
    rates.forEach((r, k) => parts.push(`<text x="${sx(k).toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle" font-size="10">${esc(pctLabel(r))}</text>`))
    parts.push(`<text x="${(W + m.l) / 2}" y="${H - 6}" text-anchor="middle" font-size="10">label rate</text>`)
    if (p === 0) parts.push(`<text transform="translate(11,${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" font-size="10">test accuracy (%)</text>`)
    names.forEach((name, s) => {
      const colour = COLOURS[s % COLOURS.length]
      // A small sideways offset per method keeps overlapping error bars apart.
      const dx = (s - (names.length - 1) / 2) * 4
      const pts = rates.flatMap((rate, k) => {
        const row = rows.find((r) => r.model === model && r.labelRate === rate && seriesName(r, many) === name)
        return row && Number.isFinite(row.mean.accuracy) ? [{ x: sx(k) + dx, row }] : []
      })
      if (!pts.length) return
      parts.push(
        `<path d="${pts.map((q, i) => `${i ? 'L' : 'M'}${q.x.toFixed(1)},${sy(100 * q.row.mean.accuracy).toFixed(1)}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="1.5"/>`
      )
      for (const q of pts) {
        const mean = 100 * q.row.mean.accuracy
        const sd = 100 * (Number.isFinite(q.row.std.accuracy) ? q.row.std.accuracy : 0)
        const tip = `${name}, ${pctLabel(q.row.labelRate)} labels: ${mean.toFixed(1)} ± ${sd.toFixed(1)} (${q.row.seeds} seeds)`
        parts.push(
          `<g><title>${esc(tip)}</title>` +
            `<line x1="${q.x.toFixed(1)}" x2="${q.x.toFixed(1)}" y1="${sy(Math.max(y0, mean - sd)).toFixed(1)}" y2="${sy(Math.min(y1, mean + sd)).toFixed(1)}" stroke="${colour}"/>` +
            `<circle cx="${q.x.toFixed(1)}" cy="${sy(mean).toFixed(1)}" r="3" fill="${colour}"/></g>`
        )
      }
    })
    parts.push('</g>')
    return parts.join('')
  })
  const width = Math.max(1, models.length) * W
  const legendY = H + 14
  const legend = names
    .map(
      (n, s) =>
        `<g transform="translate(${m.l + s * 140},${legendY})"><rect width="10" height="10" y="-9" fill="${COLOURS[s % COLOURS.length]}"/><text x="14" font-size="11">${esc(n)}</text></g>`
    )
    .join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 24}" viewBox="0 0 ${width} ${H + 24}" role="img" aria-label="test accuracy against label rate">${panels.join('')}${legend}</svg>`
}
