/**
 * Resampling onto the 2 mm MNI grid against direct computations, MNI-space detection, and
 * exact reorientation.
 */
import { describe, expect, it } from 'vitest'
import { MNI_2MM, vox2world, world2vox } from '../../../src-main/volume/grid'
import { checkMniSpace, resampleToGrid, toMni2mm } from '../../../src-main/preprocessing/resample'
import { reorient } from '../../../src-main/volume/reorient'
import type { Affine, Volume } from '../../../src-main/volume/types'

/** A volume on the grid whose value at each voxel is fn(world x, y, z). */
function sampled(dims: [number, number, number], affine: Affine, fn: (x: number, y: number, z: number) => number): Volume {
  const data = new Float32Array(dims[0] * dims[1] * dims[2])
  const a = affine
  let o = 0
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) {
        const x = a[0][0] * i + a[0][1] * j + a[0][2] * k + a[0][3]
        const y = a[1][0] * i + a[1][1] * j + a[1][2] * k + a[1][3]
        const z = a[2][0] * i + a[2][1] * j + a[2][2] * k + a[2][3]
        data[o++] = fn(x, y, z)
      }
  return { dims, spacing: [Math.abs(affine[0][0]), Math.abs(affine[1][1]), Math.abs(affine[2][2])], affine, data }
}
const mni1mm: Affine = [
  [-1, 0, 0, 90],
  [0, 1, 0, -126],
  [0, 0, 1, -72],
  [0, 0, 0, 1]
]
const mni15mm: Affine = [
  [-1.5, 0, 0, 90],
  [0, 1.5, 0, -126],
  [0, 0, 1.5, -72],
  [0, 0, 0, 1]
]
const mniRas2mm: Affine = [
  [2, 0, 0, -90],
  [0, 2, 0, -126],
  [0, 0, 2, -72],
  [0, 0, 0, 1]
]
/** A non-linear test pattern, cheap to evaluate. */
const pattern = (x: number, y: number, z: number) => x * y * 1e-3 - y * z * 2e-3 + x * z * 5e-4 + z / 50

