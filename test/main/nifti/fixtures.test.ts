/**
 * The four real files in ../shared/fixtures/nifti read as nibabel 5.4 reads them
 * (expected-nibabel.json). Skipped, with the reason printed, when ../shared is absent.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixturesDir, fixturesSkipReason, haveFixtures } from '../../helpers/shared'
import { niftiInfo } from '../../../src-main/cli/info'
import { readNifti } from '../../../src-main/readers/nifti/read'

interface Expected {
  shape: number[]
  zooms: number[]
  dtype: string
  endian: '<' | '>'
  slope_inter: [number, number]
  qform_code: number
  sform_code: number
  affine: number[][]
  axcodes: string
  min: number
  max: number
}

const expected: Record<string, Expected> = haveFixtures ? JSON.parse(readFileSync(join(fixturesDir, 'expected-nibabel.json'), 'utf8')) : {}

/** numpy dtype strings in the JSON ('>i2', 'int16', 'uint8', 'float32') -> our names. */
function dtypeName(dtype: string): string {
  const short: Record<string, string> = { i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32', f4: 'float32', f8: 'float64' }
  const bare = dtype.replace(/^[<>|=]/, '')
  return short[bare] ?? bare
}

describe.skipIf(!haveFixtures)('real NIfTI files agree with nibabel', () => {
  if (!haveFixtures) console.warn(fixturesSkipReason)
  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: shape, zooms, type, scaling, codes, affine, orientation, min and max`, async () => {
      const info = await niftiInfo(join(fixturesDir, name))
      expect(info.shape).toEqual(want.shape)
      info.zooms.forEach((z, i) => expect(z).toBeCloseTo(want.zooms[i], 3))
      expect(info.datatype).toBe(dtypeName(want.dtype))
      expect(info.byteOrder).toBe(want.endian === '>' ? 'big' : 'little')
      expect(info.scl[0]).toBeCloseTo(want.slope_inter[0], 9)
      expect(info.scl[1]).toBeCloseTo(want.slope_inter[1], 9)
      expect(info.qformCode).toBe(want.qform_code)
      expect(info.sformCode).toBe(want.sform_code)
      // The JSON rounds the affine to 3 decimals.
      info.affine.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - want.affine[r][c])).toBeLessThan(6e-4)))
      expect(info.orientation).toBe(want.axcodes)
      // nibabel scales in float64, we in float32: agree to float32 precision.
      const tol = Math.max(Math.abs(want.min), Math.abs(want.max)) * 1e-6
      expect(Math.abs(info.min - want.min)).toBeLessThanOrEqual(tol)
      expect(Math.abs(info.max - want.max)).toBeLessThanOrEqual(tol)
    })
  }

  it('reduces the 4-D NIfTI-2 file to the mean of its two frames', async () => {
    const mean = await readNifti(join(fixturesDir, 'nibabel_example_nifti2.nii.gz'))
    const f0 = await readNifti(join(fixturesDir, 'nibabel_example_nifti2.nii.gz'), { frame: 0 })
    const f1 = await readNifti(join(fixturesDir, 'nibabel_example_nifti2.nii.gz'), { frame: 1 })
    expect(mean.dims).toEqual([32, 20, 12])
    expect(mean.header.version).toBe(2)
    for (const i of [0, 1000, 5000, 7679]) expect(mean.data[i]).toBeCloseTo((f0.data[i] + f1.data[i]) / 2, 4)
  })
})
