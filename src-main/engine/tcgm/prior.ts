/**
 * The class prior p_c used by the TC gain and the aggregator, estimated from the labelled
 * subjects' class frequencies: additive (Laplace) smoothing, then clamped away from 0 and
 * renormalised, so that p_c^-(M-1) stays bounded even when a class has no label yet.
 */
export interface PriorOptions {
  /** Pseudo-count added to every class (default 1). */
  pseudoCount?: number
  /** Lower bound on each p_c (default 0.2 / C). */
  minProbability?: number
}

export interface Prior {
  /** p_c, sums to 1. */
  p: Float64Array
  /** log p_c. */
  logP: Float64Array
}

/** Uniform prior over C classes. */
export function uniformPrior(C: number): Prior {
  if (!Number.isInteger(C) || C < 1) throw new Error(`uniformPrior: C must be a positive integer, got ${C}`)
  const p = new Float64Array(C).fill(1 / C)
  return { p, logP: p.map(Math.log) }
}

/**
 * @param labels 0-based class per subject, null = unlabelled (ignored)
 * @param C number of classes
 * @param opts pseudoCount (default 1), minProbability (default 0.2 / C)
 */
export function estimatePrior(labels: readonly (number | null)[], C: number, opts: PriorOptions = {}): Prior {
  if (!Number.isInteger(C) || C < 1) throw new Error(`estimatePrior: C must be a positive integer, got ${C}`)
  const alpha = opts.pseudoCount ?? 1
  const floor = opts.minProbability ?? 0.2 / C
  if (!(alpha >= 0)) throw new Error(`estimatePrior: pseudoCount must be >= 0, got ${alpha}`)
  if (!(floor >= 0 && floor * C <= 1)) throw new Error(`estimatePrior: minProbability must be in [0, 1/C], got ${floor}`)
  const counts = new Float64Array(C)
  let n = 0
  for (const y of labels) {
    if (y === null) continue
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`estimatePrior: label ${y} is not a class index in 0..${C - 1}`)
    counts[y]++
    n++
  }
  if (n + alpha * C === 0) return uniformPrior(C)
  const p = counts.map((k) => (k + alpha) / (n + alpha * C))
  // Clamp then renormalise; the clamped classes keep exactly the floor.
  for (let iter = 0; iter < C; iter++) {
    let low = 0
    let highMass = 0
    for (const v of p) {
      if (v <= floor) low += 1
      else highMass += v
    }
    const scale = (1 - low * floor) / highMass
    let changed = false
    for (let c = 0; c < C; c++) {
      if (p[c]! <= floor) {
        if (p[c] !== floor) changed = true
        p[c] = floor
      } else p[c]! *= scale
    }
    if (!changed && Math.abs(scale - 1) < 1e-15) break
  }
  return { p, logP: p.map(Math.log) }
}
