/**
 * Hippocampus boxes and crops: the voxel ranges of shared/fixtures/README.md on the MNI grid,
 * the same world region on LAS- and RAS-stored grids, the stacked layout, and real grey matter
 * inside the boxes.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { MNI_2MM, vox2world } from '../../../src-main/volume/grid'
import { reorient } from '../../../src-main/volume/reorient'
import { HIPPOCAMPUS_BOXES, boxCentre, boxToVoxelRange, referenceRegion, statsInBoxes, type MniBox } from '../../../src-main/roi/boxes'
import { cropHippocampi } from '../../../src-main/roi/crop'
import { readNifti } from '../../../src-main/readers/nifti/read'
import { fixturesDir, fixturesSkipReason, haveFixtures } from '../../helpers/shared'
import type { Volume } from '../../../src-main/volume/types'

/** MNI 2 mm volume whose voxel value encodes its world position uniquely. */
function worldCoded(): Volume {
  const data = new Float32Array(91 * 109 * 91)
  let o = 0
  for (let k = 0; k < 91; k++)
    for (let j = 0; j < 109; j++)
      for (let i = 0; i < 91; i++) {
        const [x, y, z] = vox2world(MNI_2MM.affine, [i, j, k])
        data[o++] = (x + 100) * 1e6 + (y + 200) * 1e3 + (z + 100)
      }
  return { dims: [91, 109, 91], spacing: [2, 2, 2], affine: MNI_2MM.affine, data }
}

describe('hippocampus boxes', () => {
  it('cover the AAL voxel ranges of the fixtures README on the MNI 2 mm grid', () => {
    expect(boxToVoxelRange(HIPPOCAMPUS_BOXES.left, MNI_2MM)).toEqual([
      [50, 66],
      [43, 63],
      [23, 42]
    ])
    expect(boxToVoxelRange(HIPPOCAMPUS_BOXES.right, MNI_2MM)).toEqual([
      [24, 40],
      [43, 63],
      [23, 42]
    ])
  })
})

describe('cropHippocampi', () => {
  const vol = worldCoded()

  it('without margin, crops exactly the box voxels, with affines that place them', () => {
    const crops = cropHippocampi(vol, { margin: 0 })
    expect(crops.left.dims).toEqual([17, 21, 20])
    expect(crops.starts).toEqual({ left: [50, 43, 23], right: [24, 43, 23] })
    // Voxel (0, 0, 0) of the left crop is MNI voxel (50, 43, 23): x -10, y -40, z -26.
    expect(vox2world(crops.left.affine, [0, 0, 0])).toEqual([-10, -40, -26])
    expect(crops.left.data[0]).toBe(vol.data[50 + 91 * (43 + 109 * 23)])
    expect(crops.paddedVoxels).toBe(0)
  })

  it('adds the margin on every side', () => {
    const crops = cropHippocampi(vol, { margin: 3 })
    expect(crops.left.dims).toEqual([23, 27, 26])
    expect(crops.starts.left).toEqual([47, 40, 20])
    expect(() => cropHippocampi(vol, { margin: -1 })).toThrow(/margin must be a whole number/)
  })

  it('stacks left as stored (LAS) and right mirrored in x', () => {
    const crops = cropHippocampi(vol, { margin: 2 })
    const [nx, ny, nz] = crops.stacked.dims
    const n = nx * ny * nz
    expect(crops.stacked.data.length).toBe(2 * n)
    expect(crops.stacked.data.subarray(0, n)).toEqual(crops.left.data)
    for (const [i, j, k] of [
      [0, 0, 0],
      [5, 7, 9],
      [nx - 1, ny - 1, nz - 1]
    ]) {
      expect(crops.stacked.data[n + i + nx * (j + ny * k)]).toBe(crops.right.data[nx - 1 - i + nx * (j + ny * k)])
    }
  })

  it('takes the same world region from a RAS-stored copy, with the same stacked array', () => {
    const ras = reorient(vol, 'RAS')
    const a = cropHippocampi(vol)
    const b = cropHippocampi(ras)
    expect(b.stacked.dims).toEqual(a.stacked.dims)
    expect(b.stacked.data).toEqual(a.stacked.data)
    expect(vox2world(b.left.affine, [0, 0, 0])).toEqual(vox2world(a.left.affine, [a.left.dims[0] - 1, 0, 0]))
  })

  it('centres the crop on the box centre at 1 mm too, and pads outside the grid with 0', () => {
    const onemm: Volume = {
      dims: [60, 60, 60],
      spacing: [1, 1, 1],
      affine: [
        [-1, 0, 0, 0],
        [0, 1, 0, -50],
        [0, 0, 1, -40],
        [0, 0, 0, 1]
      ],
      data: new Float32Array(216000).fill(1)
    }
    const crops = cropHippocampi(onemm, { margin: 0 })
    expect(crops.left.dims).toEqual([33, 41, 39])
    // 33 x 41 x 39 voxels: the middle voxel (16, 20, 19) sits on the box centre.
    expect(vox2world(crops.left.affine, [16, 20, 19])).toEqual(boxCentre(HIPPOCAMPUS_BOXES.left))
    // This small grid ends at x = 0: the right box (x 10..42) lies outside it entirely.
    expect(crops.paddedVoxels).toBe(33 * 41 * 39)
    expect(crops.right.data.every((v) => v === 0)).toBe(true)
  })

  it('refuses oblique volumes', () => {
    const c = Math.cos(0.3)
    const s = Math.sin(0.3)
    expect(() =>
      cropHippocampi({
        ...vol,
        affine: [
          [-2, 0, 0, 90],
          [0, 2 * c, -2 * s, -126],
          [0, 2 * s, 2 * c, -72],
          [0, 0, 0, 1]
        ]
      })
    ).toThrow(/oblique/)
  })
})

