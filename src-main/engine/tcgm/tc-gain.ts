/**
 * The Total Correlation gain of TCGM (TCGM.md), exact for any number of modalities M >= 2, and its
 * gradient with respect to each modality's log-posteriors. Plain Float64 arithmetic: the inputs are
 * B x C matrices, far too small for tensor kernels to pay, and the loop exchanges Float32Arrays.
 *
 *   TCg = 1 + (1/B) sum_i logsumexp_c( sum_m logH_m[i,c] - (M-1) log p_c )
 *           - [ sum_c p_c^-(M-1) * sum_{i_1..i_M distinct} prod_m H_m[i_m,c] ] / (B! / (B-M)!)
 *
 * The distinct-tuple sum is evaluated by Moebius inversion over set partitions of the modalities:
 * cost O(2^M B C) for the block sums plus O(Bell(M) M C).
 *
 * Layout: every matrix is row-major [B, C] (row = sample of the batch, 0-based; column = class).
 */
import { setPartitions } from './set-partitions'

export interface TcGainResult {
  /** The TC gain (higher is better; L_TC = -gain). */
  gain: number
  /** d(gain)/d(logH_m), one [B, C] array per modality. The loss gradient is the negation. */
  grads: Float32Array[]
}

/** Checks shapes and returns log p as a Float64Array. */
export function checkTcInputs(fn: string, logHs: readonly ArrayLike<number>[], B: number, C: number, logPrior: ArrayLike<number>): Float64Array {
  const M = logHs.length
  if (M < 2) throw new Error(`${fn}: needs at least 2 modalities, got ${M}`)
  if (!Number.isInteger(C) || C < 1) throw new Error(`${fn}: C must be a positive integer, got ${C}`)
  if (!Number.isInteger(B) || B < M) {
    throw new Error(`${fn}: batch size ${B} is smaller than the number of modalities ${M}; the marginal term needs B >= M distinct samples`)
  }
  logHs.forEach((h, m) => {
    if (h.length !== B * C) throw new Error(`${fn}: logHs[${m}] has ${h.length} values, expected B*C = ${B}*${C} = ${B * C}`)
  })
  if (logPrior.length !== C) throw new Error(`${fn}: logPrior has ${logPrior.length} values, expected C = ${C}`)
  const lp = Float64Array.from(logPrior as ArrayLike<number>)
  for (let c = 0; c < C; c++) {
    if (!Number.isFinite(lp[c]!)) throw new Error(`${fn}: logPrior[${c}] is ${lp[c]}, expected a finite log-probability`)
  }
  return lp
}

/** B! / (B-M)!: the number of ordered tuples of M distinct indices out of B. */
export function distinctTupleCount(B: number, M: number): number {
  let n = 1
  for (let k = 0; k < M; k++) n *= B - k
  return n
}

/**
 * The TC gain and its gradient w.r.t. each modality's log-posteriors.
 * @param logHs one [B, C] row-major array of log-softmax outputs per modality
 * @param logPrior natural log of the class prior p_c, length C
 * @throws when B < M, shapes disagree, or the prior is not finite
 */
