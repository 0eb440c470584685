import { describe, expect, it } from 'vitest'
import { generateGaussianSim, simulationSplit } from '../../../src-main/engine/tcgm/simulation'

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * z)
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z)
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf)
}

const accuracy = (post: Float64Array, labels: number[], C: number): number =>
  labels.filter((y, i) => {
    const row = Array.from(post.subarray(i * C, (i + 1) * C))
    return row.indexOf(Math.max(...row)) === y
  }).length / labels.length

describe('Gaussian simulation', () => {
  for (const covariance of ['random', 'isotropic'] as const) {
    it(`Bayes posteriors reach the closed-form accuracy Phi(S/2) for two classes (${covariance} covariance)`, () => {
      const S = 1.6
      const sim = generateGaussianSim({ modalities: 2, classes: 2, dim: 5, separation: S, n: 8000, seed: 12, covariance })
      // Per modality: Phi(S/2). Joint with 2 independent modalities: Phi(S sqrt(2) / 2).
      for (const b of sim.bayes.modalities) expect(Math.abs(accuracy(b, sim.labels, 2) - phi(S / 2))).toBeLessThan(0.016)
      expect(Math.abs(accuracy(sim.bayes.joint, sim.labels, 2) - phi((S * Math.SQRT2) / 2))).toBeLessThan(0.014)
    })
  }

  it('Bayes posteriors are calibrated: mean posterior of the true class matches its frequency', () => {
    const sim = generateGaussianSim({ modalities: 3, classes: 3, dim: 6, separation: 2, n: 8000, seed: 2 })
    for (const post of [sim.bayes.modalities[0]!, sim.bayes.joint]) {
      // Sum over subjects of P(y = c | x) estimates the count of class c.
      for (let c = 0; c < 3; c++) {
        let expected = 0
        for (let i = 0; i < sim.labels.length; i++) expected += post[i * 3 + c]!
        const actual = sim.labels.filter((y) => y === c).length
        expect(Math.abs(expected - actual) / sim.labels.length).toBeLessThan(0.015)
      }
    }
  })

  it('the split keeps validation and test apart and labels a stratified fraction of training subjects', () => {
    const labels = Array.from({ length: 900 }, (_, i) => i % 3)
    const { split, visible } = simulationSplit(labels, 3, { labelRate: 0.01, testFraction: 1 / 3, valFraction: 0, seed: 1 })
    expect(split.filter((s) => s === 'test')).toHaveLength(300)
    const shown = visible.flatMap((y, i) => (y === null ? [] : [i]))
    expect(shown.every((i) => split[i] === 'train' && visible[i] === labels[i])).toBe(true)
    for (let c = 0; c < 3; c++) expect(shown.filter((i) => labels[i] === c).length).toBe(2)
    expect(simulationSplit(labels, 3, { labelRate: 0, testFraction: 0.3, valFraction: 0, seed: 1 }).visible.every((v) => v === null)).toBe(true)
  })

  it('rejects impossible parameters by name', () => {
    expect(() => generateGaussianSim({ modalities: 2, classes: 4, dim: 3, separation: 1, n: 10, seed: 1 })).toThrow(/dim must be an integer >= 4, got 3/)
  })
})
