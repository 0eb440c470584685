/**
 * Clinica CAPS read as it is: each pipeline's output is imported with the input kind it is and
 * resampled to the app's grid through its own affine (the cropped t1-linear grid, the Ixi549
 * 1.5 mm grid), so its crops match those of the same image given on the app's grid.
 */
import { mkdtempSync, promises as fsp } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { resampleToGrid } from '../../../src-main/preprocessing/resample'
import { loadMniTemplates, type MniTemplates } from '../../../src-main/preprocessing/templates'
import { maskedCorrelation } from '../../../src-main/preprocessing/input-kind'
import type { Affine, Volume } from '../../../src-main/volume/types'
import { readCacheCrops } from '../../../src-main/study/cache'
import { planImport } from '../../../src-main/study/import'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor } from '../../../src-main/study/import/preprocess'
import { createStudy, loadStudy } from '../../../src-main/study/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-caps-'))
let tpl: MniTemplates
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

/** Clinica's t1-linear crop of MNI152NLin2009cSym (169x208x179 at 1 mm) and SPM's Ixi549Space grid (121x145x121 at 1.5 mm). */
const CROP = {
  dims: [169, 208, 179] as [number, number, number],
  affine: [
    [1, 0, 0, -84],
    [0, 1, 0, -120],
    [0, 0, 1, -60],
    [0, 0, 0, 1]
  ] as Affine
}
const IXI = {
  dims: [121, 145, 121] as [number, number, number],
  affine: [
    [-1.5, 0, 0, 90],
    [0, 1.5, 0, -126],
    [0, 0, 1.5, -72],
    [0, 0, 0, 1]
  ] as Affine
}

const caps = join(root, 'CAPS')
const ses = (sub: string) => join(caps, 'subjects', `sub-ADNI002S000${sub}`, 'ses-M00')
const write = async (file: string, vol: Volume, grid: typeof CROP) => {
  await fsp.mkdir(dirname(file), { recursive: true })
  await writeNifti(file, resampleToGrid(vol, grid), { xformCode: 1 })
}

beforeAll(async () => {
  tpl = await loadMniTemplates()
  const gmLike = { ...tpl.petLike, data: tpl.petLike.data.map((v) => v / 255) } // values in [0, 1], not T1-like
  const s = (n: string) => `sub-ADNI002S000${n}_ses-M00`
  await write(join(ses('1'), 't1_linear', `${s('1')}_space-MNI152NLin2009cSym_desc-Crop_res-1x1x1_T1w.nii.gz`), tpl.t1, CROP)
  await write(
    join(ses('2'), 't1', 'spm', 'dartel', 'group-ADNI', `${s('2')}_T1w_segm-graymatter_space-Ixi549Space_modulated-on_fwhm-8mm_probability.nii.gz`),
    gmLike,
    IXI
  )
  await write(
    join(ses('3'), 't1', 'spm', 'segmentation', 'normalized_space', `${s('3')}_T1w_segm-graymatter_space-Ixi549Space_modulated-off_probability.nii.gz`),
    gmLike,
    IXI
  )
  await write(
    join(ses('4'), 'pet_linear', `${s('4')}_trc-18FFDG_pet_space-MNI152NLin2009cSym_desc-Crop_res-1x1x1_suvr-cerebellumPons2_pet.nii.gz`),
    tpl.petLike,
    CROP
  )
  await write(join(ses('5'), 'pet', 'preprocessing', 'group-ADNI', `${s('5')}_trc-18FFDG_pet_space-Ixi549Space_suvr-pons_pet.nii.gz`), tpl.petLike, IXI)
})

describe('Clinica CAPS layout', () => {
  it('is detected, each output taken as the kind it is, and imported through its own affine', async () => {
    const plan = await planImport(caps, undefined, { visit: 'bl' })
    expect(plan.layout).toBe('caps')
    const kinds = Object.fromEntries(plan.subjects.map((x) => [x.id, (x.smri ?? x.pet)!.input]))
    expect(kinds).toEqual({
      '002_S_0001': { kind: 't1-weighted', space: 'mni' },
      '002_S_0002': { kind: 'grey-matter-map', space: 'mni' },
      '002_S_0003': { kind: 'grey-matter-map', space: 'mni' },
      '002_S_0004': { kind: 'pet', space: 'mni' },
      '002_S_0005': { kind: 'pet', space: 'mni' }
    })
    expect(plan.subjects.find((x) => x.id === '002_S_0004')!.pet).not.toBeNull()
    const study = join(root, 'study')
    await createStudy(study)
    const r = await runImport(study, imagingPreprocessor, { source: caps })
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([])
    expect(r.added).toBe(5)

    // The same images given on the app's grid (MNI_2MM), as references for the crops.
    const ref = join(root, 'ref')
    await fsp.mkdir(ref)
    await writeNifti(join(ref, 't1.nii.gz'), tpl.t1, { xformCode: 4 })
    await writeNifti(join(ref, 'pet.nii.gz'), tpl.petLike, { xformCode: 4 })
    await writeNifti(join(ref, 'gm.nii.gz'), { ...tpl.petLike, data: tpl.petLike.data.map((v) => v / 255) }, { xformCode: 4 })
    const refStudy = join(root, 'ref-study')
    await createStudy(refStudy)
    await fsp.writeFile(join(ref, 'm.csv'), 'participant_id,smri,pet\nT1,t1.nii.gz,pet.nii.gz\nGM,gm.nii.gz,\n')
    await runImport(refStudy, imagingPreprocessor, { source: join(ref, 'm.csv') })
    const refs = (await loadStudy(refStudy)).file.subjects
    const refCrop = async (id: string, m: 'smri' | 'pet') => (await readCacheCrops(refStudy, refs.find((x) => x.id === id)!.scans[m]!.cacheKey!)).data
    const subjects = (await loadStudy(study)).file.subjects
    const crop = async (id: string, m: 'smri' | 'pet') => (await readCacheCrops(study, subjects.find((x) => x.id === id)!.scans[m]!.cacheKey!)).data
    const same = async (a: Float32Array, b: Float32Array) => maskedCorrelation(a, b, new Float32Array(a.length).fill(1))
    expect(await same(await crop('002_S_0001', 'smri'), await refCrop('T1', 'smri'))).toBeGreaterThan(0.97)
    expect(await same(await crop('002_S_0002', 'smri'), await refCrop('GM', 'smri'))).toBeGreaterThan(0.97)
    expect(await same(await crop('002_S_0003', 'smri'), await refCrop('GM', 'smri'))).toBeGreaterThan(0.97)
    expect(await same(await crop('002_S_0004', 'pet'), await refCrop('T1', 'pet'))).toBeGreaterThan(0.97)
    expect(await same(await crop('002_S_0005', 'pet'), await refCrop('T1', 'pet'))).toBeGreaterThan(0.97)
    expect(subjects.find((x) => x.id === '002_S_0001')!.scans.smri!.input).toEqual({ kind: 't1-weighted', space: 'mni' })
  })
})
