// Rank-3 permutations the dW convolutions need, in one pass each (tfjs's wasm Transpose is 2-3 ns
// per value here; reverseAxes took two of them).

/** out [c, b, a] = x [a, b, c]: for each b a 2-D transpose, by 4x4 blocks of SIMD shuffles
 *  where both a and c reach a whole block, element by element at the edges. */
export function reverseAxes3(x: usize, a: i32, b: i32, c: i32, out: usize): void {
  const inA = (<usize>b * <usize>c) << 2 // bytes between x[i] and x[i + 1]
  const outC = (<usize>b * <usize>a) << 2 // bytes between out[k] and out[k + 1]
  const a4 = a & ~3
  const c4 = c & ~3
  for (let j = 0; j < b; j++) {
    const xb = x + ((<usize>j * <usize>c) << 2)
    const ob = out + ((<usize>j * <usize>a) << 2)
    for (let i = 0; i < a4; i += 4) {
      for (let k = 0; k < c4; k += 4) {
        const p = xb + <usize>i * inA + ((<usize>k) << 2)
        const r0 = v128.load(p)
        const r1 = v128.load(p + inA)
        const r2 = v128.load(p + 2 * inA)
        const r3 = v128.load(p + 3 * inA)
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5)
        const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7)
        const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5)
        const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7)
        const q = ob + <usize>k * outC + ((<usize>i) << 2)
        v128.store(q, i32x4.shuffle(t0, t2, 0, 1, 4, 5))
        v128.store(q + outC, i32x4.shuffle(t0, t2, 2, 3, 6, 7))
        v128.store(q + 2 * outC, i32x4.shuffle(t1, t3, 0, 1, 4, 5))
        v128.store(q + 3 * outC, i32x4.shuffle(t1, t3, 2, 3, 6, 7))
      }
      for (let k = c4; k < c; k++)
        for (let e = i; e < i + 4; e++) store<f32>(ob + <usize>k * outC + ((<usize>e) << 2), load<f32>(xb + <usize>e * inA + ((<usize>k) << 2)))
    }
    for (let i = a4; i < a; i++)
      for (let k = 0; k < c; k++) store<f32>(ob + <usize>k * outC + ((<usize>i) << 2), load<f32>(xb + <usize>i * inA + ((<usize>k) << 2)))
  }
}

/** out [b, a, c] = x [a, b, c]: rows of c values moved. */
export function swapLeading3(x: usize, a: i32, b: i32, c: i32, out: usize): void {
  const cb = (<usize>c) << 2
  const inA = <usize>b * cb
  let dst = out
  for (let j = 0; j < b; j++) {
    let src = x + <usize>j * cb
    for (let i = 0; i < a; i++) {
      if ((c & 3) == 0) {
        for (let e: usize = 0; e < cb; e += 16) v128.store(dst + e, v128.load(src + e))
      } else {
        for (let e: usize = 0; e < cb; e += 4) store<f32>(dst + e, load<f32>(src + e))
      }
      dst += cb
      src += inA
    }
  }
}
