/**
 * ROC curves and their area, computed in the renderer from a run's per-subject predictions
 * (per modality and for the aggregator). Pure functions, no Vue, no API.
 *
 * Class indices are 0-based and follow the study's class names (index 1 = the positive class,
 * for instance AD in AD vs NC).
 */

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
    area += ((points[k].fpr - points[k - 1].fpr) * (points[k].tpr + points[k - 1].tpr)) / 2
  }
  return area
}