describe.skipIf(!haveFixtures)('on the real ICBM grey-matter map and SPM PET template', () => {
  if (!haveFixtures) console.warn(fixturesSkipReason)
  const shift = (b: MniBox, dy: number, dz: number): MniBox => ({ x: b.x, y: [b.y[0] + dy, b.y[1] + dy], z: [b.z[0] + dz, b.z[1] + dz] })

  it('holds more grey matter in the hippocampus boxes than in boxes shifted away', async () => {
    const gm = await readNifti(join(fixturesDir, 'icbm2009a_gm_mni2mm.nii.gz'))
    for (const side of ['left', 'right'] as const) {
      const inside = statsInBoxes(gm, [HIPPOCAMPUS_BOXES[side]]).sum
      // Shifted up into white matter, down into the temporal base, or obliquely; shifts along y
      // alone stay in grey-matter-rich temporal cortex, so they are not a contrast.
      for (const [dy, dz] of [
        [0, 30],
        [0, 40],
        [0, -30],
        [20, 20],
        [40, 20]
      ]) {
        expect(inside).toBeGreaterThan(1.2 * statsInBoxes(gm, [shift(HIPPOCAMPUS_BOXES[side], dy, dz)]).sum)
      }
    }
    const crops = cropHippocampi(gm)
    const mass = crops.stacked.data.reduce((a, b) => a + b, 0)
    expect(mass / crops.stacked.data.length).toBeGreaterThan(0.4)
  })

  it('puts the reference regions in tissue: cerebellar boxes in grey matter, the pons in bright PET', async () => {
    const gm = await readNifti(join(fixturesDir, 'icbm2009a_gm_mni2mm.nii.gz'))
    const pet = await readNifti(join(fixturesDir, 'spm12_pet_template_mni2mm.nii'))
    expect(statsInBoxes(gm, referenceRegion('cerebellum').boxes).mean).toBeGreaterThan(0.5)
    expect(statsInBoxes(pet, referenceRegion('pons').boxes).mean).toBeGreaterThan(0.6)
    expect(statsInBoxes(pet, referenceRegion('cerebellum').boxes).mean).toBeGreaterThan(0.6)
  })
})