export function tcGainAndGrad(logHs: readonly ArrayLike<number>[], B: number, C: number, logPrior: ArrayLike<number>): TcGainResult {
  const lp = checkTcInputs('tcGainAndGrad', logHs, B, C, logPrior)
  const M = logHs.length
  const grads = logHs.map(() => new Float64Array(B * C))

  // Joint term: l_i = logsumexp_c(z_ic), z_ic = sum_m logH_m[i,c] - (M-1) log p_c.
  // d l_i / d logH_m[i,c] = softmax_c(z_i)[c] for every m.
  let joint = 0
  const z = new Float64Array(C)
  for (let i = 0; i < B; i++) {
    let zmax = -Infinity
    for (let c = 0; c < C; c++) {
      let s = -(M - 1) * lp[c]!
      for (let m = 0; m < M; m++) s += logHs[m]![i * C + c]!
      z[c] = s
      if (s > zmax) zmax = s
    }
    let se = 0
    for (let c = 0; c < C; c++) se += Math.exp(z[c]! - zmax)
    joint += zmax + Math.log(se)
    for (let c = 0; c < C; c++) {
      const g = Math.exp(z[c]! - zmax) / se / B
      for (let m = 0; m < M; m++) grads[m]![i * C + c] = g
    }
  }
  joint /= B

  // Marginal term. prod_b[i,c] = prod_{m in b} H_m[i,c] for every non-empty subset b, built from
  // the subset without its lowest modality; t_b[c] = sum_i prod_b[i,c].
  const nSub = 1 << M
  const prod: Float64Array[] = new Array(nSub)
  const t: Float64Array[] = new Array(nSub)
  for (let b = 1; b < nSub; b++) {
    const low = 31 - Math.clz32(b & -b)
    const rest = b & (b - 1)
    const h = logHs[low]!
    const p = new Float64Array(B * C)
    const tb = new Float64Array(C)
    if (rest === 0) {
      for (let k = 0; k < B * C; k++) p[k] = Math.exp(h[k]!)
    } else {
      const pr = prod[rest]!
      for (let k = 0; k < B * C; k++) p[k] = pr[k]! * Math.exp(h[k]!)
    }
    for (let i = 0; i < B; i++) for (let c = 0; c < C; c++) tb[c] += p[i * C + c]!
    prod[b] = p
    t[b] = tb
  }

  // S_c = sum_pi mu(pi) prod_{b in pi} t_b[c]; G_b[c] = dS_c/dt_b[c].
  const S = new Float64Array(C)
  const G: Float64Array[] = new Array(nSub)
  for (let b = 1; b < nSub; b++) G[b] = new Float64Array(C)
  for (const { blocks, mu } of setPartitions(M)) {
    for (let c = 0; c < C; c++) {
      let all = mu
      for (const b of blocks) all *= t[b]![c]!
      S[c] += all
      for (const b of blocks) {
        let others = mu
        for (const b2 of blocks) if (b2 !== b) others *= t[b2]![c]!
        G[b]![c] += others
      }
    }
  }

  const nTuples = distinctTupleCount(B, M)
  const w = new Float64Array(C) // p_c^-(M-1) / (B!/(B-M)!)
  let marginal = 0
  for (let c = 0; c < C; c++) {
    w[c] = Math.exp(-(M - 1) * lp[c]!) / nTuples
    marginal += w[c]! * S[c]!
  }

  // d marginal / d logH_m[i,c] = w_c * sum_{b containing m} G_b[c] * prod_b[i,c]
  // (since d prod_b / d logH_m = prod_b for m in b).
  for (let b = 1; b < nSub; b++) {
    const pb = prod[b]!
    const gb = G[b]!
    for (let m = 0; m < M; m++) {
      if (!(b & (1 << m))) continue
      const gm = grads[m]!
      for (let i = 0; i < B; i++) {
        for (let c = 0; c < C; c++) gm[i * C + c] -= w[c]! * gb[c]! * pb[i * C + c]!
      }
    }
  }

  return { gain: 1 + joint - marginal, grads: grads.map((g) => Float32Array.from(g)) }
}

/** The TC gain alone (same cost as with the gradient, less the last loop). */
export function tcGain(logHs: readonly ArrayLike<number>[], B: number, C: number, logPrior: ArrayLike<number>): number {
  return tcGainAndGrad(logHs, B, C, logPrior).gain
}

/**
 * Reference implementation by enumerating every tuple of M distinct indices: O(B^M C).
 * For tests and the benchmark only; it is the definition the exact formula must reproduce.
 */
export function tcGainBruteForce(logHs: readonly ArrayLike<number>[], B: number, C: number, logPrior: ArrayLike<number>): number {
  const lp = checkTcInputs('tcGainBruteForce', logHs, B, C, logPrior)
  const M = logHs.length
  let joint = 0
  for (let i = 0; i < B; i++) {
    let zmax = -Infinity
    const z: number[] = []
    for (let c = 0; c < C; c++) {
      let s = -(M - 1) * lp[c]!
      for (let m = 0; m < M; m++) s += logHs[m]![i * C + c]!
      z.push(s)
      zmax = Math.max(zmax, s)
    }
    joint += zmax + Math.log(z.reduce((a, v) => a + Math.exp(v - zmax), 0))
  }
  joint /= B

  const H = logHs.map((h) => Float64Array.from(h as ArrayLike<number>, Math.exp))
  const q = Float64Array.from(lp, (v) => Math.exp(-(M - 1) * v))
  // Depth-first over tuples with running per-class products; `used` keeps indices distinct.
  const used = new Uint8Array(B)
  const partial: Float64Array[] = Array.from({ length: M + 1 }, () => new Float64Array(C))
  partial[0]!.set(q)
  let sum = 0
  const visit = (m: number): void => {
    if (m === M) {
      const p = partial[M]!
      for (let c = 0; c < C; c++) sum += p[c]!
      return
    }
    const prev = partial[m]!
    const next = partial[m + 1]!
    const h = H[m]!
    for (let i = 0; i < B; i++) {
      if (used[i]) continue
      used[i] = 1
      for (let c = 0; c < C; c++) next[c] = prev[c]! * h[i * C + c]!
      visit(m + 1)
      used[i] = 0
    }
  }
  visit(0)
  return 1 + joint - sum / distinctTupleCount(B, M)
}
