/**
 * The loader bridge's geometry: a voxel's world position and value must survive the trip from
 * a payload (NIfTI storage order, RAS affine) to cornerstone's reoriented LPS grid.
 */
import { describe, expect, it } from 'vitest'
import {
  cornerstoneVoxelToLps,
  lpsToRas,
  payloadToCornerstoneIndex,
  rasToVoxel,
  sampleAtRas,
  toCornerstoneGeometry,
  voxelToRas,
  type Matrix4,
  type Vec3,
  type VolumeGrid
} from '../../src-renderer/src/viewer/geometry'

/** A grid whose value encodes its own index, so any reordering mistake changes the value. */
function indexedGrid(dims: Vec3, affine: Matrix4): VolumeGrid {
  const data = new Float32Array(dims[0] * dims[1] * dims[2])
  for (let i = 0; i < data.length; i++) data[i] = i
  return { dims, affine, data }
}

/** The MNI 2 mm grid stored LAS: x = 90 - 2i, y = 2j - 126, z = 2k - 72. */
const mniLas: Matrix4 = [
  [-2, 0, 0, 90],
  [0, 2, 0, -126],
  [0, 0, 2, -72],
  [0, 0, 0, 1]
]

/** Every voxel of the payload lands where the affine says, with its value. */
function expectTripPreserved(grid: VolumeGrid): void {
  const g = toCornerstoneGeometry(grid)
  const [nx, ny, nz] = grid.dims
  const probes: Vec3[] = [
    [0, 0, 0],
    [nx - 1, 0, 0],
    [0, ny - 1, nz - 1],
    [Math.floor(nx / 2), Math.floor(ny / 3), Math.floor(nz / 4)],
    [nx - 1, ny - 1, nz - 1]
  ]
  for (const ijk of probes) {
    const value = grid.data[ijk[0] + nx * (ijk[1] + ny * ijk[2])]
    const idx = payloadToCornerstoneIndex(g, ijk)
    expect(g.scalarData[idx]).toBe(value)
    // Recover the reoriented (i', j', k') from the flat index and map it through cornerstone's geometry.
    const c: Vec3 = [idx % g.dimensions[0], Math.floor(idx / g.dimensions[0]) % g.dimensions[1], Math.floor(idx / (g.dimensions[0] * g.dimensions[1]))]
    const ras = lpsToRas(cornerstoneVoxelToLps(g, c))
    const expected = voxelToRas(grid.affine, ijk)
    for (let a = 0; a < 3; a++) expect(ras[a]).toBeCloseTo(expected[a], 6)
  }
  // Right-handed and close to the LPS axes: the diagonal of the direction matrix is positive.
  expect(g.direction[0]).toBeGreaterThan(0.5)
  expect(g.direction[4]).toBeGreaterThan(0.5)
  expect(g.direction[8]).toBeGreaterThan(0.5)
}

describe('toCornerstoneGeometry', () => {
  it('maps the LAS MNI grid to LPS with the j axis flipped and origin at the posterior-most voxel', () => {
    const grid = indexedGrid([91, 109, 91], mniLas)
    const g = toCornerstoneGeometry(grid)
    expect(g.dimensions).toEqual([91, 109, 91])
    expect(g.spacing).toEqual([2, 2, 2])
    expect(g.axis).toEqual([0, 1, 2])
    // LAS i runs towards subject left = +x in LPS: kept. j runs anterior = -y in LPS: flipped.
    expect(g.sign).toEqual([1, -1, 1])
    expect(g.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1])
    // Voxel (0, 108, 0) of the payload is RAS (90, 90, -72) = LPS (-90, -90, -72).
    expect(g.origin).toEqual([-90, -90, -72])
    expectTripPreserved(grid)
  })

  it('keeps a RAS-stored grid and its data untouched apart from the i and j flips', () => {
    const ras: Matrix4 = [
      [2, 0, 0, -90],
      [0, 2, 0, -126],
      [0, 0, 2, -72],
      [0, 0, 0, 1]
    ]
    expectTripPreserved(indexedGrid([5, 6, 7], ras))
  })

  it('returns the same array when the grid is already LPS', () => {
    const lps: Matrix4 = [
      [-1, 0, 0, 10],
      [0, -1.5, 0, 20],
      [0, 0, 3, -5],
      [0, 0, 0, 1]
    ]
    const grid = indexedGrid([4, 3, 2], lps)
    const g = toCornerstoneGeometry(grid)
    expect(g.scalarData).toBe(grid.data)
    expect(g.spacing).toEqual([1, 1.5, 3])
    expectTripPreserved(grid)
  })

  it('undoes an axis permutation (a sagittally stored volume)', () => {
    // Payload i runs anterior, j runs superior, k runs left-to-right (RAS x decreasing).
    const sagittal: Matrix4 = [
      [0, 0, -1.2, 60],
      [1, 0, 0, -100],
      [0, 1.1, 0, -40],
      [0, 0, 0, 1]
    ]
    const grid = indexedGrid([6, 5, 4], sagittal)
    const g = toCornerstoneGeometry(grid)
    expect(g.axis).toEqual([2, 0, 1])
    expect(g.dimensions).toEqual([4, 6, 5])
    expect(g.spacing[0]).toBeCloseTo(1.2, 12)
    expectTripPreserved(grid)
  })

  it('keeps a small oblique rotation in the direction matrix', () => {
    const t = (10 * Math.PI) / 180
    const oblique: Matrix4 = [
      [-2 * Math.cos(t), 0, 2 * Math.sin(t), 30],
      [0, 2, 0, -50],
      [2 * Math.sin(t), 0, 2 * Math.cos(t), -20],
      [0, 0, 0, 1]
    ]
    const grid = indexedGrid([7, 5, 6], oblique)
    const g = toCornerstoneGeometry(grid)
    expect(g.direction[0]).toBeCloseTo(Math.cos(t), 10)
    expectTripPreserved(grid)
  })

  it('rejects a sheared affine, a wrong data length and a singular affine with clear messages', () => {
    const sheared: Matrix4 = [
      [2, 1, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 1]
    ]
    expect(() => toCornerstoneGeometry(indexedGrid([2, 2, 2], sheared), 'pet.nii')).toThrow(/pet\.nii: voxel axes 0 and 1 are not orthogonal/)
    expect(() => toCornerstoneGeometry({ dims: [2, 2, 2], affine: mniLas, data: new Float32Array(7) }, 'x.nii')).toThrow(
      /x\.nii: data has 7 voxels, dims \[2, 2, 2\] need 8/
    )
    const singular: Matrix4 = [
      [0, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 1]
    ]
    expect(() => toCornerstoneGeometry(indexedGrid([2, 2, 2], singular))).toThrow(/zero-length voxel axis/)
  })
})

describe('world <-> voxel helpers', () => {
  it('inverts the affine: the MNI origin is voxel (45, 63, 36) on the 2 mm LAS grid', () => {
    const v = rasToVoxel(mniLas, [0, 0, 0])
    expect(v[0]).toBeCloseTo(45, 10)
    expect(v[1]).toBeCloseTo(63, 10)
    expect(v[2]).toBeCloseTo(36, 10)
  })

  it('samples the nearest voxel and answers null outside the grid', () => {
    const grid = indexedGrid([91, 109, 91], mniLas)
    expect(sampleAtRas(grid, [0.4, -0.6, 0.9])).toBe(45 + 91 * (63 + 109 * 36))
    expect(sampleAtRas(grid, [200, 0, 0])).toBeNull()
  })
})
