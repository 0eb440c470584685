/**
 * A volume as every part of the app sees it once read: scaled float data, its grid, and the
 * voxel-to-world affine nibabel would choose.
 *
 * Conventions:
 * - `data` is the scaled intensity (scl_slope / scl_inter applied), Float32, in NIfTI storage
 *   order: index = i + nx * (j + ny * k) (i fastest, 0-based).
 * - `affine` is 4x4, row-major, mapping 0-based voxel (i, j, k, 1) to world millimetres
 *   (x, y, z, 1) in RAS+ (the NIfTI / MNI convention: +x = subject's Right, +y = Anterior,
 *   +z = Superior). The MNI 2 mm grid stored LAS has x = 90 - 2i, y = 2j - 126, z = 2k - 72.
 */
export type Affine = number[][]

export interface Volume {
  /** [nx, ny, nz] for a 3-D volume (4-D inputs are reduced to 3-D by the reader). */
  dims: [number, number, number]
  /** Voxel size in mm, [dx, dy, dz]. */
  spacing: [number, number, number]
  /** 4x4 row-major voxel -> world (mm) matrix. */
  affine: Affine
  data: Float32Array
}
