/**
 * The loader bridge on real files: NIfTI file -> our reader -> viewer payload -> cornerstone
 * geometry. A voxel found independently in the file's data and in cornerstone's reordered data
 * (the one voxel holding a value that occurs once) must sit at the world position nibabel's
 * affine gives it, with its value; scaling and the finite range must match nibabel's.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readNifti } from '../../../src-main/readers/nifti/read'
import { nonZeroQuantiles, volumeToPayload } from '../../../src-main/viewer/payload'
import { cornerstoneVoxelToLps, lpsToRas, toCornerstoneGeometry, voxelToRas, type Matrix4, type Vec3 } from '../../../src-renderer/src/viewer/geometry'
import { fixturesDir, fixturesSkipReason, haveFixtures } from '../../helpers/shared'

interface Expected {
  shape: number[]
  affine: Matrix4
  min: number
  max: number
}

const expected: Record<string, Expected> = haveFixtures ? JSON.parse(readFileSync(join(fixturesDir, 'expected-nibabel.json'), 'utf8')) : {}

/**
 * Flat index of a voxel whose value occurs once: the largest such value of the file, or, in
 * files with few distinct values (uint8), a voxel at an asymmetric position that is given a
 * value no other voxel has.
 */
function uniqueVoxel(data: Float32Array, dims: readonly number[]): number {
  const counts = new Map<number, number>()
  for (const v of data) counts.set(v, (counts.get(v) ?? 0) + 1)
  const once = [...counts].filter(([, c]) => c === 1).map(([v]) => v)
  if (once.length > 0) return data.indexOf(Math.max(...once))
  const index = Math.floor(dims[0] / 3) + dims[0] * (Math.floor(dims[1] / 4) + dims[1] * Math.floor(dims[2] / 2))
  data[index] = -12345.5
  return index
}

function unflatten(index: number, dims: readonly number[]): Vec3 {
  return [index % dims[0], Math.floor(index / dims[0]) % dims[1], Math.floor(index / (dims[0] * dims[1]))]
}

describe.skipIf(!haveFixtures)(`viewer payload trip on real NIfTI files ${haveFixtures ? '' : `(${fixturesSkipReason})`}`, () => {
  const files = ['nibabel_anatomical_bigendian.nii', 'spm12_pet_template_mni2mm.nii', 'icbm2009a_gm_mni2mm.nii.gz', 'nibabel_example_nifti2.nii.gz']

  for (const name of files) {
    it(`${name}: a known voxel keeps its world position and value`, async () => {
      const exp = expected[name]
      const image = await readNifti(join(fixturesDir, name))
      const payload = volumeToPayload(image, 'smri', join(fixturesDir, name), { quantity: 'test', units: 'a.u.' })
      expect(payload.source).toBe(name)
      expect(payload.dims).toEqual(exp.shape.slice(0, 3))
      if (exp.shape.length === 3) {
        // 3-D files: scaling applied exactly as nibabel does (4-D ones are averaged over frames).
        expect(payload.min).toBeCloseTo(exp.min, 5)
        expect(payload.max).toBeCloseTo(exp.max, 5)
      }

      const inFile = uniqueVoxel(payload.data, payload.dims)
      const g = toCornerstoneGeometry(payload, name)
      const value = payload.data[inFile]
      const inCornerstone = g.scalarData.indexOf(value)
      expect(g.scalarData.lastIndexOf(value)).toBe(inCornerstone)

      const worldFromNibabel = voxelToRas(exp.affine, unflatten(inFile, payload.dims))
      const worldFromCornerstone = lpsToRas(cornerstoneVoxelToLps(g, unflatten(inCornerstone, g.dimensions)))
      // nibabel's affine is stored to 3 decimals in the expectations file.
      for (let a = 0; a < 3; a++) expect(Math.abs(worldFromCornerstone[a] - worldFromNibabel[a])).toBeLessThan(0.02)
    })
  }

  it('the MNI grey-matter map is flipped along j only, with origin at RAS (90, 90, -72)', async () => {
    const image = await readNifti(join(fixturesDir, 'icbm2009a_gm_mni2mm.nii.gz'))
    const g = toCornerstoneGeometry(volumeToPayload(image, 'smri', 'gm.nii.gz', { quantity: 'GM', units: 'a.u.' }))
    expect(g.sign).toEqual([1, -1, 1])
    expect(lpsToRas(g.origin)).toEqual([90, 90, -72])
  })
})

describe('volumeToPayload', () => {
  const grid = {
    dims: [4, 3, 2] as Vec3,
    spacing: [2, 2, 2] as Vec3,
    affine: [
      [-2, 0, 0, 3],
      [0, 2, 0, -2],
      [0, 0, 2, -1],
      [0, 0, 0, 1]
    ]
  }

  it('replaces non-finite voxels by 0 in a copy and reports the finite range', () => {
    const data = new Float32Array(24).map((_, i) => i + 1)
    data[5] = NaN
    data[6] = Infinity
    const p = volumeToPayload({ ...grid, data }, 'pet', '/some/folder/pet.nii', { quantity: 'SUVR (pons)', units: 'SUVR' })
    expect(p.source).toBe('pet.nii')
    expect(Number.isNaN(data[5])).toBe(true)
    expect(p.data[5]).toBe(0)
    expect(p.data[6]).toBe(0)
    expect(p.min).toBe(0)
    expect(p.max).toBe(24)
  })

  it('takes the robust range over non-zero voxels', () => {
    const data = new Float32Array(24)
    for (let i = 12; i < 24; i++) data[i] = i - 11 // 1..12 on half of the grid, zeros elsewhere
    const p = volumeToPayload({ ...grid, data }, 'smri', 'gm.nii', { quantity: 'GM', units: 'a.u.' })
    expect(p.robustRange[0]).toBe(1)
    expect(p.robustRange[1]).toBe(12)
    expect(nonZeroQuantiles(new Float32Array(5), [0.5])).toBeNull()
  })

  it('names the file when the data does not fit the grid', () => {
    expect(() => volumeToPayload({ ...grid, data: new Float32Array(5) }, 'smri', 'bad.nii', { quantity: 'GM', units: 'a.u.' })).toThrow(
      /bad\.nii: 5 voxels for a 4x3x2 grid/
    )
  })
})
