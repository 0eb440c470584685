/**
 * Classification metrics for posteriors: accuracy, balanced accuracy, AUC, sensitivity,
 * specificity, F1, confusion matrix, ROC points; mean +- std over seeds; and the distance of
 * learned posteriors to known (Bayes) posteriors.
 *
 * Conventions: classes are 0-based; probs are row-major [N, C]. For C = 2 the positive class is 1
 * (AD / converter); sensitivity, specificity, F1 and the ROC refer to it. For C > 2 they are
 * one-vs-rest macro averages over classes (and one ROC curve per class).
 */
export interface RocPoint {
  /** false positive rate */
  fpr: number
  /** true positive rate */
  tpr: number
  /** score threshold at which this point is reached (predict positive when score >= threshold) */
  threshold: number
}

export interface ClassificationMetrics {
  n: number
  accuracy: number
  balancedAccuracy: number
  /** NaN when a class is absent from the labels (AUC undefined). */
  auc: number
  sensitivity: number
  specificity: number
  f1: number
  /** confusion[trueClass][predictedClass] = count */
  confusion: number[][]
  /** Binary: one curve (class 1 vs 0). C > 2: one curve per class vs rest. */
  roc: RocPoint[][]
}

/** Index of the largest value in row i (first one on ties). */
export function argmaxRow(probs: ArrayLike<number>, i: number, C: number): number {
  let best = 0
  let bv = probs[i * C]!
  for (let c = 1; c < C; c++) {
    const v = probs[i * C + c]!
    if (v > bv) {
      bv = v
      best = c
    }
  }
  return best
}

/**
 * Area under the ROC curve by the Mann-Whitney statistic (ties count one half).
 * @param scores higher = more likely positive
 * @param positive whether each sample is a positive
 * @returns NaN when there are no positives or no negatives
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let nPos = 0
  let rankSumPos = 0
  // Average ranks (1-based) over tie groups.
  for (let start = 0; start < n;) {
    let end = start
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++
    const avgRank = (start + end + 2) / 2
    for (let k = start; k <= end; k++) {
      if (positive[order[k]!]) {
        nPos++
        rankSumPos += avgRank
      }
    }
    start = end + 1
  }
  const nNeg = n - nPos
  if (nPos === 0 || nNeg === 0) return NaN
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/** ROC points from the highest threshold down, starting at (0, 0) and ending at (1, 1). */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>): RocPoint[] {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  let nPos = 0
  for (let i = 0; i < n; i++) if (positive[i]) nPos++
  const nNeg = n - nPos
  const pts: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }]
  let tp = 0
  let fp = 0
  for (let k = 0; k < n;) {
    const s = scores[order[k]!]!
    while (k < n && scores[order[k]!] === s) {
      if (positive[order[k]!]) tp++
      else fp++
      k++
    }
    pts.push({ fpr: nNeg ? fp / nNeg : 0, tpr: nPos ? tp / nPos : 0, threshold: s })
  }
  return pts
}

/**
 * All metrics for posteriors against labels.
 * @param probs row-major [N, C] posteriors
 * @param labels 0-based true class per row
 */
export function classificationMetrics(probs: ArrayLike<number>, labels: readonly number[], C: number): ClassificationMetrics {
  const N = labels.length
  if (probs.length !== N * C) throw new Error(`classificationMetrics: probs has ${probs.length} values, expected N*C = ${N}*${C}`)
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0))
  let correct = 0
  for (let i = 0; i < N; i++) {
    const y = labels[i]!
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`classificationMetrics: label ${y} at row ${i} is not in 0..${C - 1}`)
    const p = argmaxRow(probs, i, C)
    confusion[y]![p]!++
    if (p === y) correct++
  }
  const perClass = Array.from({ length: C }, (_, c) => {
    const tp = confusion[c]![c]!
    let fn = 0
    let fp = 0
    for (let k = 0; k < C; k++) {
      if (k === c) continue
      fn += confusion[c]![k]!
      fp += confusion[k]![c]!
    }
    const tn = N - tp - fn - fp
    const sens = tp + fn ? tp / (tp + fn) : NaN
    const spec = tn + fp ? tn / (tn + fp) : NaN
    const prec = tp + fp ? tp / (tp + fp) : 0
    const f1 = prec + (Number.isNaN(sens) ? 0 : sens) > 0 ? (2 * prec * sens) / (prec + sens) : 0
    const scores = new Float64Array(N)
    const pos = new Array<boolean>(N)
    for (let i = 0; i < N; i++) {
      scores[i] = probs[i * C + c]!
      pos[i] = labels[i] === c
    }
    return { sens, spec, f1, scores, pos }
  })
  const present = perClass.filter((q) => !Number.isNaN(q.sens))
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
  const balancedAccuracy = mean(present.map((q) => q.sens))
  if (C === 2) {
    const pc = perClass[1]!
    return {
      n: N,
      accuracy: N ? correct / N : NaN,
      balancedAccuracy,
      auc: rocAuc(pc.scores, pc.pos),
      sensitivity: pc.sens,
      specificity: pc.spec,
      f1: pc.f1,
      confusion,
      roc: [rocCurve(pc.scores, pc.pos)]
    }
  }
  return {
    n: N,
    accuracy: N ? correct / N : NaN,
    balancedAccuracy,
    auc: mean(perClass.map((q) => rocAuc(q.scores, q.pos))),
    sensitivity: balancedAccuracy,
    specificity: mean(perClass.filter((q) => !Number.isNaN(q.spec)).map((q) => q.spec)),
    f1: mean(perClass.map((q) => q.f1)),
    confusion,
    roc: perClass.map((q) => rocCurve(q.scores, q.pos))
  }
}

