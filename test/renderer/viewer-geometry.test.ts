/**
 * sliceShift: how far a slice view's camera moves so its slice passes through a point; moving
 * only along the view's normal (no pan), clamped into the volume, and 0 when nothing changes.
 */
import { describe, expect, it } from 'vitest'
import { sliceShift } from '../../src-renderer/src/viewer/geometry'

describe('sliceShift', () => {
  it('moves an axial view (normal +z) by the target z minus the slice z, ignoring x and y', () => {
    expect(sliceShift([10, 20, 5], [0, 0, 1], [-30, 44, 9])).toBeCloseTo(4)
    expect(sliceShift([10, 20, 5], [0, 0, -1], [-30, 44, 9])).toBeCloseTo(-4)
  })

  it('is 0 when the target is on the slice (within a micrometre), whatever its in-plane position', () => {
    expect(sliceShift([10, 20, 5], [0, 0, 1], [-30, 44, 5])).toBe(0)
    expect(sliceShift([10, 20, 5], [0, 0, 1], [-30, 44, 5.0000001])).toBe(0)
  })

  it('follows an oblique normal: the shift is the distance along it', () => {
    const n = [Math.SQRT1_2, 0, Math.SQRT1_2]
    // Target 2 mm along +x and 2 mm along +z from the focal point: sqrt(2) * 2 mm along n.
    expect(sliceShift([0, 0, 0], n, [2, 7, 2])).toBeCloseTo(2 * Math.SQRT2)
  })

  it('clamps the target into the volume bounds first', () => {
    const bounds = [-90, 90, -126, 90, -72, 108]
    expect(sliceShift([0, 0, 100], [0, 0, 1], [0, 0, 500], bounds)).toBeCloseTo(8)
    expect(sliceShift([0, 0, 108], [0, 0, 1], [0, 0, 500], bounds)).toBe(0)
    expect(sliceShift([0, 0, 0], [1, 0, 0], [-200, 0, 0], bounds)).toBeCloseTo(-90)
  })
})
