/**
 * A small seeded pseudo-random generator (sfc32) whose whole state is four uint32 words, so it
 * can be written into a checkpoint and restored for a bit-identical resume.
 */
export type RngState = [number, number, number, number]

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number | RngState) {
    if (Array.isArray(seed)) {
      ;[this.a, this.b, this.c, this.d] = seed.map((v) => v >>> 0) as RngState
      return
    }
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`)
    // Spread the seed over the state with splitmix32, then discard the first outputs.
    let s = Math.floor(seed) >>> 0
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = mix()
    this.b = mix()
    this.c = mix()
    this.d = mix()
    for (let i = 0; i < 12; i++) this.nextU32()
  }

  getState(): RngState {
    return [this.a, this.b, this.c, this.d]
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5
    const lo = this.nextU32() >>> 6
    return (hi * 67108864 + lo) / 9007199254740992
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Standard normal (Box-Muller; one value per call so the state stays four words). */
  normal(): number {
    let u = this.next()
    while (u <= 0) u = this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = arr[i]!
      arr[i] = arr[j]!
      arr[j] = t
    }
    return arr
  }

  /** A child generator seeded from this one (for handing independent streams to models). */
  fork(): Rng {
    return new Rng([this.nextU32(), this.nextU32(), this.nextU32(), this.nextU32() | 1])
  }
}
