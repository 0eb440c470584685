/**
 * Set partitions of the modality indices {0..M-1} with their Moebius coefficients, the building
 * block of the exact marginal term of the TC gain (TCGM.md, "Marginal term, exact and linear in B").
 *
 * A block is a bitmask over modalities (bit m set = modality m in the block).
 * mu(pi) = prod over blocks b of (-1)^(|b|-1) * (|b|-1)!.
 */
export interface SetPartition {
  /** Bitmasks of the blocks; they are disjoint and their union is all M modalities. */
  blocks: number[]
  mu: number
}

const cache = new Map<number, SetPartition[]>()

function popcount(x: number): number {
  let n = 0
  for (let v = x; v; v &= v - 1) n++
  return n
}

function factorial(n: number): number {
  let f = 1
  for (let i = 2; i <= n; i++) f *= i
  return f
}

/** All Bell(M) partitions of {0..M-1}. M is limited to 12 (Bell(12) = 4,213,597). */
export function setPartitions(M: number): SetPartition[] {
  if (!Number.isInteger(M) || M < 1 || M > 12) {
    throw new Error(`setPartitions: M must be an integer in 1..12, got ${M}`)
  }
  const hit = cache.get(M)
  if (hit) return hit
  const out: SetPartition[] = []
  // Place modalities one by one: into an existing block or a new one (restricted growth strings).
  const blocks: number[] = []
  const place = (m: number): void => {
    if (m === M) {
      let mu = 1
      for (const b of blocks) {
        const k = popcount(b)
        mu *= (k % 2 === 1 ? 1 : -1) * factorial(k - 1)
      }
      out.push({ blocks: blocks.slice(), mu })
      return
    }
    for (let j = 0; j < blocks.length; j++) {
      blocks[j]! |= 1 << m
      place(m + 1)
      blocks[j]! &= ~(1 << m)
    }
    blocks.push(1 << m)
    place(m + 1)
    blocks.pop()
  }
  place(0)
  cache.set(M, out)
  return out
}

export { popcount }