/** Largest absolute difference between two arrays of the same length. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('resampleToGrid', () => {
  it('1 mm MNI (181x217x181) onto 2 mm equals taking every other 1 mm voxel', () => {
    const src = sampled([181, 217, 181], mni1mm, pattern)
    const out = resampleToGrid(src, MNI_2MM, 'linear')
    expect(out.dims).toEqual([91, 109, 91])
    expect(out.affine).toEqual(MNI_2MM.affine)
    let maxErr = 0
    for (let k = 0; k < 91; k += 3)
      for (let j = 0; j < 109; j += 2)
        for (let i = 0; i < 91; i++) {
          // 2 mm voxel (i, j, k) is 1 mm voxel (2i, 2j, 2k): x = 90 - 2i on both grids.
          const direct = src.data[2 * i + 181 * (2 * j + 217 * 2 * k)]
          maxErr = Math.max(maxErr, Math.abs(out.data[i + 91 * (j + 109 * k)] - direct))
        }
    expect(maxErr).toBeLessThan(1e-6)
  })

  it('trilinear interpolation of 1.5 mm data reproduces a linear function exactly', () => {
    const f = (x: number, y: number, z: number) => 0.3 * x - 0.2 * y + 0.1 * z + 5
    const out = resampleToGrid(sampled([121, 145, 121], mni15mm, f), MNI_2MM, 'linear')
    let maxErr = 0
    for (let k = 0; k < 91; k += 5)
      for (let j = 0; j < 109; j += 3)
        for (let i = 0; i < 91; i += 2) {
          const [x, y, z] = vox2world(MNI_2MM.affine, [i, j, k])
          maxErr = Math.max(maxErr, Math.abs(out.data[i + 91 * (j + 109 * k)] - f(x, y, z)))
        }
    expect(maxErr).toBeLessThan(1e-4)
  })

  it('a RAS-stored 2 mm image comes back exactly on the LAS grid', () => {
    const las = sampled([91, 109, 91], MNI_2MM.affine, pattern)
    const ras = sampled([91, 109, 91], mniRas2mm, pattern)
    expect(maxAbsDiff(resampleToGrid(ras, MNI_2MM).data, las.data)).toBe(0)
  })

  it('nearest neighbour keeps label values, and points outside the source are 0', () => {
    const labels = sampled(
      [40, 40, 40],
      [
        [3, 0, 0, -60],
        [0, 3, 0, -60],
        [0, 0, 3, -60],
        [0, 0, 0, 1]
      ],
      (x, y) => (x > 0 ? 37 : 38) + (y > 0 ? 0 : 10)
    )
    const out = resampleToGrid(labels, MNI_2MM, 'nearest')
    expect([...new Set(out.data)].sort()).toEqual([0, 37, 38, 47, 48])
    const corner = world2vox(MNI_2MM.affine, [-88, 88, 100]).map(Math.round)
    expect(out.data[corner[0] + 91 * (corner[1] + 109 * corner[2])]).toBe(0)
  })
})

describe('MNI space detection', () => {
  const vol = (affine: Affine, dims: [number, number, number]) => ({
    dims,
    spacing: [1, 1, 1] as [number, number, number],
    affine,
    data: new Float32Array(dims[0] * dims[1] * dims[2])
  })
  it('accepts the standard grids at 2, 1.5 and 1 mm and the RAS-stored 2 mm grid', () => {
    expect(checkMniSpace(vol(MNI_2MM.affine, [91, 109, 91])).ok).toBe(true)
    expect(checkMniSpace(vol(mni15mm, [121, 145, 121])).ok).toBe(true)
    expect(checkMniSpace(vol(mni1mm, [181, 217, 181])).ok).toBe(true)
    expect(checkMniSpace(vol(mniRas2mm, [91, 109, 91])).ok).toBe(true)
  })
  it('refuses oblique, small or scanner-space images with the reasons', () => {
    const c = Math.cos(0.2)
    const s = Math.sin(0.2)
    const oblique = checkMniSpace(
      vol(
        [
          [-1, 0, 0, 90],
          [0, c, -s, -126],
          [0, s, c, -72],
          [0, 0, 0, 1]
        ],
        [181, 217, 181]
      )
    )
    expect(oblique.reasons.join()).toMatch(/oblique by 11\.5 degrees/)
    const small = checkMniSpace(
      vol(
        [
          [-2, 0, 0, 32],
          [0, 2, 0, -40],
          [0, 0, 2, -16],
          [0, 0, 0, 1]
        ],
        [33, 41, 25]
      )
    )
    expect(small.reasons.join()).toMatch(/does not cover the brain/)
    // A native T1 at the scanner isocentre: axis-aligned, big enough, but centred at (0, 0, 0).
    const native = {
      ...vol(
        [
          [-1, 0, 0, 90],
          [0, 1, 0, -110],
          [0, 0, 1, -90],
          [0, 0, 0, 1]
        ],
        [181, 221, 181]
      ),
      header: { sformCode: 1, qformCode: 1, file: 'x.nii' }
    }
    expect(checkMniSpace(native).reasons).toEqual(['its field of view is centred 25 mm away from the MNI bounding box centre'])
    // ANTs writes code 1 on MNI-registered images too: a standard grid with code 1 passes.
    const ants = { ...vol(mni1mm, [181, 217, 181]), header: { sformCode: 1, qformCode: 1, file: 'y.nii' } }
    expect(checkMniSpace(ants).ok).toBe(true)
    // SPM12's default normalisation bounding box [-78 -112 -70; 78 76 85] at 2 mm, code 2.
    const spm = {
      ...vol(
        [
          [-2, 0, 0, 78],
          [0, 2, 0, -112],
          [0, 0, 2, -70],
          [0, 0, 0, 1]
        ],
        [79, 95, 78]
      ),
      header: { sformCode: 2, file: 'w.nii' }
    }
    expect(checkMniSpace(spm).ok).toBe(true)
  })
  it('toMni2mm refuses a scan given as MNI space that does not look normalised, unless allowed', () => {
    const native = {
      ...sampled(
        [120, 120, 90],
        [
          [-2, 0, 0, 120],
          [0, 2, 0, -100],
          [0, 0, 2, -60],
          [0, 0, 0, 1]
        ],
        pattern
      ),
      header: { sformCode: 1, file: '/data/sub-01_T1w.nii' }
    }
    expect(() => toMni2mm(native)).toThrow(
      /^\/data\/sub-01_T1w\.nii: was given as an MNI-space scan but does not look spatially normalised: its field of view is centred 39 mm away/
    )
    const { volume, step } = toMni2mm(native, { allowNonMni: true })
    expect(volume.dims).toEqual([91, 109, 91])
    expect(step).toMatch(/allowed by the user/)
  })
})

describe('reorient', () => {
  it('keeps every voxel at its world position and value', () => {
    const las = sampled(
      [9, 7, 5],
      [
        [-2, 0, 0, 8],
        [0, 3, 0, -9],
        [0, 0, 4, 1],
        [0, 0, 0, 1]
      ],
      pattern
    )
    for (const code of ['RAS', 'PSL', 'IRA', 'LAS']) {
      const r = reorient(las, code)
      expect(vox2world(r.affine, [0, 0, 0]).length).toBe(3)
      for (const [i, j, k] of [
        [0, 0, 0],
        [3, 2, 1],
        [r.dims[0] - 1, r.dims[1] - 1, r.dims[2] - 1]
      ]) {
        const [x, y, z] = vox2world(r.affine, [i, j, k])
        expect(r.data[i + r.dims[0] * (j + r.dims[1] * k)]).toBeCloseTo(pattern(x, y, z), 5)
      }
    }
    expect(maxAbsDiff(reorient(reorient(las, 'PSL'), 'LAS').data, las.data)).toBe(0)
    expect(() => reorient(las, 'LLS')).toThrow(/not an orientation code/)
  })
})
