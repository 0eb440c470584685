/** The preprocessing pipeline end to end, on generated files and on the real templates. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultPreprocessSettings, preprocessScan, preprocessSettingsHash } from '../../../src-main/preprocessing/preprocess'
import { GM_REFERENCE_MEAN } from '../../../src-main/preprocessing/intensity'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { NiftiError } from '../../../src-main/readers/nifti/errors'
import { MNI_2MM } from '../../../src-main/volume/grid'
import { statsInBoxes, referenceRegion } from '../../../src-main/roi/boxes'
import { fixturesDir, fixturesSkipReason, haveFixtures } from '../../helpers/shared'
import type { Volume } from '../../../src-main/volume/types'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'preprocess-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A 1.5 mm MNI-grid image (SPM's 121x145x121) with a bright ball in the middle and NaN corners. */
function mni15(value: (x: number, y: number, z: number) => number): Volume {
  const affine = [
    [-1.5, 0, 0, 90],
    [0, 1.5, 0, -126],
    [0, 0, 1.5, -72],
    [0, 0, 0, 1]
  ]
  const dims: [number, number, number] = [121, 145, 121]
  const data = new Float32Array(121 * 145 * 121)
  let o = 0
  for (let k = 0; k < 121; k++) for (let j = 0; j < 145; j++) for (let i = 0; i < 121; i++) data[o++] = value(90 - 1.5 * i, -126 + 1.5 * j, -72 + 1.5 * k)
  data[0] = NaN
  return { dims, spacing: [1.5, 1.5, 1.5], affine, data }
}
const ball = (x: number, y: number, z: number) => (x * x + (y + 18) ** 2 + z * z < 70 ** 2 ? 0.6 : 0.05)

