/**
 * Exact reorientation: permuting and flipping voxel axes (no interpolation) so that the voxel
 * axes point the way an orientation code says, with the affine updated so every voxel keeps
 * its world position.
 */
import { axisOrientation, multiplyAffines } from './affine'
import type { Affine, Volume } from './types'

const LETTERS: Record<string, [number, 1 | -1]> = {
  R: [0, 1],
  L: [0, -1],
  A: [1, 1],
  P: [1, -1],
  S: [2, 1],
  I: [2, -1]
}

/**
 * Returns a copy of `vol` stored in orientation `code` (three letters from R/L, A/P, S/I, one
 * per world axis, e.g. 'LAS' or 'RAS'). For oblique images the closest axes are used.
 * @throws Error when `code` is not a valid orientation code.
 */
export function reorient(vol: Volume, code: string): Volume {
  const target = [...code.toUpperCase()].map((c) => LETTERS[c])
  if (target.length !== 3 || target.some((t) => !t) || new Set(target.map((t) => t[0])).size !== 3) {
    throw new Error(`reorient: '${code}' is not an orientation code (expected e.g. 'LAS' or 'RAS')`)
  }
  const source = axisOrientation(vol.affine)
  const strides = [1, vol.dims[0], vol.dims[0] * vol.dims[1]]
  const dims = [0, 0, 0] as [number, number, number]
  const spacing = [0, 0, 0] as [number, number, number]
  const step = [0, 0, 0]
  let base = 0
  // newToOld maps new voxel indices to old ones (a permutation with flips).
  const newToOld: Affine = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 1]
  ]
  target.forEach(([world, sign], t) => {
    const s = source.findIndex(([w]) => w === world)
    const flip = source[s][1] !== sign
    dims[t] = vol.dims[s]
    spacing[t] = vol.spacing[s]
    step[t] = (flip ? -1 : 1) * strides[s]
    if (flip) base += (vol.dims[s] - 1) * strides[s]
    newToOld[s][t] = flip ? -1 : 1
    newToOld[s][3] = flip ? vol.dims[s] - 1 : 0
  })
  const data = new Float32Array(vol.data.length)
  let o = 0
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      let src = base + j * step[1] + k * step[2]
      for (let i = 0; i < dims[0]; i++, src += step[0]) data[o++] = vol.data[src]
    }
  }
  return { dims, spacing, affine: multiplyAffines(vol.affine, newToOld), data }
}
