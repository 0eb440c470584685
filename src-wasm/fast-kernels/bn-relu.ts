// Batch norm + ReLU over an activation [rows, c] (NDHWC flattened, channels innermost), in two
// passes forward (sums, then the affine map with the ReLU) and two backward (sums, then dx),
// where tfjs's ops took 10 and 15 kernels.
//
// Pointers are byte offsets into the memory this module shares with tfjs's wasm backend. Every
// pass is deterministic (one thread, a fixed order). Sums: float32 partial sums over BLOCK rows,
// added into float64 accumulators; an output of sums is [2k] float32 holding k float64 values
// while accumulating, converted at the end to pairs (hi, lo) with hi + lo = the float64 sum to
// about 48 bits (the caller adds them in float64).

/** Rows summed in float32 before their sum joins the float64 total. */
const BLOCK: i32 = 32

/** Converts the k float64 values at `out` in place to float32 pairs (hi, lo). */
function toHiLo(out: usize, k: i32): void {
  for (let i = 0; i < k; i++) {
    const p = out + ((<usize>i) << 3)
    const v = load<f64>(p)
    const hi = <f32>v
    const lo = <f32>(v - <f64>hi)
    store<f32>(p, hi)
    store<f32>(p, lo, 4)
  }
}

function zero64(out: usize, k: i32): void {
  for (let i = 0; i < k; i++) store<f64>(out + ((<usize>i) << 3), 0.0)
}

/** Adds the 4 lanes of v to the float64 accumulators at acc[j..j+3]. */
function addLanes(acc: usize, j: i32, v: v128): void {
  const p = acc + ((<usize>j) << 3)
  store<f64>(p, load<f64>(p) + <f64>f32x4.extract_lane(v, 0))
  store<f64>(p, load<f64>(p, 8) + <f64>f32x4.extract_lane(v, 1), 8)
  store<f64>(p, load<f64>(p, 16) + <f64>f32x4.extract_lane(v, 2), 16)
  store<f64>(p, load<f64>(p, 24) + <f64>f32x4.extract_lane(v, 3), 24)
}

/** out (hi, lo pairs) [2c]: sum over rows of x - shift, then of (x - shift)^2, per channel;
 *  shift [c] (the mean, for a variance about it). */
export function channelSums(x: usize, rows: i32, c: i32, shift: usize, out: usize): void {
  zero64(out, 2 * c)
  const rowBytes = (<usize>c) << 2
  if ((c & 3) == 0) {
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = min(rows, r0 + BLOCK)
      for (let j = 0; j < c; j += 4) {
        let s = f32x4.splat(0)
        let q = f32x4.splat(0)
        const m = v128.load(shift + ((<usize>j) << 2))
        let p = x + <usize>r0 * rowBytes + ((<usize>j) << 2)
        for (let r = r0; r < r1; r++) {
          const v = f32x4.sub(v128.load(p), m)
          s = f32x4.add(s, v)
          q = f32x4.add(q, f32x4.mul(v, v))
          p += rowBytes
        }
        addLanes(out, j, s)
        addLanes(out, c + j, q)
      }
    }
  } else {
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = min(rows, r0 + BLOCK)
      for (let j = 0; j < c; j++) {
        let s: f32 = 0
        let q: f32 = 0
        const m = load<f32>(shift + ((<usize>j) << 2))
        let p = x + <usize>r0 * rowBytes + ((<usize>j) << 2)
        for (let r = r0; r < r1; r++) {
          const v = load<f32>(p) - m
          s += v
          q += v * v
          p += rowBytes
        }
        const a = out + ((<usize>j) << 3)
        store<f64>(a, load<f64>(a) + <f64>s)
        const b = out + ((<usize>(c + j)) << 3)
        store<f64>(b, load<f64>(b) + <f64>q)
      }
    }
  }
  toHiLo(out, 2 * c)
}

/** y = max(0, (x - mean) scale + beta); params [3, c] = mean, scale, beta. */
export function bnReluApply(x: usize, rows: i32, c: i32, params: usize, y: usize): void {
  const cb = (<usize>c) << 2
  if ((c & 3) == 0) {
    const zero = f32x4.splat(0)
    for (let r = 0; r < rows; r++) {
      const base = <usize>r * cb
      for (let j: usize = 0; j < cb; j += 16) {
        const m = v128.load(params + j)
        const s = v128.load(params + cb + j)
        const b = v128.load(params + 2 * cb + j)
        const t = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + base + j), m), s), b)
        v128.store(y + base + j, f32x4.max(t, zero))
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const base = <usize>r * cb
      for (let j: usize = 0; j < cb; j += 4) {
        const t = (load<f32>(x + base + j) - load<f32>(params + j)) * load<f32>(params + cb + j) + load<f32>(params + 2 * cb + j)
        store<f32>(y + base + j, t > 0 ? t : 0)
      }
    }
  }
}