describe('preprocessScan on generated scans', () => {
  it('sMRI: NaN to 0, 1.5 mm -> 2 mm, grey matter clamped and scaled, crops, all recorded', async () => {
    const file = join(dir, 'gm15.nii.gz')
    await writeNifti(file, mni15(ball), { xformCode: 4 })
    const r = await preprocessScan(file, defaultPreprocessSettings('smri'))
    expect(r.volume.dims).toEqual(MNI_2MM.dims)
    expect(r.volume.affine).toEqual(MNI_2MM.affine)
    expect(r.stats.nonFiniteVoxels).toBe(1)
    expect(r.steps.join('\n')).toMatch(
      /1 NaN\/Inf voxels set to 0\ntaken as: grey-matter map, MNI space\nresampled 121x145x121 1\.5x1\.5x1\.5 mm onto the MNI 2 mm grid.*\ninput kind confirmed: looks like a grey-matter probability map.*\ngrey matter kept in \[0, 1\].*\nproportional scaling/
    )
    const mean = r.volume.data.reduce((a, b) => a + b, 0) / r.volume.data.length
    expect(mean).toBeCloseTo(GM_REFERENCE_MEAN, 4)
    expect(r.crops.stacked.dims).toEqual([21, 25, 24])
    // Both boxes are inside the ball: 2 x 21x25x24 voxel crops hold GM 0.6 before scaling.
    expect(r.stats.hippocampalGmMl).toBeCloseTo((2 * 17 * 21 * 20 * 8 * 0.6) / 1000, 1)
  })

  it('PET: SUV from the BIDS sidecar, then SUVR to the pons', async () => {
    const file = join(dir, 'sub-01_pet.nii')
    // Pons core 3000 Bq/mL, elsewhere 6000 Bq/mL.
    const [pons] = referenceRegion('pons').boxes
    // The low region reaches 1.5 mm (one source voxel) beyond the box, so trilinear resampling
    // onto the 2 mm grid leaves every pons-box voxel at exactly 3000.
    const within = (v: number, [lo, hi]: [number, number]) => v >= lo - 1.5 && v <= hi + 1.5
    const inPons = (x: number, y: number, z: number) => within(x, pons.x) && within(y, pons.y) && within(z, pons.z)
    await writeNifti(
      file,
      mni15((x, y, z) => (inPons(x, y, z) ? 3000 : 6000)),
      { xformCode: 4 }
    )
    writeFileSync(
      join(dir, 'sub-01_pet.json'),
      JSON.stringify({ InjectedRadioactivity: 185, InjectedRadioactivityUnits: 'MBq', BodyWeight: 60, ScanStart: 1800, InjectionStart: 0, Units: 'Bq/mL' })
    )
    const r = await preprocessScan(file, defaultPreprocessSettings('pet'))
    expect(r.steps.some((s) => /^SUV \(body weight\).*decay-corrected over 30\.0 min/.test(s))).toBe(true)
    expect(r.steps.some((s) => /^SUVR against the pons/.test(s))).toBe(true)
    expect(statsInBoxes(r.volume, [pons]).mean).toBeCloseTo(1, 2)
    expect(r.stats.hippocampalMeanSuvr).toBeCloseTo(2, 2)
  })

  it('refuses a native-space scan with a NiftiError naming the file, unless allowed', async () => {
    const file = join(dir, 'native.nii')
    const affine = [
      [-1, 0, 0, 60],
      [0, 1, 0, -70],
      [0, 0, 1, -50],
      [0, 0, 0, 1]
    ]
    await writeNifti(file, { dims: [120, 140, 110], spacing: [1, 1, 1], affine, data: new Float32Array(120 * 140 * 110).fill(0.3) }, { xformCode: 1 })
    const err = await preprocessScan(file, defaultPreprocessSettings('smri')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NiftiError)
    expect((err as Error).message).toMatch(new RegExp(`^${file}: was given as an MNI-space scan but does not look spatially normalised`))
    const r = await preprocessScan(file, { ...defaultPreprocessSettings('smri'), allowNonMni: true })
    expect(r.steps.join()).toMatch(/not recognised as MNI space; allowed by the user/)
  })

  it('has a stable settings hash that changes with any setting', () => {
    const s = defaultPreprocessSettings('smri')
    expect(preprocessSettingsHash(s)).toBe(preprocessSettingsHash({ ...s }))
    expect(preprocessSettingsHash({ cropMargin: 2, allowNonMni: false, petReference: 'pons', smriIntensity: 'gm-proportional', modality: 'smri' })).toBe(
      preprocessSettingsHash(s)
    )
    expect(preprocessSettingsHash({ ...s, cropMargin: 3 })).not.toBe(preprocessSettingsHash(s))
    expect(preprocessSettingsHash({ ...s, smriIntensity: 'gm-raw' })).not.toBe(preprocessSettingsHash(s))
    expect(preprocessSettingsHash(s)).toMatch(/^[0-9a-f]{16}$/)
  })
})

describe.skipIf(!haveFixtures)('preprocessScan on the real templates', () => {
  if (!haveFixtures) console.warn(fixturesSkipReason)
  it('the ICBM grey-matter map is already on the grid; its scaling factor is 1 by construction', async () => {
    const r = await preprocessScan(join(fixturesDir, 'icbm2009a_gm_mni2mm.nii.gz'), defaultPreprocessSettings('smri'))
    // Step records since input kinds: read, taken as, grid, kind confirmed, clamp, scaling, crops.
    expect(r.steps).toContain('already on the MNI 2 mm grid')
    expect(r.steps.find((s) => s.includes('mean grey matter'))).toMatch(/mean grey matter 0\.1396\d scaled to 0\.13962 \(x1\.0000\)/)
    expect(r.stats.hippocampalGmMl).toBeGreaterThan(40)
  })
  it('the SPM PET template gives SUVR 1 in the pons and about 1 in the hippocampi', async () => {
    const r = await preprocessScan(join(fixturesDir, 'spm12_pet_template_mni2mm.nii'), { ...defaultPreprocessSettings('pet'), petReference: 'cerebellum' })
    expect(statsInBoxes(r.volume, referenceRegion('cerebellum').boxes).mean).toBeCloseTo(1, 5)
    expect(r.stats.hippocampalMeanSuvr).toBeGreaterThan(0.7)
    expect(r.stats.hippocampalMeanSuvr).toBeLessThan(1.2)
  })
})
