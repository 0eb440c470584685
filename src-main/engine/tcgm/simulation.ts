/**
 * The paper's simulation (DEMO_COHORT.md section 2): M vector modalities, C classes,
 * x^m | y ~ N(mu_{m,y}, Sigma_m) independently across modalities given y, with exact Bayes
 * posteriors.
 *
 * Construction per modality m (seeded):
 * - whitened class means u_c = (S / sqrt 2) e_{pi_m(c)}: every pair of classes is at Mahalanobis
 *   distance S = `separation`, so S alone sets each modality's Bayes accuracy (needs D >= C);
 * - Sigma_m = A_m A_m^T with A_m = R_m diag(sqrt s_m): a random rotation R_m and variances s_m
 *   log-uniform in [1/4, 4] ('random' covariance), or A_m = I ('isotropic');
 * - x^m = A_m (u_y + z), z ~ N(0, I_D).
 * Then log p(x^m | c) = -1/2 |A_m^-1 x^m - u_c|^2 + const, and the Bayes posteriors are
 * P(y | x^m) = softmax_c(log p_c + log p(x^m | c)) and, jointly, the TCGM aggregator of those.
 */
import { aggregate } from './aggregator'
import { Rng } from '../../domain/random/sfc32'

export interface GaussianSimParams {
  modalities: number
  classes: number
  /** Feature dimension per modality (>= classes). */
  dim: number
  /** Mahalanobis distance between any two class means within a modality. */
  separation: number
  /** Number of subjects. */
  n: number
  seed: number
  /** Class prior (default uniform). */
  classPrior?: number[]
  covariance?: 'random' | 'isotropic'
}

export interface GaussianSim {
  params: GaussianSimParams
  /** Per modality row-major [n, dim]. */
  features: Float32Array[]
  /** True class per subject (0-based). */
  labels: number[]
  /** Exact Bayes posteriors, row-major [n, C]: per modality and given all modalities. */
  bayes: { modalities: Float64Array[]; joint: Float64Array }
}

/** Validates parameters; errors name the parameter and the value received. */
export function checkSimParams(p: GaussianSimParams): void {
  const int = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`gaussian simulation: ${name} must be an integer >= ${min}, got ${v}`)
  }
  int('modalities', p.modalities, 1)
  int('classes', p.classes, 2)
  int('dim', p.dim, p.classes)
  int('n', p.n, 1)
  if (!(p.separation >= 0 && Number.isFinite(p.separation)))
    throw new Error(`gaussian simulation: separation must be a finite number >= 0, got ${p.separation}`)
  if (p.classPrior) {
    const s = p.classPrior.reduce((a, b) => a + b, 0)
    if (p.classPrior.length !== p.classes || p.classPrior.some((v) => !(v > 0)) || Math.abs(s - 1) > 1e-9) {
      throw new Error(`gaussian simulation: classPrior must be ${p.classes} positive numbers summing to 1, got [${p.classPrior.join(', ')}]`)
    }
  }
}

/** A random rotation (QR of a Gaussian matrix by Gram-Schmidt), row-major [D, D]. */
function randomRotation(D: number, rng: Rng): Float64Array {
  const q = new Float64Array(D * D)
  for (let j = 0; j < D; j++) {
    const v = Array.from({ length: D }, () => rng.normal())
    for (let k = 0; k < j; k++) {
      let dot = 0
      for (let i = 0; i < D; i++) dot += v[i]! * q[i * D + k]!
      for (let i = 0; i < D; i++) v[i]! -= dot * q[i * D + k]!
    }
    const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0))
    for (let i = 0; i < D; i++) q[i * D + j] = v[i]! / norm
  }
  return q
}

