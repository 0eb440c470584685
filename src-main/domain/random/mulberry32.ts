/**
 * A small seeded generator (mulberry32) whose whole state is one 32-bit integer, so it can be
 * saved in a checkpoint and resumed bit-for-bit, and gives the same numbers in every process.
 */
export class SeededRandom {
  private state: number

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`SeededRandom: seed must be a finite number, got ${seed}`)
    this.state = Math.floor(seed) >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next() // (0, 1]
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  getState(): number {
    return this.state
  }

  setState(state: number): void {
    this.state = state >>> 0
  }
}
