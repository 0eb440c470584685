// The input gradient of a stride-2 convolution computed per output parity: y holds, for each
// window position q (per axis q = 0..Q-1 covering input voxels 2q - 1 and 2q), the 8 parities
// (rd, rh, rw) of C channels; this writes them back into the input's grid, cropped to it.

/** out [n, d, h, w, c] = y [n, qd, qh, qw, (rd, rh, rw), c] at q = (i + 1) >> 1, r = (i + 1) & 1
 *  on each axis (i the input index). */
export function parityInterleave(y: usize, n: i32, qd: i32, qh: i32, qw: i32, c: i32, d: i32, h: i32, w: i32, out: usize): void {
  const cb = (<usize>c) << 2
  let dst = out
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < d; i++) {
      const zd = <usize>(b * qd + ((i + 1) >> 1)) * <usize>qh
      const rd = ((i + 1) & 1) << 2
      for (let j = 0; j < h; j++) {
        const zh = (zd + <usize>((j + 1) >> 1)) * <usize>qw
        const rh = rd | (((j + 1) & 1) << 1)
        for (let k = 0; k < w; k++) {
          const src = y + (((zh + <usize>((k + 1) >> 1)) << 3) + <usize>(rh | ((k + 1) & 1))) * cb
          if ((c & 3) == 0) {
            for (let e: usize = 0; e < cb; e += 16) v128.store(dst + e, v128.load(src + e))
          } else {
            for (let e: usize = 0; e < cb; e += 4) store<f32>(dst + e, load<f32>(src + e))
          }
          dst += cb
        }
      }
    }
  }
}
