import { describe, expect, it } from 'vitest'
import { tcGainAndGrad, tcGainBruteForce, tcGain } from '../../../src-main/engine/tcgm/tc-gain'
import { setPartitions } from '../../../src-main/engine/tcgm/set-partitions'
import { Rng } from '../../../src-main/domain/random/sfc32'

/** Random log-softmax rows [B, C] with logits of scale `scale`. */
function randomLogSoftmax(rng: Rng, B: number, C: number, scale = 2): Float64Array {
  const out = new Float64Array(B * C)
  for (let i = 0; i < B; i++) {
    let mx = -Infinity
    for (let c = 0; c < C; c++) {
      out[i * C + c] = scale * rng.normal()
      mx = Math.max(mx, out[i * C + c]!)
    }
    let s = 0
    for (let c = 0; c < C; c++) s += Math.exp(out[i * C + c]! - mx)
    const lse = mx + Math.log(s)
    for (let c = 0; c < C; c++) out[i * C + c]! -= lse
  }
  return out
}

function randomLogPrior(rng: Rng, C: number): Float64Array {
  const p = Array.from({ length: C }, () => 0.3 + rng.next())
  const s = p.reduce((a, b) => a + b, 0)
  return Float64Array.from(p, (v) => Math.log(v / s))
}

describe('set partitions', () => {
  it('counts Bell numbers and Moebius coefficients sum to 0 for M >= 2', () => {
    const bell = [1, 2, 5, 15, 52, 203]
    for (let M = 1; M <= 6; M++) {
      const parts = setPartitions(M)
      expect(parts.length).toBe(bell[M - 1])
      // sum over partitions of mu = 0 for M >= 2 (the distinct-tuple count for B = 1 is 0).
      const s = parts.reduce((a, p) => a + p.mu, 0)
      expect(s).toBe(M === 1 ? 1 : 0)
    }
  })
})

describe('TC gain', () => {
  for (const M of [2, 3, 4]) {
    it(`equals brute-force enumeration of distinct tuples for M = ${M}`, () => {
      const rng = new Rng(100 + M)
      for (const [B, C] of [
        [M, 2],
        [7, 3],
        [9, 4]
      ] as const) {
        const logHs = Array.from({ length: M }, () => randomLogSoftmax(rng, B, C))
        const lp = randomLogPrior(rng, C)
        const exact = tcGain(logHs, B, C, lp)
        const brute = tcGainBruteForce(logHs, B, C, lp)
        expect(Math.abs(exact - brute)).toBeLessThan(1e-12 * Math.max(1, Math.abs(brute)))
      }
    })
  }

  it('matches central finite differences of the gain for M = 3', () => {
    const rng = new Rng(7)
    const M = 3,
      B = 6,
      C = 3
    const logHs = Array.from({ length: M }, () => randomLogSoftmax(rng, B, C))
    const lp = randomLogPrior(rng, C)
    const { grads } = tcGainAndGrad(logHs, B, C, lp)
    const h = 1e-6
    let worst = 0
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < B * C; k++) {
        const plus = logHs.map((x) => x.slice())
        const minus = logHs.map((x) => x.slice())
        plus[m]![k]! += h
        minus[m]![k]! -= h
        const fd = (tcGain(plus, B, C, lp) - tcGain(minus, B, C, lp)) / (2 * h)
        worst = Math.max(worst, Math.abs(fd - grads[m]![k]!))
      }
    }
    // grads are float32: compare at float32 precision of values of order 0.1.
    expect(worst).toBeLessThan(2e-6)
  })

  it('matches finite differences for M = 2 and M = 4 (spot checks)', () => {
    for (const M of [2, 4]) {
      const rng = new Rng(11 * M)
      const B = 5,
        C = 2
      const logHs = Array.from({ length: M }, () => randomLogSoftmax(rng, B, C))
      const lp = randomLogPrior(rng, C)
      const { grads } = tcGainAndGrad(logHs, B, C, lp)
      const h = 1e-6
      for (let m = 0; m < M; m++) {
        for (const k of [0, 3, B * C - 1]) {
          const plus = logHs.map((x) => x.slice())
          const minus = logHs.map((x) => x.slice())
          plus[m]![k]! += h
          minus[m]![k]! -= h
          const fd = (tcGain(plus, B, C, lp) - tcGain(minus, B, C, lp)) / (2 * h)
          expect(grads[m]![k]!).toBeCloseTo(fd, 5)
        }
      }
    }
  })

  it('is 0 for uniform classifiers and a uniform prior', () => {
    for (const [M, B, C] of [
      [2, 8, 2],
      [3, 5, 3],
      [4, 10, 5]
    ] as const) {
      const logHs = Array.from({ length: M }, () => new Float64Array(B * C).fill(-Math.log(C)))
      const lp = new Float64Array(C).fill(-Math.log(C))
      expect(Math.abs(tcGain(logHs, B, C, lp))).toBeLessThan(1e-12)
    }
  })

  it('rewards the Bayes posteriors of a known model over perturbed ones', () => {
    // Known discrete model: y ~ p, x_m | y ~ Categorical(A_m[y]); posteriors computable exactly.
    const rng = new Rng(3)
    const M = 3,
      C = 3,
      K = 4,
      B = 400
    const p = [0.5, 0.3, 0.2]
    const A = Array.from({ length: M }, () =>
      Array.from({ length: C }, (_, y) => {
        const row = Array.from({ length: K }, (_, k) => (k === y ? 3 : 0.5) + rng.next())
        const s = row.reduce((a, b) => a + b, 0)
        return row.map((v) => v / s)
      })
    )
    const draw = (probs: number[]): number => {
      let u = rng.next()
      for (let k = 0; k < probs.length; k++) if ((u -= probs[k]!) < 0) return k
      return probs.length - 1
    }
    const lp = Float64Array.from(p, Math.log)
    const bayes = Array.from({ length: M }, () => new Float64Array(B * C))
    for (let i = 0; i < B; i++) {
      const y = draw(p)
      for (let m = 0; m < M; m++) {
        const x = draw(A[m]![y]!)
        const post = p.map((pc, c) => pc * A[m]![c]![x]!)
        const s = post.reduce((a, b) => a + b, 0)
        for (let c = 0; c < C; c++) bayes[m]![i * C + c] = Math.log(post[c]! / s)
      }
    }
    const g0 = tcGain(bayes, B, C, lp)
    expect(g0).toBeGreaterThan(0)
    for (const eps of [0.3, 1]) {
      const perturbed = bayes.map((lh) => {
        const out = new Float64Array(lh.length)
        for (let i = 0; i < B; i++) {
          const row = Array.from({ length: C }, (_, c) => lh[i * C + c]! + eps * rng.normal())
          const mx = Math.max(...row)
          const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0))
          row.forEach((v, c) => (out[i * C + c] = v - lse))
        }
        return out
      })
      expect(g0).toBeGreaterThan(tcGain(perturbed, B, C, lp))
    }
  })

  it('rejects a batch smaller than M and mismatched shapes with clear errors', () => {
    const lp = [Math.log(0.5), Math.log(0.5)]
    const two = new Float64Array(4)
    expect(() => tcGain([two, two, two], 2, 2, lp)).toThrow(/batch size 2 is smaller than the number of modalities 3/)
    expect(() => tcGain([two, new Float64Array(3)], 2, 2, lp)).toThrow(/logHs\[1\] has 3 values/)
  })
})
