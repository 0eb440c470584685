import { describe, expect, it } from 'vitest'
import { classificationMetrics, expectedCalibrationError, meanAbsPosteriorDifference, meanStd, rocAuc } from '../../../src-main/engine/train/metrics'
import { bestMatchingAccuracy, kMeansPlusPlus } from '../../../src-main/engine/tcgm/clustering'
import { Rng } from '../../../src-main/domain/random/sfc32'

/** AUC by counting pairs: P(score_pos > score_neg) + 0.5 P(equal). */
function pairAuc(scores: number[], pos: boolean[]): number {
  let s = 0
  let n = 0
  for (let i = 0; i < scores.length; i++) {
    if (!pos[i]) continue
    for (let j = 0; j < scores.length; j++) {
      if (pos[j]) continue
      n++
      s += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0
    }
  }
  return s / n
}

describe('metrics', () => {
  it('AUC equals the pair-counting definition, ties included', () => {
    const rng = new Rng(5)
    const scores = Array.from({ length: 60 }, () => Math.round(rng.next() * 10) / 10)
    const pos = scores.map((s) => rng.next() < 0.3 + 0.4 * s)
    expect(rocAuc(scores, pos)).toBeCloseTo(pairAuc(scores, pos), 12)
    expect(Number.isNaN(rocAuc([0.1, 0.2], [true, true]))).toBe(true)
  })

  it('binary: confusion, sensitivity, specificity, F1, balanced accuracy by hand', () => {
    // true: 1 1 1 0 0 ; predicted (p1 > 0.5): 1 1 0 1 0
    const p1 = [0.9, 0.8, 0.4, 0.6, 0.1]
    const probs = p1.flatMap((p) => [1 - p, p])
    const m = classificationMetrics(probs, [1, 1, 1, 0, 0], 2)
    expect(m.confusion).toEqual([
      [1, 1],
      [1, 2]
    ])
    expect(m.accuracy).toBeCloseTo(3 / 5, 14)
    expect(m.sensitivity).toBeCloseTo(2 / 3, 14)
    expect(m.specificity).toBeCloseTo(1 / 2, 14)
    expect(m.balancedAccuracy).toBeCloseTo((2 / 3 + 1 / 2) / 2, 14)
    const prec = 2 / 3
    expect(m.f1).toBeCloseTo((2 * prec * (2 / 3)) / (prec + 2 / 3), 14)
    expect(m.auc).toBeCloseTo(pairAuc(p1, [true, true, true, false, false]), 14)
    const roc = m.roc[0]!
    expect(roc[0]).toMatchObject({ fpr: 0, tpr: 0 })
    expect(roc[roc.length - 1]).toMatchObject({ fpr: 1, tpr: 1 })
  })

  it('multi-class: macro one-vs-rest AUC and mean recall', () => {
    const probs = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.3, 0.5, 0.6, 0.3, 0.1]
    const y = [0, 1, 2, 2]
    const m = classificationMetrics(probs, y, 3)
    expect(m.accuracy).toBeCloseTo(0.75, 14)
    expect(m.balancedAccuracy).toBeCloseTo((1 + 1 + 0.5) / 3, 14)
    const aucs = [0, 1, 2].map((c) =>
      pairAuc(
        [0, 1, 2, 3].map((i) => probs[i * 3 + c]!),
        y.map((v) => v === c)
      )
    )
    expect(m.auc).toBeCloseTo((aucs[0]! + aucs[1]! + aucs[2]!) / 3, 14)
    expect(m.roc).toHaveLength(3)
  })

  it('mean +- std (sample) and posterior distance', () => {
    const s = meanStd([1, 2, 3, 4])
    expect(s.mean).toBe(2.5)
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 14)
    expect(meanAbsPosteriorDifference([0.5, 0.5, 1, 0], [0.25, 0.75, 1, 0], 2)).toBeCloseTo(0.125, 14)
  })

  it('best matching accuracy undoes a permutation of cluster ids', () => {
    const y = [0, 0, 1, 1, 2, 2, 2]
    const clusters = y.map((c) => (c + 1) % 3)
    clusters[6] = 1
    const r = bestMatchingAccuracy(clusters, y, 3)
    expect(r.accuracy).toBeCloseTo(6 / 7, 14)
    expect(r.mapping).toEqual([2, 0, 1])
  })

  it('k-means++ separates well-separated blobs', () => {
    const rng = new Rng(9)
    const centres = [
      [0, 0],
      [10, 0],
      [0, 10]
    ]
    const y: number[] = []
    const x: number[] = []
    for (let i = 0; i < 150; i++) {
      const c = i % 3
      y.push(c)
      x.push(centres[c]![0]! + rng.normal(), centres[c]![1]! + rng.normal())
    }
    const km = kMeansPlusPlus(Float64Array.from(x), 2, 3, new Rng(1), { restarts: 3 })
    expect(bestMatchingAccuracy(km.assignments, y, 3).accuracy).toBe(1)
  })
})

describe('expectedCalibrationError', () => {
  it('weights each confidence bin by its rows (worked example)', () => {
    // Confidences 0.9 (right), 0.85 (wrong), 0.7 and 0.75 (both right): bins 9, 8 and 7.
    const probs = [0.9, 0.1, 0.85, 0.15, 0.3, 0.7, 0.25, 0.75]
    const labels = [0, 1, 1, 1]
    expect(expectedCalibrationError(probs, labels, 2)).toBeCloseTo((0.1 + 0.85 + Math.abs(2 - 1.45)) / 4, 12)
  })

  it('is near 0 for labels drawn from the stated probabilities and large for overconfident ones', () => {
    const rng = new Rng(7)
    const n = 20000
    const honest: number[] = []
    const overconfident: number[] = []
    const labels: number[] = []
    for (let i = 0; i < n; i++) {
      const p = 0.5 + 0.5 * rng.next() // P(class 0) in [0.5, 1)
      labels.push(rng.next() < p ? 0 : 1)
      honest.push(p, 1 - p)
      const sharp = Math.min(0.999, p + 0.3)
      overconfident.push(sharp, 1 - sharp)
    }
    expect(expectedCalibrationError(honest, labels, 2)).toBeLessThan(0.02)
    expect(expectedCalibrationError(overconfident, labels, 2)).toBeGreaterThan(0.15)
  })

  it('rejects mismatched sizes and bad bin counts, and is NaN without rows', () => {
    expect(() => expectedCalibrationError([0.5, 0.5], [0, 1], 2)).toThrow(/expected N\*C/)
    expect(() => expectedCalibrationError([0.5, 0.5], [0], 2, 0)).toThrow(/bins/)
    expect(expectedCalibrationError([], [], 2)).toBeNaN()
  })
})
