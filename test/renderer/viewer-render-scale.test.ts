/**
 * Render resolution of the viewer under software WebGL: which renderer strings count as software,
 * the pixel ratio that gives about 2 device pixels per voxel of a fitted slice, the field of each
 * plane from a volume's grid, and the window.devicePixelRatio override (installed, read, removed).
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  MIN_PIXEL_RATIO,
  fieldOfPlane,
  isSoftwareRenderer,
  overridePixelRatio,
  ratioForField,
  realDevicePixelRatio,
  renderPixelRatio
} from '../../src-renderer/src/viewer/render-scale'

/** The MNI grid at 2 mm (91 x 109 x 91), RAS affine as the payloads carry it. */
const mniDims = [91, 109, 91]
const mniAffine = [
  [-2, 0, 0, 90],
  [0, 2, 0, -126],
  [0, 0, 2, -72],
  [0, 0, 0, 1]
]

describe('isSoftwareRenderer', () => {
  it('knows SwiftShader, llvmpipe and the generic software names', () => {
    expect(isSoftwareRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(true)
    expect(isSoftwareRenderer('Google SwiftShader')).toBe(true)
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true)
    expect(isSoftwareRenderer('ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0)')).toBe(true)
    expect(isSoftwareRenderer('Software Rasterizer')).toBe(true)
  })

  it('takes hardware and unknown renderers for hardware', () => {
    expect(isSoftwareRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBe(false)
    expect(isSoftwareRenderer('Apple M2')).toBe(false)
    expect(isSoftwareRenderer('Mesa Intel(R) UHD Graphics 620 (KBL GT2)')).toBe(false)
    expect(isSoftwareRenderer('')).toBe(false)
    expect(isSoftwareRenderer(null)).toBe(false)
  })
})

describe('fieldOfPlane', () => {
  it('gives each plane the two RAS extents across it and the voxel size', () => {
    expect(fieldOfPlane('axial', mniDims, mniAffine, 338, 300)).toEqual({ cssWidth: 338, cssHeight: 300, widthMm: 182, heightMm: 218, voxelMm: 2 })
    expect(fieldOfPlane('coronal', mniDims, mniAffine, 338, 338)).toMatchObject({ widthMm: 182, heightMm: 182, voxelMm: 2 })
    expect(fieldOfPlane('sagittal', mniDims, mniAffine, 338, 338)).toMatchObject({ widthMm: 218, heightMm: 182, voxelMm: 2 })
  })

  it('follows a permuted affine (voxel axes not in x, y, z order) and anisotropic voxels', () => {
    // Voxel i runs along z (3 mm), j along x (1 mm), k along y (1.5 mm).
    const affine = [
      [0, 1, 0, 0],
      [0, 0, 1.5, 0],
      [3, 0, 0, 0],
      [0, 0, 0, 1]
    ]
    expect(fieldOfPlane('axial', [40, 100, 120], affine, 200, 200)).toMatchObject({ widthMm: 100, heightMm: 180, voxelMm: 1 })
    expect(fieldOfPlane('sagittal', [40, 100, 120], affine, 200, 200)).toMatchObject({ widthMm: 180, heightMm: 120, voxelMm: 1.5 })
  })
})

describe('ratioForField', () => {
  it('is the ratio giving 2 device pixels per voxel of the fitted slice', () => {
    // Axial MNI slice (182 x 218 mm) in a 338 px square: fitted by its height, 338 / 218 CSS px per mm.
    const r = ratioForField({ cssWidth: 338, cssHeight: 338, widthMm: 182, heightMm: 218, voxelMm: 2 })
    expect(r).toBeCloseTo(2 / ((338 / 218) * 2))
    expect(338 * r).toBeCloseTo(218) // 109 voxels across, 2 px each
  })

  it('accounts for the margin around the fitted slice and for another pixels-per-voxel aim', () => {
    const view = { cssWidth: 338, cssHeight: 338, widthMm: 182, heightMm: 218, voxelMm: 2 }
    expect(ratioForField(view, 2, 1.1)).toBeCloseTo(ratioForField(view) * 1.1)
    expect(ratioForField(view, 3)).toBeCloseTo(ratioForField(view) * 1.5)
  })

  it('is Infinity (no cap) for an empty element or field', () => {
    expect(ratioForField({ cssWidth: 0, cssHeight: 338, widthMm: 182, heightMm: 218, voxelMm: 2 })).toBe(Infinity)
    expect(ratioForField({ cssWidth: 338, cssHeight: 338, widthMm: 0, heightMm: 218, voxelMm: 2 })).toBe(Infinity)
  })
})

describe('renderPixelRatio', () => {
  const views = (['axial', 'coronal', 'sagittal'] as const).map((p) => fieldOfPlane(p, mniDims, mniAffine, 338, 338))

  it('keeps the display ratio on a hardware renderer, HiDPI included', () => {
    expect(renderPixelRatio({ devicePixelRatio: 1, software: false, views })).toBe(1)
    expect(renderPixelRatio({ devicePixelRatio: 3, software: false, views })).toBe(3)
  })

  it('caps a software renderer at the ratio the most demanding view needs, rounded up to 1/100', () => {
    // Axial and sagittal show 109 voxels across 338 px: 218 / 338 = 0.645 -> 0.65; coronal needs less.
    expect(renderPixelRatio({ devicePixelRatio: 1, software: true, views })).toBe(0.65)
    expect(renderPixelRatio({ devicePixelRatio: 2, software: true, views })).toBe(0.65)
  })

  it('never goes above the display ratio (small views) nor below the floor (huge views)', () => {
    const small = views.map((v) => ({ ...v, cssWidth: 100, cssHeight: 100 }))
    expect(renderPixelRatio({ devicePixelRatio: 1, software: true, views: small })).toBe(1)
    const huge = views.map((v) => ({ ...v, cssWidth: 5000, cssHeight: 5000 }))
    expect(renderPixelRatio({ devicePixelRatio: 1, software: true, views: huge })).toBe(MIN_PIXEL_RATIO)
  })

  it('falls back to the display ratio without views, and to 1 for a nonsense display ratio', () => {
    expect(renderPixelRatio({ devicePixelRatio: 2, software: true, views: [] })).toBe(2)
    expect(renderPixelRatio({ devicePixelRatio: 0, software: false, views })).toBe(1)
    expect(renderPixelRatio({ devicePixelRatio: Number.NaN, software: true, views: [{ ...views[0], cssWidth: 0 }] })).toBe(1)
  })
})

describe('overridePixelRatio', () => {
  afterEach(() => {
    overridePixelRatio(null)
  })

  it('makes window.devicePixelRatio answer the ratio while the real one stays readable, then restores it', () => {
    const real = window.devicePixelRatio
    expect(overridePixelRatio(0.5)).toBe(0.5)
    expect(window.devicePixelRatio).toBe(0.5)
    expect(realDevicePixelRatio()).toBe(real)
    expect(overridePixelRatio(0.75)).toBe(0.75)
    expect(window.devicePixelRatio).toBe(0.75)
    expect(overridePixelRatio(null)).toBe(real)
    expect(window.devicePixelRatio).toBe(real)
    expect(realDevicePixelRatio()).toBe(real)
  })
})