/** The backward sums: with dz = dy where the forward's output was > 0 (else 0), out (hi, lo
 *  pairs) [2c] = sum of dz, then of dz (x - mean), per channel; params as bnReluApply's. */
export function bnReluGradSums(x: usize, dy: usize, rows: i32, c: i32, params: usize, out: usize): void {
  zero64(out, 2 * c)
  const cb = (<usize>c) << 2
  if ((c & 3) == 0) {
    const zero = f32x4.splat(0)
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = min(rows, r0 + BLOCK)
      for (let j: usize = 0; j < cb; j += 16) {
        const m = v128.load(params + j)
        const sc = v128.load(params + cb + j)
        const b = v128.load(params + 2 * cb + j)
        let s1 = f32x4.splat(0)
        let s2 = f32x4.splat(0)
        let off = <usize>r0 * cb + j
        for (let r = r0; r < r1; r++) {
          const cen = f32x4.sub(v128.load(x + off), m)
          const pos = f32x4.gt(f32x4.add(f32x4.mul(cen, sc), b), zero)
          const dz = v128.and(v128.load(dy + off), pos)
          s1 = f32x4.add(s1, dz)
          s2 = f32x4.add(s2, f32x4.mul(dz, cen))
          off += cb
        }
        addLanes(out, <i32>(j >> 2), s1)
        addLanes(out, c + <i32>(j >> 2), s2)
      }
    }
  } else {
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = min(rows, r0 + BLOCK)
      for (let j = 0; j < c; j++) {
        const jb = (<usize>j) << 2
        const m = load<f32>(params + jb)
        const sc = load<f32>(params + cb + jb)
        const b = load<f32>(params + 2 * cb + jb)
        let s1: f32 = 0
        let s2: f32 = 0
        let off = <usize>r0 * cb + jb
        for (let r = r0; r < r1; r++) {
          const cen = load<f32>(x + off) - m
          const dz: f32 = cen * sc + b > 0 ? load<f32>(dy + off) : 0
          s1 += dz
          s2 += dz * cen
          off += cb
        }
        const a1 = out + ((<usize>j) << 3)
        store<f64>(a1, load<f64>(a1) + <f64>s1)
        const a2 = out + ((<usize>(c + j)) << 3)
        store<f64>(a2, load<f64>(a2) + <f64>s2)
      }
    }
  }
  toHiLo(out, 2 * c)
}

/** dx = a dz + ((x - mean) s + o), dz as in bnReluGradSums; params [6, c] = mean, scale, beta
 *  (the forward's), a, s, o. */
export function bnReluGradApply(x: usize, dy: usize, rows: i32, c: i32, params: usize, dx: usize): void {
  const cb = (<usize>c) << 2
  if ((c & 3) == 0) {
    const zero = f32x4.splat(0)
    for (let r = 0; r < rows; r++) {
      const base = <usize>r * cb
      for (let j: usize = 0; j < cb; j += 16) {
        const cen = f32x4.sub(v128.load(x + base + j), v128.load(params + j))
        const pos = f32x4.gt(f32x4.add(f32x4.mul(cen, v128.load(params + cb + j)), v128.load(params + 2 * cb + j)), zero)
        const dz = v128.and(v128.load(dy + base + j), pos)
        const lin = f32x4.add(f32x4.mul(cen, v128.load(params + 4 * cb + j)), v128.load(params + 5 * cb + j))
        v128.store(dx + base + j, f32x4.add(f32x4.mul(dz, v128.load(params + 3 * cb + j)), lin))
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const base = <usize>r * cb
      for (let j: usize = 0; j < cb; j += 4) {
        const cen = load<f32>(x + base + j) - load<f32>(params + j)
        const dz: f32 = cen * load<f32>(params + cb + j) + load<f32>(params + 2 * cb + j) > 0 ? load<f32>(dy + base + j) : 0
        store<f32>(dx + base + j, dz * load<f32>(params + 3 * cb + j) + (cen * load<f32>(params + 4 * cb + j) + load<f32>(params + 5 * cb + j)))
      }
    }
  }
}
