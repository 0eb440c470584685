/** Affine arithmetic and orientation codes, against hand-computed values. */
import { describe, expect, it } from 'vitest'
import { affineToQform, applyAffine, invertAffine, multiplyAffines, orientationCode, qformAffine } from '../../../src-main/volume/affine'

const las = [
  [-2, 0, 0, 90],
  [0, 2, 0, -126],
  [0, 0, 2, -72],
  [0, 0, 0, 1]
]

describe('affine arithmetic', () => {
  it('maps MNI voxel (45, 63, 36) to the origin and back', () => {
    expect(applyAffine(las, [45, 63, 36])).toEqual([0, 0, 0])
    expect(applyAffine(invertAffine(las), [0, 0, 0])).toEqual([45, 63, 36])
  })
  it('inverse times affine is the identity', () => {
    const a = [
      [0.9, -0.2, 0.1, 3],
      [0.3, 1.1, 0.05, -7],
      [0, 0.4, 2.2, 11],
      [0, 0, 0, 1]
    ]
    const id = multiplyAffines(invertAffine(a), a)
    id.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(r === c ? 1 : 0, 12)))
  })
  it('refuses a singular affine', () => {
    expect(() =>
      invertAffine([
        [1, 0, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1]
      ])
    ).toThrow(/singular/)
  })
})

describe('orientation codes', () => {
  it.each([
    [las, 'LAS'],
    [
      [
        [2, 0, 0, 0],
        [0, 2, 0, 0],
        [0, 0, 2, 0],
        [0, 0, 0, 1]
      ],
      'RAS'
    ],
    [
      [
        [0, 0, -1, 0],
        [-1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 1]
      ],
      'PSL'
    ],
    // Slightly oblique: the closest axes win.
    [
      [
        [-2, 0.1, 0, 0],
        [0.05, 1.97, -0.35, 0],
        [0, 0.32, 2.17, 0],
        [0, 0, 0, 1]
      ],
      'LAS'
    ]
  ])('%j is %s', (a, code) => {
    expect(orientationCode(a)).toBe(code)
  })
})

describe('qform parameters', () => {
  it('round-trip an oblique left-handed affine', () => {
    const c = Math.cos(0.4)
    const s = Math.sin(0.4)
    const a = [
      [-1.2 * c, -2 * s, 0, 5],
      [-1.2 * s, 2 * c, 0, -6],
      [0, 0, 3, 7],
      [0, 0, 0, 1]
    ]
    const q = affineToQform(a)
    expect(q.qfac).toBe(-1)
    q.pixdim.forEach((p, i) => expect(p).toBeCloseTo([1.2, 2, 3][i], 12))
    const back = qformAffine(q, q.offset, q.pixdim, q.qfac)!
    back.forEach((row, r) => row.forEach((v, k) => expect(v).toBeCloseTo(a[r][k], 12)))
  })
})
