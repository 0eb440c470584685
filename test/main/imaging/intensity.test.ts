/** Intensity steps against independently computed values. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GM_REFERENCE_MEAN, clampGreyMatter, gmProportionalScaling, t1ZScore } from '../../../src-main/preprocessing/intensity'
import { readPetSidecar, sidecarPath, toSuv, toSuvr } from '../../../src-main/preprocessing/pet'
import { MNI_2MM } from '../../../src-main/volume/grid'
import { boxToVoxelRange, referenceRegion } from '../../../src-main/roi/boxes'
import type { Volume } from '../../../src-main/volume/types'

const small = (values: number[]): Volume => ({ dims: [values.length, 1, 1], spacing: [2, 2, 2], affine: MNI_2MM.affine, data: Float32Array.from(values) })

describe('grey matter', () => {
  it('is clamped to [0, 1] with NaN as 0, and says how many voxels moved', () => {
    const r = clampGreyMatter(small([-0.1, 0, 0.5, 1, 1.2, NaN]))
    expect(Array.from(r.volume.data)).toEqual([0, 0, 0.5, 1, 1, 0])
    expect(r.clamped).toBe(3)
    expect(r.step).toMatch(/3 voxels clamped/)
  })
  it('proportional scaling brings the mean to the reference mean', () => {
    const r = gmProportionalScaling(small([0.1, 0.2, 0.3, 0.4]))
    expect(r.subjectMean).toBeCloseTo(0.25, 6)
    const mean = r.volume.data.reduce((a, b) => a + b, 0) / 4
    expect(mean).toBeCloseTo(GM_REFERENCE_MEAN, 6)
    expect(r.volume.data[3] / r.volume.data[0]).toBeCloseTo(4, 5)
    expect(() => gmProportionalScaling(small([0, 0]))).toThrow(/mean 0/)
  })
})

describe('T1 z-score', () => {
  it('standardises inside the brain mask and zeroes the background', () => {
    // Background 0 (below mean/8), brain values 100..109.
    const brain = Array.from({ length: 10 }, (_, i) => 100 + i)
    const r = t1ZScore(small([0, 0, 0, ...brain, 0]))
    const z = Array.from(r.volume.data.slice(3, 13))
    const mean = z.reduce((a, b) => a + b, 0) / z.length
    const sd = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length)
    expect(mean).toBeCloseTo(0, 5)
    expect(sd).toBeCloseTo(1, 5)
    expect(r.volume.data[0]).toBe(0)
    expect(r.maskVoxels).toBe(10)
  })
})

describe('PET', () => {
  it('SUV with decay correction of F-18 over 60 minutes', () => {
    const r = toSuv(small([5000, 10000]), { injectedDoseBq: 370e6, bodyWeightKg: 70, injectionToScanSeconds: 3600 })
    const doseAtScan = 370e6 * Math.exp((-Math.LN2 * 60) / 109.77)
    expect(r.volume.data[0]).toBeCloseTo((5000 * 70000) / doseAtScan, 4)
    expect(r.volume.data[1]).toBeCloseTo((10000 * 70000) / doseAtScan, 4)
    expect(r.step).toMatch(/decay-corrected over 60\.0 min \(half-life 109\.77 min\)/)
  })
  it('SUV in kBq/mL without times is not decay-corrected, and says so', () => {
    const r = toSuv(small([5]), { injectedDoseBq: 200e6, bodyWeightKg: 80, units: 'kBq/mL' })
    expect(r.volume.data[0]).toBeCloseTo((5000 * 80000) / 200e6, 6)
    expect(r.step).toMatch(/not decay-corrected/)
  })
  it('SUVR divides by the mean of the reference region', () => {
    const n = 91 * 109 * 91
    const vol: Volume = { dims: [91, 109, 91], spacing: [2, 2, 2], affine: MNI_2MM.affine, data: new Float32Array(n).fill(4) }
    const [[i0, i1], [j0, j1], [k0, k1]] = boxToVoxelRange(referenceRegion('pons').boxes[0], MNI_2MM)
    for (let k = k0; k <= k1; k++) for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) vol.data[i + 91 * (j + 109 * k)] = 2
    const r = toSuvr(vol, 'pons')
    expect(r.referenceMean).toBeCloseTo(2, 6)
    expect(r.volume.data[i0 + 91 * (j0 + 109 * k0)]).toBe(1)
    expect(r.volume.data[0]).toBe(2)
    expect(() => toSuvr({ ...vol, data: new Float32Array(n) }, 'cerebellum')).toThrow(/cerebellar hemispheres reference region has \d+ voxels with mean 0/)
  })
})

describe('BIDS PET sidecars', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pet-json-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('gives dose in Bq, weight, delay and half-life', async () => {
    const f = join(dir, 'sub-01_pet.json')
    writeFileSync(
      f,
      JSON.stringify({
        InjectedRadioactivity: 370,
        InjectedRadioactivityUnits: 'MBq',
        BodyWeight: 70,
        ScanStart: 3000,
        InjectionStart: -600,
        Units: 'Bq/mL',
        TracerRadionuclide: 'F18'
      })
    )
    expect(sidecarPath(join(dir, 'sub-01_pet.nii.gz'))).toBe(f)
    expect(await readPetSidecar(f)).toEqual({
      injectedDoseBq: 370e6,
      bodyWeightKg: 70,
      injectionToScanSeconds: 3600,
      halfLifeSeconds: 109.77 * 60,
      units: 'Bq/mL'
    })
  })
  it('returns null without dose or weight, and refuses unusable units', async () => {
    const f = join(dir, 'a.json')
    writeFileSync(f, JSON.stringify({ InjectedRadioactivity: 370 }))
    expect(await readPetSidecar(f)).toBeNull()
    writeFileSync(f, JSON.stringify({ InjectedRadioactivity: 370, BodyWeight: 70, Units: 'counts' }))
    await expect(readPetSidecar(f)).rejects.toThrow(/a\.json: Units 'counts' cannot give SUV/)
    writeFileSync(f, '{oops')
    await expect(readPetSidecar(f)).rejects.toThrow(/a\.json: not a readable JSON sidecar/)
  })
})
