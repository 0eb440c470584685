/**
 * Supervised loss: mean cross entropy over a batch, from log-posteriors.
 * Layout: logH is row-major [B, C]; labels are 0-based class indices, one per row.
 */
export interface CeResult {
  /** -(1/B) sum_i logH[i, y_i] */
  loss: number
  /** d loss / d logH, [B, C]: -1/B at (i, y_i), 0 elsewhere. */
  grad: Float32Array
}

export function crossEntropyAndGrad(logH: ArrayLike<number>, labels: readonly number[], C: number): CeResult {
  const B = labels.length
  if (B === 0) throw new Error('crossEntropyAndGrad: empty batch')
  if (logH.length !== B * C) throw new Error(`crossEntropyAndGrad: logH has ${logH.length} values, expected B*C = ${B}*${C}`)
  const grad = new Float32Array(B * C)
  let loss = 0
  for (let i = 0; i < B; i++) {
    const y = labels[i]!
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`crossEntropyAndGrad: label ${y} at row ${i} is not a class index in 0..${C - 1}`)
    loss -= logH[i * C + y]!
    grad[i * C + y] = -1 / B
  }
  return { loss: loss / B, grad }
}

/** Mean cross entropy only. */
export function crossEntropy(logH: ArrayLike<number>, labels: readonly number[], C: number): number {
  return crossEntropyAndGrad(logH, labels, C).loss
}
