/**
 * Clustering baselines and their scoring for the paper's simulation: k-means++ (Arthur and
 * Vassilvitskii 2007) with restarts, and accuracy under the best one-to-one matching of clusters
 * to classes. Layout: points are row-major [n, D]; cluster and class ids are 0-based.
 */
import type { Rng } from '../../domain/random/sfc32'

export interface KMeansResult {
  /** [k, D] row-major */
  centroids: Float64Array
  assignments: Int32Array
  /** Sum of squared distances to the assigned centroid. */
  inertia: number
}

function nearest(x: ArrayLike<number>, i: number, D: number, cent: Float64Array, k: number): { j: number; d2: number } {
  let bj = 0
  let bd = Infinity
  for (let j = 0; j < k; j++) {
    let s = 0
    for (let d = 0; d < D; d++) {
      const t = x[i * D + d]! - cent[j * D + d]!
      s += t * t
    }
    if (s < bd) {
      bd = s
      bj = j
    }
  }
  return { j: bj, d2: bd }
}

/** Assigns each row to its nearest centroid. */
export function assignNearest(x: ArrayLike<number>, D: number, centroids: Float64Array): Int32Array {
  const n = x.length / D
  const k = centroids.length / D
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) out[i] = nearest(x, i, D, centroids, k).j
  return out
}

/** Lloyd's algorithm from k-means++ seeding; the best of `restarts` runs by inertia. */
export function kMeansPlusPlus(x: ArrayLike<number>, D: number, k: number, rng: Rng, opts: { restarts?: number; maxIter?: number } = {}): KMeansResult {
  const n = x.length / D
  if (!Number.isInteger(n) || n < k) throw new Error(`kMeansPlusPlus: need at least k = ${k} points of dimension ${D}, got ${x.length} values`)
  const restarts = opts.restarts ?? 10
  const maxIter = opts.maxIter ?? 300
  let best: KMeansResult | null = null
  for (let r = 0; r < restarts; r++) {
    const cent = new Float64Array(k * D)
    const first = rng.int(n)
    for (let d = 0; d < D; d++) cent[d] = x[first * D + d]!
    const d2 = new Float64Array(n).fill(Infinity)
    for (let j = 1; j < k; j++) {
      let total = 0
      for (let i = 0; i < n; i++) {
        let s = 0
        for (let d = 0; d < D; d++) {
          const t = x[i * D + d]! - cent[(j - 1) * D + d]!
          s += t * t
        }
        if (s < d2[i]!) d2[i] = s
        total += d2[i]!
      }
      // Next centre drawn with probability proportional to the squared distance.
      let u = rng.next() * total
      let pick = n - 1
      for (let i = 0; i < n; i++)
        if ((u -= d2[i]!) < 0) {
          pick = i
          break
        }
      for (let d = 0; d < D; d++) cent[j * D + d] = x[pick * D + d]!
    }
    const assign = new Int32Array(n).fill(-1)
    let inertia = 0
    for (let it = 0; it < maxIter; it++) {
      let changed = false
      inertia = 0
      for (let i = 0; i < n; i++) {
        const { j, d2: dist } = nearest(x, i, D, cent, k)
        inertia += dist
        if (assign[i] !== j) {
          assign[i] = j
          changed = true
        }
      }
      if (!changed) break
      const sums = new Float64Array(k * D)
      const counts = new Float64Array(k)
      for (let i = 0; i < n; i++) {
        const j = assign[i]!
        counts[j]++
        for (let d = 0; d < D; d++) sums[j * D + d] += x[i * D + d]!
      }
      for (let j = 0; j < k; j++) {
        if (!counts[j]) continue // an empty cluster keeps its centre
        for (let d = 0; d < D; d++) cent[j * D + d] = sums[j * D + d]! / counts[j]!
      }
    }
    if (!best || inertia < best.inertia) best = { centroids: cent, assignments: assign, inertia }
  }
  return best!
}

/** All permutations of 0..k-1 (k <= 9). */
function permutations(k: number): number[][] {
  if (k > 9) throw new Error(`bestMatchingAccuracy: brute-force matching supports up to 9 classes, got ${k}`)
  const out: number[][] = []
  const perm = Array.from({ length: k }, (_, i) => i)
  const go = (s: number): void => {
    if (s === k) return void out.push(perm.slice())
    for (let i = s; i < k; i++) {
      ;[perm[s], perm[i]] = [perm[i]!, perm[s]!]
      go(s + 1)
      ;[perm[s], perm[i]] = [perm[i]!, perm[s]!]
    }
  }
  go(0)
  return out
}

/**
 * Accuracy under the best one-to-one mapping of cluster ids to classes (exhaustive over the k!
 * mappings; k = max(clusters, classes)).
 * @returns accuracy in 0..1 and the mapping cluster -> class
 */
export function bestMatchingAccuracy(clusters: ArrayLike<number>, labels: ArrayLike<number>, k: number): { accuracy: number; mapping: number[] } {
  const n = labels.length
  if (clusters.length !== n) throw new Error(`bestMatchingAccuracy: ${clusters.length} cluster ids for ${n} labels`)
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (let i = 0; i < n; i++) counts[clusters[i]!]![labels[i]!]!++
  let best = -1
  let mapping: number[] = []
  for (const p of permutations(k)) {
    let s = 0
    for (let j = 0; j < k; j++) s += counts[j]![p[j]!]!
    if (s > best) {
      best = s
      mapping = p
    }
  }
  return { accuracy: n ? best / n : NaN, mapping }
}
