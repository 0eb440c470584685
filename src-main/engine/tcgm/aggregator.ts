/**
 * The TCGM aggregator: the Bayes posterior of the label given all present modalities under
 * conditional independence,
 *   zeta_c = softmax_c( sum_{m present} logH_m[c] - (M' - 1) log p_c ),  M' = number present.
 * A subject with no modality at all gets the prior.
 */

/**
 * Posterior for one subject.
 * @param logHs per modality the subject's log-posteriors (length C), null when the modality is missing
 * @param logPrior log p_c, length C
 * @returns zeta, length C, sums to 1
 */
export function aggregate(logHs: readonly (ArrayLike<number> | null)[], logPrior: ArrayLike<number>): Float64Array {
  const C = logPrior.length
  const present = logHs.filter((h): h is ArrayLike<number> => h !== null)
  present.forEach((h) => {
    if (h.length !== C) throw new Error(`aggregate: a modality gives ${h.length} log-posteriors, expected C = ${C}`)
  })
  const Mp = present.length
  const z = new Float64Array(C)
  for (let c = 0; c < C; c++) {
    // With no modality, Mp - 1 = -1 gives log p_c: the prior.
    let s = -(Mp - 1) * logPrior[c]!
    for (const h of present) s += h[c]!
    z[c] = s
  }
  return softmaxInPlace(z)
}

/**
 * Posteriors for N subjects at once.
 * @param logHs per modality a row-major [N, C] array; a row is read only where `present(i, m)`
 * @param present whether subject i (0-based row) has modality m
 * @returns row-major [N, C] posteriors
 */
export function aggregateRows(
  logHs: readonly (Float32Array | Float64Array)[],
  N: number,
  logPrior: ArrayLike<number>,
  present: (i: number, m: number) => boolean
): Float64Array {
  const C = logPrior.length
  logHs.forEach((h, m) => {
    if (h.length !== N * C) throw new Error(`aggregateRows: logHs[${m}] has ${h.length} values, expected N*C = ${N}*${C}`)
  })
  const out = new Float64Array(N * C)
  const row: (ArrayLike<number> | null)[] = new Array(logHs.length)
  for (let i = 0; i < N; i++) {
    for (let m = 0; m < logHs.length; m++) {
      row[m] = present(i, m) ? logHs[m]!.subarray(i * C, (i + 1) * C) : null
    }
    out.set(aggregate(row, logPrior), i * C)
  }
  return out
}

/** Softmax of a vector in place (max-shifted). */
export function softmaxInPlace(z: Float64Array): Float64Array {
  let zmax = -Infinity
  for (const v of z) if (v > zmax) zmax = v
  let s = 0
  for (let c = 0; c < z.length; c++) {
    z[c] = Math.exp(z[c]! - zmax)
    s += z[c]!
  }
  for (let c = 0; c < z.length; c++) z[c]! /= s
  return z
}