export function generateGaussianSim(p: GaussianSimParams): GaussianSim {
  checkSimParams(p)
  const { modalities: M, classes: C, dim: D, n, separation: S } = p
  const rng = new Rng(p.seed)
  const prior = p.classPrior ?? new Array<number>(C).fill(1 / C)
  const logPrior = prior.map(Math.log)
  const labels = Array.from({ length: n }, () => {
    let u = rng.next()
    for (let c = 0; c < C; c++) if ((u -= prior[c]!) < 0) return c
    return C - 1
  })
  const features: Float32Array[] = []
  const bayesM: Float64Array[] = []
  for (let m = 0; m < M; m++) {
    const axes = rng.shuffle(Array.from({ length: D }, (_, d) => d)).slice(0, C)
    const u = (c: number, d: number): number => (d === axes[c] ? S / Math.SQRT2 : 0)
    let A: Float64Array
    if (p.covariance === 'isotropic') {
      A = new Float64Array(D * D)
      for (let d = 0; d < D; d++) A[d * D + d] = 1
    } else {
      const R = randomRotation(D, rng)
      const sd = Array.from({ length: D }, () => Math.exp(0.5 * Math.log(4) * (2 * rng.next() - 1))) // sqrt of log-uniform [1/4, 4]
      A = R.map((v, k) => v * sd[k % D]!)
    }
    const x = new Float32Array(n * D)
    const post = new Float64Array(n * C)
    const w = new Float64Array(D)
    for (let i = 0; i < n; i++) {
      // w = u_y + z is the whitened sample; x = A w. The likelihood only needs w.
      for (let d = 0; d < D; d++) w[d] = u(labels[i]!, d) + rng.normal()
      for (let r = 0; r < D; r++) {
        let s = 0
        for (let d = 0; d < D; d++) s += A[r * D + d]! * w[d]!
        x[i * D + r] = s
      }
      let mx = -Infinity
      for (let c = 0; c < C; c++) {
        let q = 0
        for (let d = 0; d < D; d++) q += (w[d]! - u(c, d)) ** 2
        post[i * C + c] = logPrior[c]! - 0.5 * q
        mx = Math.max(mx, post[i * C + c]!)
      }
      let se = 0
      for (let c = 0; c < C; c++) se += Math.exp(post[i * C + c]! - mx)
      for (let c = 0; c < C; c++) post[i * C + c] = Math.exp(post[i * C + c]! - mx) / se
    }
    features.push(x)
    bayesM.push(post)
  }
  const joint = new Float64Array(n * C)
  for (let i = 0; i < n; i++) {
    joint.set(
      aggregate(
        bayesM.map((b) => b.subarray(i * C, (i + 1) * C).map(Math.log)),
        logPrior
      ),
      i * C
    )
  }
  return { params: p, features, labels, bayes: { modalities: bayesM, joint } }
}

/**
 * Splits subjects into train / val / test (seeded) and picks the visible labels: a stratified
 * `labelRate` fraction of each class among the training subjects (at least one per class when
 * labelRate > 0), and every validation subject.
 */
export function simulationSplit(
  labels: readonly number[],
  C: number,
  o: { labelRate: number; testFraction: number; valFraction: number; seed: number }
): { split: ('train' | 'val' | 'test')[]; visible: (number | null)[] } {
  if (!(o.labelRate >= 0 && o.labelRate <= 1)) throw new Error(`simulationSplit: labelRate must be in 0..1, got ${o.labelRate}`)
  if (!(o.testFraction >= 0 && o.valFraction >= 0 && o.testFraction + o.valFraction < 1)) {
    throw new Error(`simulationSplit: testFraction ${o.testFraction} + valFraction ${o.valFraction} must be below 1`)
  }
  const rng = new Rng(o.seed ^ 0x5eed)
  const n = labels.length
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i))
  const nTest = Math.round(o.testFraction * n)
  const nVal = Math.round(o.valFraction * n)
  const split = new Array<'train' | 'val' | 'test'>(n).fill('train')
  order.slice(0, nTest).forEach((i) => (split[i] = 'test'))
  order.slice(nTest, nTest + nVal).forEach((i) => (split[i] = 'val'))
  const visible = labels.map((y, i) => (split[i] === 'val' ? y : null))
  if (o.labelRate > 0) {
    for (let c = 0; c < C; c++) {
      const rows = order.slice(nTest + nVal).filter((i) => labels[i] === c)
      const k = Math.min(rows.length, Math.max(1, Math.round(o.labelRate * rows.length)))
      rows.slice(0, k).forEach((i) => (visible[i] = c))
    }
  }
  return { split, visible }
}
