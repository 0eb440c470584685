/**
 * What the viewer draws over each slice, computed from a camera model: the anatomical letters at
 * the edges (so L/R is read from the camera, for both conventions), and where the hippocampal
 * boxes cut the slice.
 */
import { describe, expect, it } from 'vitest'
import { boxOnSlice, edgeLetters, isRadiological, type SliceView } from '../../src-renderer/src/viewer/overlay'
import { colourAt, findColormap, overlayColormaps, toRgbPoints } from '../../src-renderer/src/viewer/colormaps'
import { defaultDisplay, initialCrosshair } from '../../src-renderer/src/viewer/display'
import type { Vec3 } from '../../src-renderer/src/viewer/geometry'

/**
 * An orthographic slice view of LPS space: screen x and y are world axes `ax` and `ay` (sign
 * gives direction; screen y grows downwards), 2 px per mm, centred on `centre`.
 */
function view(ax: [number, 1 | -1], ay: [number, 1 | -1], normalAxis: number, centre: Vec3 = [0, 0, 0]): SliceView {
  const normal: Vec3 = [0, 0, 0]
  normal[normalAxis] = 1
  return {
    toCanvas: (p) => [100 + 2 * ax[1] * (p[ax[0]] - centre[ax[0]]), 100 + 2 * ay[1] * (p[ay[0]] - centre[ay[0]])],
    normal,
    focalPoint: centre,
    width: 200,
    height: 200
  }
}

describe('edge letters', () => {
  it('axial, radiological: patient left (LPS +x) on the right, anterior (LPS -y) on top', () => {
    const v = view([0, 1], [1, 1], 2)
    expect(edgeLetters(v, [0, 0, 0])).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' })
    expect(isRadiological(v, [0, 0, 0])).toBe(true)
  })

  it('axial, neurological (flipped horizontally): patient left on the left', () => {
    const v = view([0, -1], [1, 1], 2)
    expect(edgeLetters(v, [0, 0, 0])).toEqual({ left: 'L', right: 'R', top: 'A', bottom: 'P' })
    expect(isRadiological(v, [0, 0, 0])).toBe(false)
  })

  it('sagittal: anterior on the left, superior on top', () => {
    const v = view([1, 1], [2, -1], 0)
    expect(edgeLetters(v, [10, 0, 0])).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' })
  })
})

describe('boxOnSlice', () => {
  // The left hippocampus box of resources/roi/hippocampus.json, in RAS mm.
  const box = { mmMin: [-42, -40, -26] as Vec3, mmMax: [-10, 0, 12] as Vec3 }

  it("draws the box where an axial slice cuts it, in the box's LPS extent", () => {
    // Axial slice at z = 0 (RAS), radiological: LPS x = +10..+42 (patient left), LPS y = 0..40.
    const r = boxOnSlice(view([0, 1], [1, 1], 2), box)!
    expect(r).toEqual({ x: 100 + 2 * 10, y: 100 + 2 * 0, w: 2 * 32, h: 2 * 40 })
  })

  it('draws nothing when the slice misses the box', () => {
    expect(boxOnSlice(view([0, 1], [1, 1], 2, [0, 0, 40]), box)).toBeNull()
    // Sagittal slice through the right hemisphere (RAS x = +20 is LPS x = -20).
    expect(boxOnSlice(view([1, 1], [2, -1], 0, [-20, 0, 0]), box)).toBeNull()
    expect(boxOnSlice(view([1, 1], [2, -1], 0, [20, 0, 0]), box)).not.toBeNull()
  })
})

describe('colormaps', () => {
  it('interpolates the control points and clamps outside 0..1', () => {
    const hot = findColormap('tcgm-hot')
    expect(colourAt(hot, -1)).toEqual([0, 0, 0])
    expect(colourAt(hot, 0.375)).toEqual([255, 0, 0])
    expect(colourAt(hot, 0.5625)).toEqual([255, 128, 0])
    expect(colourAt(hot, 2)).toEqual([255, 255, 255])
    for (const map of overlayColormaps) {
      const flat = toRgbPoints(map)
      expect(flat.length).toBe(4 * map.points.length)
      expect(flat[0]).toBe(0)
      expect(flat[flat.length - 4]).toBe(1)
    }
    expect(() => findColormap('jet')).toThrow(/unknown colormap 'jet'/)
  })
})

describe('viewer defaults', () => {
  const grid = {
    dims: [91, 109, 91] as Vec3,
    affine: [
      [-2, 0, 0, 90],
      [0, 2, 0, -126],
      [0, 0, 2, -72],
      [0, 0, 0, 1]
    ]
  }
  const payload = { ...grid, data: new Float32Array(0), robustRange: [0.5, 2.5] as [number, number] }

  it("starts the crosshair at the voxel centre nearest to the first box's centre", () => {
    const boxes = [
      { side: 'left' as const, mmMin: [-42, -40, -26] as Vec3, mmMax: [-10, 0, 12] as Vec3, voxelMin: [50, 43, 23] as Vec3, voxelMax: [66, 63, 42] as Vec3 }
    ]
    expect(initialCrosshair({ boxes, smri: payload as never, pet: null })).toEqual([-26, -20, -6])
    expect(initialCrosshair({ boxes: [], smri: payload as never, pet: null })).toEqual([0, -18, 18])
  })

  it('opens PET with its robust range as display range and the threshold half-way up it', () => {
    const d = defaultDisplay(null, payload as never)
    expect(d.displayRange).toEqual([0.5, 2.5])
    expect(d.threshold).toBe(1.5)
    expect(d.threshold).toBeGreaterThan(d.displayRange[0])
  })
})
