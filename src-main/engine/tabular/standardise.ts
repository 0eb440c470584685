/**
 * Per-column standardisation (z-scores) fitted on chosen rows only (the training subjects), then
 * applied to every row. Non-finite values (missing modality) are skipped when fitting and kept
 * as NaN. Layout: row-major [N, D].
 */
export interface Standardisation {
  mean: Float64Array
  /** Standard deviation per column; 1 where a column is constant on the fitting rows. */
  std: Float64Array
}

export function fitStandardisation(x: ArrayLike<number>, D: number, rows: readonly number[]): Standardisation {
  const mean = new Float64Array(D)
  const sq = new Float64Array(D)
  const count = new Float64Array(D)
  for (const i of rows) {
    for (let d = 0; d < D; d++) {
      const v = x[i * D + d]!
      if (!Number.isFinite(v)) continue
      count[d]++
      const delta = v - mean[d]!
      mean[d] += delta / count[d]!
      sq[d] += delta * (v - mean[d]!)
    }
  }
  const std = new Float64Array(D)
  for (let d = 0; d < D; d++) {
    const s = count[d]! > 1 ? Math.sqrt(sq[d]! / (count[d]! - 1)) : 0
    std[d] = s > 1e-12 ? s : 1
  }
  return { mean, std }
}

export function applyStandardisation(x: ArrayLike<number>, D: number, s: Standardisation): Float32Array {
  const out = new Float32Array(x.length)
  for (let k = 0; k < x.length; k++) {
    const d = k % D
    out[k] = (x[k]! - s.mean[d]!) / s.std[d]!
  }
  return out
}
