/**
 * Classification summaries computed in the renderer from a run's per-subject predictions:
 * confusion matrix, ROC curve and its area. Pure functions, no Vue, no API.
 *
 * Class indices are 0-based and follow the study's class names (index 1 = the positive class,
 * for instance AD in AD vs NC).
 */

/** A confusion matrix: `counts[t][p]` = subjects of true class t predicted as class p. */
export interface ConfusionMatrix {
  readonly numClasses: number
  readonly counts: number[][]
  readonly total: number
}

/**
 * Counts true vs predicted classes.
 * @throws when the arrays differ in length or hold a class outside 0..numClasses-1.
 */
export function confusionMatrix(trueLabels: readonly number[], predicted: readonly number[], numClasses: number): ConfusionMatrix {
  if (trueLabels.length !== predicted.length) {
    throw new Error(`confusionMatrix: expected as many predictions as true labels, got ${predicted.length} vs ${trueLabels.length}`)
  }
  const counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0))
  for (let i = 0; i < trueLabels.length; i++) {
    const t = trueLabels[i]
    const p = predicted[i]
    if (!isClass(t, numClasses) || !isClass(p, numClasses)) {
      throw new Error(`confusionMatrix: class index out of 0..${numClasses - 1} at row ${i} (true ${t}, predicted ${p})`)
    }
    counts[t][p]++
  }
  return { numClasses, counts, total: trueLabels.length }
}

function isClass(c: number, numClasses: number): boolean {
  return Number.isInteger(c) && c >= 0 && c < numClasses
}

/** One point of a ROC curve (false positive rate, true positive rate), both in 0..1. */
export interface RocPoint {
  readonly fpr: number
  readonly tpr: number
}

/**
 * ROC curve of a score for the positive class, one point per distinct threshold (ties are
 * stepped together, so the curve does not depend on the order of tied subjects).
 * Starts at (0,0) and ends at (1,1). Returns null when either class is absent (no curve exists).
 *
 * @param positive booleans: true when the subject's true class is the positive one
 * @param scores   the predicted probability of the positive class, same order
 */
export function rocCurve(positive: readonly boolean[], scores: readonly number[]): RocPoint[] | null {
  if (positive.length !== scores.length) {
    throw new Error(`rocCurve: expected as many scores as labels, got ${scores.length} vs ${positive.length}`)
  }
  const nPos = positive.filter(Boolean).length
  const nNeg = positive.length - nPos
  if (nPos === 0 || nNeg === 0) return null
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a])
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }]
  let tp = 0
  let fp = 0
  for (let k = 0; k < order.length; k++) {
    const i = order[k]
    if (positive[i]) tp++
    else fp++
    const nextTied = k + 1 < order.length && scores[order[k + 1]] === scores[i]
    if (!nextTied) points.push({ fpr: fp / nNeg, tpr: tp / nPos })
  }
  return points
}

/** Area under a ROC curve by the trapezoid rule (ties give the usual half credit). */
export function rocAuc(points: readonly RocPoint[]): number {
  let area = 0
  for (let k = 1; k < points.length; k++) {
    area += (points[k].fpr - points[k - 1].fpr) * (points[k].tpr + points[k - 1].tpr) / 2
  }
  return area
}

/** Mean and sample standard deviation (n - 1); std is 0 for a single value, NaN for none. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length
  if (n === 0) return { mean: Number.NaN, std: Number.NaN }
  const mean = values.reduce((a, b) => a + b, 0) / n
  if (n === 1) return { mean, std: 0 }
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)
  return { mean, std: Math.sqrt(variance) }
}

/**
 * Entropy of a probability vector in nats; 0 for a certain prediction, log(C) for a uniform one.
 * Used to rank the aggregator's uncertainty for active learning.
 */
export function entropy(p: readonly number[]): number {
  let h = 0
  for (const v of p) if (v > 0) h -= v * Math.log(v)
  return h
}
