/**
 * Series colours for charts. chart.js draws on a canvas and cannot read CSS variables, so the
 * theme's `--lab-series-N` values are resolved here (with the same values as fallbacks where no
 * stylesheet is loaded, as in unit tests). One colour per model everywhere: sMRI, PET,
 * aggregator, then any other model.
 */
const fallback = ['#1f5fbf', '#c2410c', '#2f7d32', '#7b3fa0']
const modelOrder = ['smri', 'pet', 'aggregator']

/** The i-th series colour of the theme (wraps after 4). */
export function seriesColor(i: number): string {
  const k = ((i % fallback.length) + fallback.length) % fallback.length
  const v = typeof document === 'undefined' ? '' : getComputedStyle(document.documentElement).getPropertyValue(`--lab-series-${k}`).trim()
  return v || fallback[k]
}

/** Position of a model in displays: sMRI, PET, aggregator, then others. */
export function modelRank(model: string): number {
  const i = modelOrder.indexOf(model)
  return i < 0 ? modelOrder.length : i
}

export function modelColor(model: string): string {
  return seriesColor(modelRank(model))
}
