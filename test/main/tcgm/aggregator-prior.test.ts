import { describe, expect, it } from 'vitest'
import { aggregate, aggregateRows } from '../../../src-main/engine/tcgm/aggregator'
import { estimatePrior, uniformPrior } from '../../../src-main/engine/tcgm/prior'

const logSoftmax = (v: number[]): Float64Array => {
  const mx = Math.max(...v)
  const lse = mx + Math.log(v.reduce((a, x) => a + Math.exp(x - mx), 0))
  return Float64Array.from(v, (x) => x - lse)
}

describe('aggregator', () => {
  const lp = Float64Array.from([0.6, 0.3, 0.1], Math.log)
  const h = [logSoftmax([1, 0, -1]), logSoftmax([0.2, 2, 0]), logSoftmax([-1, 0.5, 1.5])]

  it('is softmax(sum logH - (M-1) log p) with all modalities', () => {
    const z = [0, 1, 2].map((c) => h[0]![c]! + h[1]![c]! + h[2]![c]! - 2 * lp[c]!)
    const expected = logSoftmax(z).map(Math.exp)
    const got = aggregate(h, lp)
    for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(expected[c]!, 14)
  })

  it('with a missing modality equals the formula with the smaller M', () => {
    const z = [0, 1, 2].map((c) => h[0]![c]! + h[2]![c]! - 1 * lp[c]!)
    const expected = logSoftmax(z).map(Math.exp)
    const got = aggregate([h[0]!, null, h[2]!], lp)
    for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(expected[c]!, 14)
    // One modality alone: its own posterior. None: the prior.
    const one = aggregate([null, h[1]!, null], lp)
    for (let c = 0; c < 3; c++) expect(one[c]).toBeCloseTo(Math.exp(h[1]![c]!), 14)
    const none = aggregate([null, null, null], lp)
    for (let c = 0; c < 3; c++) expect(none[c]).toBeCloseTo(Math.exp(lp[c]!), 14)
  })

  it('aggregateRows agrees with aggregate row by row', () => {
    const N = 2
    const rows = [0, 1, 2].map((m) => {
      const a = new Float32Array(N * 3)
      a.set(h[m]!, 0)
      a.set(h[(m + 1) % 3]!, 3)
      return a
    })
    const out = aggregateRows(rows, N, lp, (i, m) => !(i === 1 && m === 0))
    const r1 = aggregate([null, rows[1]!.subarray(3, 6), rows[2]!.subarray(3, 6)], lp)
    for (let c = 0; c < 3; c++) expect(out[3 + c]).toBeCloseTo(r1[c]!, 12)
  })
})

describe('prior', () => {
  it('smooths label frequencies and sums to 1', () => {
    const { p } = estimatePrior([0, 0, 0, 1, null, null], 2, { pseudoCount: 1, minProbability: 0 })
    expect(p[0]).toBeCloseTo(4 / 6, 14)
    expect(p[1]).toBeCloseTo(2 / 6, 14)
  })

  it('clamps rare classes to the floor and renormalises the others', () => {
    const labels = Array.from({ length: 98 }, () => 0 as number | null).concat([1, 1])
    const { p } = estimatePrior(labels, 3, { pseudoCount: 0, minProbability: 0.05 })
    expect(p[2]).toBeCloseTo(0.05, 14)
    expect(p[1]).toBeCloseTo(0.05, 14)
    expect(p[0]).toBeCloseTo(0.9, 14)
  })

  it('is uniform without labels and rejects bad labels', () => {
    expect(Array.from(estimatePrior([null, null], 4, { pseudoCount: 0 }).p)).toEqual(Array.from(uniformPrior(4).p))
    expect(() => estimatePrior([0, 5], 3)).toThrow(/label 5 is not a class index in 0..2/)
  })
})
