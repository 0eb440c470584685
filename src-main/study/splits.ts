/**
 * Subject-level splits and label subsets, stratified by class and seeded.
 *
 * Stratification: each class's subjects are shuffled and cut by the fractions (largest
 * remainder rounding per class); unlabelled subjects form one more stratum. A subject id appears
 * in exactly one split by construction (one assignment per id).
 */
import { Rng } from '../domain/random/sfc32'
import type { SplitName } from './schema'

export interface SplitFractions {
  train: number
  val: number
  test: number
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.6, val: 0.2, test: 0.2 }

/** Cuts n items into counts proportional to `fractions` (summing to n). */
function cutCounts(n: number, fractions: readonly number[]): number[] {
  const total = fractions.reduce((a, b) => a + b, 0)
  const exact = fractions.map((f) => (n * f) / total)
  const counts = exact.map(Math.floor)
  let left = n - counts.reduce((a, b) => a + b, 0)
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left <= 0) break
    counts[i]!++
    left--
  }
  return counts
}

function groupBy(ids: readonly string[], strata: ReadonlyMap<string, string>): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const id of [...ids].sort()) {
    const key = strata.get(id) ?? '\u0000unlabelled'
    const g = groups.get(key)
    if (g) g.push(id)
    else groups.set(key, [id])
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
}

/**
 * Assigns every id to train/val/test.
 * @param strata id -> stratum (e.g. the class) for the subjects whose label is known.
 */
export function makeSplits(
  ids: readonly string[],
  strata: ReadonlyMap<string, string>,
  seed: number,
  fractions: SplitFractions = DEFAULT_FRACTIONS
): Map<string, SplitName> {
  const fs = [fractions.train, fractions.val, fractions.test]
  if (fs.some((f) => !(f >= 0)) || !(fs.reduce((a, b) => a + b, 0) > 0)) {
    throw new Error(`makeSplits: fractions must be >= 0 with a positive sum, got ${JSON.stringify(fractions)}`)
  }
  const rng = new Rng(seed)
  const out = new Map<string, SplitName>()
  const names: SplitName[] = ['train', 'val', 'test']
  for (const members of groupBy(ids, strata).values()) {
    const order = rng.shuffle(members.slice())
    const counts = cutCounts(order.length, fs)
    let at = 0
    counts.forEach((c, k) => {
      for (const id of order.slice(at, at + c)) out.set(id, names[k]!)
      at += c
    })
  }
  return out
}

/**
 * Places subjects that have no split yet into an existing assignment without moving anyone:
 * within each stratum, each new subject (in a seeded order) goes to the split furthest below its
 * share of that stratum (existing members plus the new ones), ties in train, val, test order.
 * Returns the new subjects' splits only.
 */
export function placeIntoSplits(
  assignment: ReadonlyMap<string, SplitName>,
  newIds: readonly string[],
  strata: ReadonlyMap<string, string>,
  seed: number,
  fractions: SplitFractions
): Map<string, SplitName> {
  const names: SplitName[] = ['train', 'val', 'test']
  const fs = [fractions.train, fractions.val, fractions.test]
  const total = fs.reduce((a, b) => a + b, 0)
  const key = (id: string) => strata.get(id) ?? '\u0000unlabelled'
  const counts = new Map<string, number[]>()
  for (const [id, split] of assignment) {
    const c = counts.get(key(id)) ?? [0, 0, 0]
    c[names.indexOf(split)]!++
    counts.set(key(id), c)
  }
  const rng = new Rng(seed)
  const out = new Map<string, SplitName>()
  for (const [stratum, members] of groupBy(
    newIds.filter((id) => !assignment.has(id)),
    strata
  )) {
    const c = counts.get(stratum) ?? [0, 0, 0]
    const size = c.reduce((a, b) => a + b, 0) + members.length
    for (const id of rng.shuffle(members.slice())) {
      let best = 0
      let bestDeficit = -Infinity
      fs.forEach((f, k) => {
        const deficit = (size * f) / total - c[k]!
        if (f > 0 && deficit > bestDeficit + 1e-9) {
          best = k
          bestDeficit = deficit
        }
      })
      c[best]!++
      out.set(id, names[best]!)
    }
  }
  return out
}

/**
 * The strata of a study's split: class and visibility, so validation gets its share of the visible
 * labels (model selection) and the test split its share of the hidden ones (evaluation). A subject
 * in both maps counts as visible.
 */
export function splitStrata(visible: ReadonlyMap<string, string>, hidden: ReadonlyMap<string, string>): Map<string, string> {
  const strata = new Map<string, string>()
  for (const [id, l] of hidden) strata.set(id, `hidden:${l}`)
  for (const [id, l] of visible) strata.set(id, `visible:${l}`)
  return strata
}

/**
 * Chooses which known labels stay visible at `rate`: per class round(rate * n_class), at least
 * one per class when rate > 0 and the class has members (a model needs every class once).
 */
export function chooseVisible(known: ReadonlyMap<string, string>, rate: number, seed: number): Set<string> {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`label rate must be in [0, 1], got ${rate}`)
  const rng = new Rng(seed)
  const visible = new Set<string>()
  for (const [, members] of groupBy([...known.keys()], known)) {
    let k = Math.round(rate * members.length)
    if (rate > 0 && k === 0) k = 1
    for (const id of rng.shuffle(members.slice()).slice(0, k)) visible.add(id)
  }
  return visible
}
