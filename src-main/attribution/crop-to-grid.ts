/**
 * From the networks' crop voxels back to the grid the crops were cut from (the 91x109x91 MNI
 * grid of the viewer): which grid voxel every voxel of the two-channel hippocampal crop came
 * from. Found by running the very crop the pipeline runs (roi/crop.ts cropHippocampi, with its
 * left/right stacking and the mirroring of the right side) over a volume holding each voxel's
 * own index, so the mapping cannot drift from the cropping.
 */
import { voxelSizes } from '../volume/affine'
import type { Grid } from '../volume/grid'
import { cropHippocampi } from '../roi/crop'

export interface CropIndex {
  /** Crop size [nx, ny, nz]. */
  dims: [number, number, number]
  channels: 2
  /** Per crop voxel (channel-major, like the crops): 0-based grid voxel index i + nx*(j + ny*k), or -1 for padding outside the grid. */
  gridIndex: Int32Array
}

/**
 * The grid voxel of every crop voxel, for crops cut with `margin` voxels around the boxes.
 * @throws when the grid is too large for exact float32 indices (over 2^24 voxels)
 */
export function cropIndexOnGrid(grid: Grid, margin: number): CropIndex {
  const total = grid.dims[0] * grid.dims[1] * grid.dims[2]
  if (total + 1 > 2 ** 24) throw new Error(`cropIndexOnGrid: a grid of ${grid.dims.join('x')} voxels is too large to index through float32 values`)
  // index + 1, so the crop's zero padding reads as -1.
  const data = new Float32Array(total)
  for (let v = 0; v < total; v++) data[v] = v + 1
  const crops = cropHippocampi({ dims: [...grid.dims], spacing: voxelSizes(grid.affine), affine: grid.affine, data }, { margin })
  const gridIndex = new Int32Array(crops.stacked.data.length)
  for (let v = 0; v < gridIndex.length; v++) gridIndex[v] = crops.stacked.data[v]! - 1
  return { dims: crops.stacked.dims, channels: 2, gridIndex }
}

/**
 * Places a crop-space map on the grid: each crop voxel's value at its grid voxel; grid voxels no
 * crop voxel maps to, and crop voxels whose value is NaN, stay `fill`.
 */
export function cropMapToGrid(map: Float32Array, index: CropIndex, grid: Grid, fill = 0): Float32Array {
  if (map.length !== index.gridIndex.length) throw new Error(`cropMapToGrid: the map has ${map.length} values, the crop ${index.gridIndex.length}`)
  const out = new Float32Array(grid.dims[0] * grid.dims[1] * grid.dims[2]).fill(fill)
  for (let v = 0; v < map.length; v++) {
    const g = index.gridIndex[v]!
    const value = map[v]!
    if (g >= 0 && !Number.isNaN(value)) out[g] = value
  }
  return out
}
