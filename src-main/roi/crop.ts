/**
 * Hippocampus crops: the left and right boxes of resources/roi/hippocampus.json cut out of a
 * volume through its own affine, each as a Volume with its own affine, and both together as a
 * two-channel array in a shared orientation for the classifiers.
 */
import { applyAffine, axisOrientation, invertAffine, multiplyAffines, voxelSizes } from '../volume/affine'
import { reorient } from '../volume/reorient'
import type { Volume } from '../volume/types'
import { DEFAULT_CROP_MARGIN, HIPPOCAMPUS_BOXES, boxCentre, type MniBox } from './boxes'

export interface HippocampalCrops {
  /** Left hippocampus, in the source image's voxel orientation, with its own affine. */
  left: Volume
  /** Right hippocampus, likewise. */
  right: Volume
  /**
   * Both crops for a network: data[c * (nx*ny*nz) + i + nx * (j + ny * k)], channel 0 = left
   * stored LAS, channel 1 = right stored RAS (mirrored in x), so that in both channels i runs
   * medial -> lateral, j posterior -> anterior and k inferior -> superior.
   */
  stacked: { dims: [number, number, number]; channels: 2; data: Float32Array }
  /** 0-based start voxel of each crop in the source grid (may be negative at a grid edge). */
  starts: { left: [number, number, number]; right: [number, number, number] }
  /** Voxels of the crops that fell outside the source grid and were filled with 0. */
  paddedVoxels: number
}

/**
 * Cuts the block of `size` voxels starting at voxel `start` (0-based, i, j, k) out of `vol`,
 * filling voxels outside the grid with 0. The result's affine places it where it was.
 */
export function cropBlock(vol: Volume, start: [number, number, number], size: [number, number, number]): { volume: Volume; padded: number } {
  const [nx, ny, nz] = vol.dims
  const [sx, sy, sz] = size
  const data = new Float32Array(sx * sy * sz)
  let padded = 0
  let o = 0
  for (let k = 0; k < sz; k++) {
    const kk = start[2] + k
    for (let j = 0; j < sy; j++) {
      const jj = start[1] + j
      const rowInside = kk >= 0 && kk < nz && jj >= 0 && jj < ny
      const row = nx * (jj + ny * kk)
      for (let i = 0; i < sx; i++, o++) {
        const ii = start[0] + i
        if (rowInside && ii >= 0 && ii < nx) data[o] = vol.data[row + ii]
        else padded++
      }
    }
  }
  const shift = [
    [1, 0, 0, start[0]],
    [0, 1, 0, start[1]],
    [0, 0, 1, start[2]],
    [0, 0, 0, 1]
  ]
  const affine = multiplyAffines(vol.affine, shift)
  return { volume: { dims: [sx, sy, sz], spacing: voxelSizes(affine), affine, data }, padded }
}

/**
 * Crop size in voxels (per voxel axis) covering a box of the given mm extents, plus the margin.
 * Computed once for both sides so the two crops always have the same shape.
 */
function cropSize(vol: Volume, boxes: MniBox[], margin: number): [number, number, number] {
  const orient = axisOrientation(vol.affine)
  const spacing = voxelSizes(vol.affine)
  const extent = (w: number) => Math.max(...boxes.map((b) => [b.x, b.y, b.z][w][1] - [b.x, b.y, b.z][w][0]))
  return orient.map(([w], a) => Math.round(extent(w) / spacing[a]) + 1 + 2 * margin) as [number, number, number]
}

/**
 * Left and right hippocampus crops of a volume in MNI space (any resolution, LAS- or
 * RAS-stored). Each crop is centred on its box centre mapped through the volume's affine.
 * @param opts.margin extra voxels on every side, for random-crop augmentation (default from
 *   resources/roi/hippocampus.json, 2).
 * @throws Error when the voxel axes are oblique (resample onto the MNI grid first).
 */
export function cropHippocampi(vol: Volume, opts: { margin?: number } = {}): HippocampalCrops {
  const margin = opts.margin ?? DEFAULT_CROP_MARGIN
  if (!Number.isInteger(margin) || margin < 0 || margin > 64) {
    throw new Error(`cropHippocampi: margin must be a whole number of voxels in 0..64, got ${margin}`)
  }
  const spacing = voxelSizes(vol.affine)
  const orient = axisOrientation(vol.affine)
  orient.forEach(([w], c) => {
    for (let r = 0; r < 3; r++) {
      if (r !== w && Math.abs(vol.affine[r][c]) / spacing[c] > 1e-3) {
        throw new Error('cropHippocampi: the volume is oblique; resample it onto the MNI grid first (toMni2mm)')
      }
    }
  })
  const boxes = [HIPPOCAMPUS_BOXES.left, HIPPOCAMPUS_BOXES.right]
  const size = cropSize(vol, boxes, margin)
  const inv = invertAffine(vol.affine)
  const startFor = (box: MniBox) => applyAffine(inv, boxCentre(box)).map((c, a) => Math.round(c - (size[a] - 1) / 2)) as [number, number, number]
  const starts = { left: startFor(HIPPOCAMPUS_BOXES.left), right: startFor(HIPPOCAMPUS_BOXES.right) }
  const left = cropBlock(vol, starts.left, size)
  const right = cropBlock(vol, starts.right, size)
  const leftLas = reorient(left.volume, 'LAS')
  const rightRas = reorient(right.volume, 'RAS')
  const n = leftLas.data.length
  const data = new Float32Array(2 * n)
  data.set(leftLas.data, 0)
  data.set(rightRas.data, n)
  return {
    left: left.volume,
    right: right.volume,
    stacked: { dims: leftLas.dims, channels: 2, data },
    starts,
    paddedVoxels: left.padded + right.padded
  }
}
