/**
 * Crop voxels back to the MNI grid: a voxel marked on the grid is found in the crop by the
 * pipeline's own cropping and mapped back onto itself, for both hippocampi; the mirrored right
 * channel runs the other way along x; the crop centres land on the box centres.
 */
import { describe, expect, it } from 'vitest'
import { cropIndexOnGrid, cropMapToGrid } from '../../../src-main/attribution/crop-to-grid'
import { MNI_2MM, vox2world, world2vox } from '../../../src-main/volume/grid'
import { HIPPOCAMPUS_BOXES, boxCentre } from '../../../src-main/roi/boxes'
import { cropHippocampi } from '../../../src-main/roi/crop'

const [nx, ny, nz] = MNI_2MM.dims
const gridIndexOf = (mm: [number, number, number]) => {
  const [i, j, k] = world2vox(MNI_2MM.affine, mm).map(Math.round)
  return i! + nx * (j! + ny * k!)
}

describe('crop -> MNI grid', () => {
  const index = cropIndexOnGrid(MNI_2MM, 2)
  const [cx, cy, cz] = index.dims
  const cn = cx * cy * cz

  it('has the crop size of the pipeline (boxes of 17x21x20 voxels plus 2 on each side)', () => {
    expect(index.dims).toEqual([21, 25, 24])
    expect(index.gridIndex.length).toBe(2 * cn)
  })

  it.each([
    ['left', [-30, -22, -10] as [number, number, number], 0],
    ['right', [34, -14, 4] as [number, number, number], 1]
  ])('puts a marked %s-hippocampus voxel back where it was', (_side, mm, channel) => {
    // Mark one grid voxel, crop as the pipeline does, find the mark in the crop.
    const g = gridIndexOf(mm)
    const data = new Float32Array(nx * ny * nz)
    data[g] = 1
    const crops = cropHippocampi({ dims: [nx, ny, nz], spacing: [2, 2, 2], affine: MNI_2MM.affine, data }, { margin: 2 })
    const found = crops.stacked.data.findIndex((v) => v === 1)
    expect(Math.floor(found / cn)).toBe(channel)
    expect(index.gridIndex[found]).toBe(g)
    // And a map with a value only there lands on that voxel alone.
    const map = new Float32Array(2 * cn)
    map[found] = 0.25
    const onGrid = cropMapToGrid(map, index, MNI_2MM)
    expect(onGrid[g]).toBe(0.25)
    expect(onGrid.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0)).toBe(1)
  })

  it('runs medial -> lateral along crop x in both channels, and centres each crop on its box', () => {
    const world = (v: number) => {
      const g = index.gridIndex[v]!
      return vox2world(MNI_2MM.affine, [g % nx, Math.floor(g / nx) % ny, Math.floor(g / (nx * ny))])
    }
    const at = (c: number, i: number, j: number, k: number) => c * cn + i + cx * (j + cy * k)
    // Left (x < 0): x decreases with crop i; right (mirrored): x increases.
    expect(world(at(0, 5, 10, 10))[0] - world(at(0, 4, 10, 10))[0]).toBe(-2)
    expect(world(at(1, 5, 10, 10))[0] - world(at(1, 4, 10, 10))[0]).toBe(2)
    // y and z run posterior -> anterior and inferior -> superior in both.
    for (const c of [0, 1]) {
      expect(world(at(c, 4, 11, 10))[1] - world(at(c, 4, 10, 10))[1]).toBe(2)
      expect(world(at(c, 4, 10, 11))[2] - world(at(c, 4, 10, 10))[2]).toBe(2)
    }
    // The crop's centre voxel is within a voxel of the box centre.
    for (const [c, box] of [
      [0, HIPPOCAMPUS_BOXES.left],
      [1, HIPPOCAMPUS_BOXES.right]
    ] as const) {
      const centre = world(at(c, (cx - 1) / 2, (cy - 1) / 2, Math.floor((cz - 1) / 2)))
      boxCentre(box).forEach((v, a) => expect(Math.abs(centre[a]! - v)).toBeLessThanOrEqual(2))
    }
  })

  it('leaves NaN crop voxels and unmapped grid voxels at the fill value', () => {
    const map = new Float32Array(2 * cn).fill(NaN)
    const onGrid = cropMapToGrid(map, index, MNI_2MM, 0)
    expect(onGrid.every((v) => v === 0)).toBe(true)
    expect(() => cropMapToGrid(new Float32Array(5), index, MNI_2MM)).toThrow(/5 values/)
  })
})
