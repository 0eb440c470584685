/**
 * Voxel grids and the coordinate transforms between voxel and world space.
 *
 * Spaces: voxel space is 0-based (i, j, k) in NIfTI storage order (i fastest); world space is
 * millimetres in RAS+ (x to the subject's right, y anterior, z superior), as in MNI152.
 */
import { affineDeterminant, applyAffine, invertAffine, orientationCode, voxelSizes, type Vec3 } from './affine'
import type { Affine } from './types'

export { orientationCode, axisOrientation } from './affine'

/** A voxel grid: its size and its voxel -> world affine. */
export interface Grid {
  dims: [number, number, number]
  affine: Affine
}

/**
 * The 91 x 109 x 91 MNI152 grid at 2 mm stored LAS (SPM / FSL standard):
 * x = 90 - 2i, y = 2j - 126, z = 2k - 72 (mm, 0-based voxel indices).
 */
export const MNI_2MM: Readonly<Grid> = Object.freeze({
  dims: [91, 109, 91] as [number, number, number],
  affine: [
    [-2, 0, 0, 90],
    [0, 2, 0, -126],
    [0, 0, 2, -72],
    [0, 0, 0, 1]
  ]
})

/** Voxel (i, j, k), 0-based, possibly fractional -> world (x, y, z) in mm. */
export function vox2world(affine: Affine, ijk: readonly number[]): Vec3 {
  return applyAffine(affine, ijk)
}

/** World (x, y, z) in mm -> fractional 0-based voxel (i, j, k). */
export function world2vox(affine: Affine, xyz: readonly number[]): Vec3 {
  return applyAffine(invertAffine(affine), xyz)
}

/** True when two grids have the same dims and affines equal within `tolMm` (default 1e-4 mm). */
export function sameGrid(a: Grid, b: Grid, tolMm = 1e-4): boolean {
  if (a.dims.some((d, i) => d !== b.dims[i])) return false
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) if (Math.abs(a.affine[r][c] - b.affine[r][c]) > tolMm) return false
  return true
}

/** World-space bounding box of the voxel centres: [[xmin, xmax], [ymin, ymax], [zmin, zmax]] in mm. */
export function worldBounds(grid: Grid): [[number, number], [number, number], [number, number]] {
  const lo = [Infinity, Infinity, Infinity]
  const hi = [-Infinity, -Infinity, -Infinity]
  for (const ci of [0, grid.dims[0] - 1])
    for (const cj of [0, grid.dims[1] - 1])
      for (const ck of [0, grid.dims[2] - 1]) {
        const w = applyAffine(grid.affine, [ci, cj, ck])
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], w[a])
          hi[a] = Math.max(hi[a], w[a])
        }
      }
  return [
    [lo[0], hi[0]],
    [lo[1], hi[1]],
    [lo[2], hi[2]]
  ]
}

/** Orientation code of a volume or grid, e.g. 'LAS'. */
export function orientationOf(grid: Grid): string {
  return orientationCode(grid.affine)
}

/** Voxel volume in mm^3: |det| of the affine's linear part. */
export function voxelVolumeMm3(grid: Grid): number {
  return Math.abs(affineDeterminant(grid.affine))
}

export { voxelSizes }
