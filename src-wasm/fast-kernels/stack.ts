// Depth taps stacked into channels, the input side of the fast ops' 3-D convolutions as 2-D ones.

/** out [n, od, s, k * taps]: out[b, o, e, j * taps + t] = x[b, o * stride + t - 1, e, j] (zero
 *  outside [0, d)), x [n, d, s, k]. Four taps of four channels at a time are one 4x4 SIMD
 *  transpose (the stride-2 stem's stack); other shapes go value by value. */
export function stackDepthTaps(x: usize, n: i32, d: i32, s: i32, k: i32, taps: i32, stride: i32, od: i32, out: usize): void {
  const kb = (<usize>k) << 2
  const slice = <usize>s * kb
  const zero = f32x4.splat(0)
  let dst = out
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < od; o++) {
      const first = o * stride - 1
      const base = x + <usize>b * <usize>d * slice
      if (taps == 4 && (k & 3) == 0) {
        const ok0 = first >= 0 && first < d
        const ok1 = first + 1 >= 0 && first + 1 < d
        const ok2 = first + 2 >= 0 && first + 2 < d
        const ok3 = first + 3 >= 0 && first + 3 < d
        const p0 = base + <usize>(ok0 ? first : 0) * slice
        const p1 = base + <usize>(ok1 ? first + 1 : 0) * slice
        const p2 = base + <usize>(ok2 ? first + 2 : 0) * slice
        const p3 = base + <usize>(ok3 ? first + 3 : 0) * slice
        for (let off: usize = 0; off < slice; off += 16) {
          const r0 = ok0 ? v128.load(p0 + off) : zero
          const r1 = ok1 ? v128.load(p1 + off) : zero
          const r2 = ok2 ? v128.load(p2 + off) : zero
          const r3 = ok3 ? v128.load(p3 + off) : zero
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5)
          const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7)
          const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5)
          const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7)
          v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5))
          v128.store(dst, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16)
          v128.store(dst, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32)
          v128.store(dst, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48)
          dst += 64
        }
      } else {
        for (let e = 0; e < s; e++) {
          for (let j = 0; j < k; j++) {
            for (let t = 0; t < taps; t++) {
              const src = first + t
              store<f32>(dst, src >= 0 && src < d ? load<f32>(base + <usize>src * slice + <usize>e * kb + ((<usize>j) << 2)) : 0)
              dst += 4
            }
          }
        }
      }
    }
  }
}
