/**
 * Sums across the K replicas of one modality's network, each in its own worker thread, through
 * shared memory: every replica writes its part into its slot, waits at a barrier (Atomics), then
 * adds the K slots itself in rank order. All replicas therefore get the same bits, and the result
 * differs from one process summing everything only by float rounding.
 *
 * The calls are synchronous on purpose: batch-norm statistics are summed in the middle of a
 * forward pass and of tfjs's (synchronous) backward pass, where no await is possible.
 *
 * Two groups of participants:
 * - the ACTIVE ranks 0..p-1 of a call (p = min(batch, K): a batch of 3 on 4 replicas leaves one
 *   idle), for the batch-norm sums ('stats');
 * - ALL K ranks, for gradients and state ('all'), so that idle replicas still take the same step.
 */

/** Int32 control words. */
const STATS_COUNT = 0
const STATS_GEN = 1
const ALL_COUNT = 2
const ALL_GEN = 3
const ABORT = 4
const CONTROL_WORDS = 8

/** How long a replica waits at a barrier between checks of the abort flag. */
const WAIT_SLICE_MS = 200

export interface CollectiveLayout {
  /** Replicas in the group. */
  size: number
  /** Float64 values per slot for batch-norm sums (2 x the widest BN + 1 is enough). */
  statsLength: number
  /** Float32 values per slot for gradients and state (longer vectors go in chunks). */
  allLength: number
}

/** The shared memory of a group, made once by the coordinator and handed to every replica. */
export function createCollectiveMemory(layout: CollectiveLayout): SharedArrayBuffer {
  const { size, statsLength, allLength } = layout
  if (!(size >= 1 && statsLength >= 1 && allLength >= 1)) throw new Error(`createCollectiveMemory: bad layout ${JSON.stringify(layout)}`)
  // Stats slots are double-buffered (one barrier per sum), gradient slots single (two barriers).
  return new SharedArrayBuffer(CONTROL_WORDS * 4 + 2 * size * statsLength * 8 + size * allLength * 4)
}

export class CollectiveAborted extends Error {}

export class Collective {
  private readonly control: Int32Array
  private readonly stats: Float64Array
  private readonly all: Float32Array
  /** Ranks taking part in the stats sums of the current call. */
  private active: number

  constructor(
    memory: SharedArrayBuffer,
    readonly layout: CollectiveLayout,
    readonly rank: number
  ) {
    const { size, statsLength, allLength } = layout
    if (!Number.isInteger(rank) || rank < 0 || rank >= size) throw new Error(`Collective: rank ${rank} is outside 0..${size - 1}`)
    this.control = new Int32Array(memory, 0, CONTROL_WORDS)
    this.stats = new Float64Array(memory, CONTROL_WORDS * 4, 2 * size * statsLength)
    this.all = new Float32Array(memory, CONTROL_WORDS * 4 + 2 * size * statsLength * 8, size * allLength)
    this.active = size
  }

  get size(): number {
    return this.layout.size
  }

  /** Sets how many ranks (0..p-1) take part in the stats sums of the call now starting. */
  setActive(p: number): void {
    if (!Number.isInteger(p) || p < 1 || p > this.size) throw new Error(`Collective.setActive: ${p} is outside 1..${this.size}`)
    this.active = p
  }

  /** Marks the group failed and wakes every waiting replica (which then throws). */
  abort(): void {
    Atomics.store(this.control, ABORT, 1)
    Atomics.notify(this.control, STATS_GEN)
    Atomics.notify(this.control, ALL_GEN)
  }

  get aborted(): boolean {
    return Atomics.load(this.control, ABORT) !== 0
  }

  private barrier(countWord: number, genWord: number, participants: number): void {
    const c = this.control
    const gen = Atomics.load(c, genWord)
    if (Atomics.add(c, countWord, 1) === participants - 1) {
      Atomics.store(c, countWord, 0)
      Atomics.add(c, genWord, 1)
      Atomics.notify(c, genWord)
      return
    }
    while (Atomics.load(c, genWord) === gen) {
      if (this.aborted) throw new CollectiveAborted('another replica of this network failed')
      Atomics.wait(c, genWord, gen, WAIT_SLICE_MS)
    }
  }

  /** Sum over the active ranks of `values` (same length on every rank), in rank order. */
  sumStats(values: Float64Array): Float64Array {
    const { statsLength, size } = this.layout
    if (values.length > statsLength) throw new Error(`Collective.sumStats: ${values.length} values exceed the slot of ${statsLength}`)
    if (this.rank >= this.active) throw new Error(`Collective.sumStats: rank ${this.rank} is idle in this call`)
    if (this.active === 1) return Float64Array.from(values)
    // The generation before the barrier picks the buffer: a replica can be at most one sum ahead
    // of the slowest (it cannot pass the next barrier alone), so two buffers never collide.
    const buffer = Atomics.load(this.control, STATS_GEN) & 1
    const base = (i: number) => (buffer * size + i) * statsLength
    this.stats.set(values, base(this.rank))
    this.barrier(STATS_COUNT, STATS_GEN, this.active)
    const out = new Float64Array(values.length)
    for (let r = 0; r < this.active; r++) {
      const b = base(r)
      for (let i = 0; i < values.length; i++) out[i] += this.stats[b + i]
    }
    return out
  }

  /** Sum over all K ranks of `values` (same length on every rank), accumulated in float64 in
   *  rank order, in chunks of the slot length. */
  sumAll(values: Float32Array): Float32Array {
    const { allLength, size } = this.layout
    const out = new Float32Array(values.length)
    if (size === 1) {
      out.set(values)
      return out
    }
    const acc = new Float64Array(Math.min(allLength, values.length))
    for (let start = 0; start < values.length; start += allLength) {
      const n = Math.min(allLength, values.length - start)
      this.all.set(values.subarray(start, start + n), this.rank * allLength)
      this.barrier(ALL_COUNT, ALL_GEN, size)
      acc.fill(0)
      for (let r = 0; r < size; r++) {
        const b = r * allLength
        for (let i = 0; i < n; i++) acc[i] += this.all[b + i]
      }
      for (let i = 0; i < n; i++) out[start + i] = acc[i]
      // Nobody overwrites a slot before everyone has read them all.
      this.barrier(ALL_COUNT, ALL_GEN, size)
    }
    return out
  }

  /** Rank 0's `values` on every rank (the others pass arrays of the same length). */
  broadcastAll(values: Float32Array): Float32Array {
    return this.sumAll(this.rank === 0 ? values : new Float32Array(values.length))
  }
}

/** The contiguous share [start, end) of `n` items that rank `rank` of `p` active ranks takes:
 *  the first n % p ranks take one more. */
export function shareOf(n: number, rank: number, p: number): [number, number] {
  const base = Math.floor(n / p)
  const extra = n % p
  const start = rank * base + Math.min(rank, extra)
  return [start, start + base + (rank < extra ? 1 : 0)]
}