export interface MeanStd {
  mean: number
  /** sample standard deviation (n - 1); 0 for a single value */
  std: number
  n: number
}

export function meanStd(values: readonly number[]): MeanStd {
  const xs = values.filter((v) => !Number.isNaN(v))
  const n = xs.length
  if (n === 0) return { mean: NaN, std: NaN, n: 0 }
  const mean = xs.reduce((a, b) => a + b, 0) / n
  const v = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0
  return { mean, std: Math.sqrt(v), n }
}

const scalarKeys = ['accuracy', 'balancedAccuracy', 'auc', 'sensitivity', 'specificity', 'f1'] as const
export type ScalarMetric = (typeof scalarKeys)[number]

/** Mean +- std of each scalar metric over runs (seeds). */
export function summariseOverSeeds(runs: readonly ClassificationMetrics[]): Record<ScalarMetric, MeanStd> {
  const out = {} as Record<ScalarMetric, MeanStd>
  for (const k of scalarKeys) out[k] = meanStd(runs.map((r) => r[k]))
  return out
}

/**
 * Calibration against known posteriors: the mean over rows and classes of |p - q|.
 * @param rows the 0-based rows to compare (default all)
 */
export function meanAbsPosteriorDifference(probs: ArrayLike<number>, known: ArrayLike<number>, C: number, rows?: readonly number[]): number {
  if (probs.length !== known.length) throw new Error(`meanAbsPosteriorDifference: ${probs.length} vs ${known.length} values`)
  const idx = rows ?? Array.from({ length: probs.length / C }, (_, i) => i)
  if (idx.length === 0) return NaN
  let s = 0
  for (const i of idx) for (let c = 0; c < C; c++) s += Math.abs(probs[i * C + c]! - known[i * C + c]!)
  return s / (idx.length * C)
}

/**
 * Expected calibration error of the predicted class's probability (confidence) against the true
 * labels: rows binned by confidence into `bins` equal-width bins over [0, 1]; the mean over rows
 * of |accuracy of the bin - mean confidence of the bin|, each bin weighted by its share of rows.
 * 0 for a perfectly calibrated classifier; NaN without rows.
 * @param labels 0-based true class per row
 */
export function expectedCalibrationError(probs: ArrayLike<number>, labels: readonly number[], C: number, bins = 10): number {
  const N = labels.length
  if (probs.length !== N * C) throw new Error(`expectedCalibrationError: probs has ${probs.length} values, expected N*C = ${N}*${C}`)
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`expectedCalibrationError: bins must be an integer >= 1, got ${bins}`)
  if (N === 0) return NaN
  const count = new Array<number>(bins).fill(0)
  const correct = new Array<number>(bins).fill(0)
  const confidence = new Array<number>(bins).fill(0)
  for (let i = 0; i < N; i++) {
    const k = argmaxRow(probs, i, C)
    const p = probs[i * C + k]!
    const b = Math.min(bins - 1, Math.floor(p * bins))
    count[b]!++
    confidence[b]! += p
    if (k === labels[i]) correct[b]!++
  }
  let ece = 0
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(correct[b]! - confidence[b]!) / N
  return ece
}
