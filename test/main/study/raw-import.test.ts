/**
 * Raw scans into a study: what each scan is taken as is decided at preview; an MNI-space T1 is
 * recognised (never clipped into a constant as if it were a grey-matter map); a native T1 as a
 * DICOM series and a native PET are registered to MNI (the PET through its T1), the transforms
 * kept in the study's cache as elastix files; a failed registration is flagged and kept out of
 * training.
 */
import { existsSync, mkdtempSync, promises as fsp } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { writeDicomSeries } from '../../../src-main/readers/dicom/write'
import { loadMniTemplates, type MniTemplates } from '../../../src-main/preprocessing/templates'
import { defaultPreprocessSettings, preprocessScan } from '../../../src-main/preprocessing/preprocess'
import { type PoseSpec, makePose, toNative } from '../../../src-main/demo/native-pose'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'
import { readCacheCrops } from '../../../src-main/study/cache'
import { planImport } from '../../../src-main/study/import'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor } from '../../../src-main/study/import/preprocess'
import { usableForTraining } from '../../../src-main/study/schema'
import { createStudy, loadStudy } from '../../../src-main/study/study'
import { acceptRegistration, flaggedScans } from '../../../src-main/study/qc'
import { buildSubjectView } from '../../../src-main/viewer/subject-view'

const root = mkdtempSync(join(tmpdir(), 'tcgm-raw-'))
let tpl: MniTemplates
const POSE: PoseSpec = {
  rotationDeg: [10, -6, 14],
  scale: [1.05, 0.97, 1.02],
  shiftMm: [4, -15, 30],
  voxelMm: [1.3, 1.3, 1.3],
  gridRotationDeg: [4, 0, -8],
  fovMm: [190, 230, 210]
}
const PET_IN_T1: PoseSpec = {
  rotationDeg: [-5, 8, 3],
  scale: [1, 1, 1],
  shiftMm: [-4, 6, 2],
  voxelMm: [2.5, 2.5, 2.5],
  gridRotationDeg: [0, 0, 0],
  fovMm: [250, 250, 220]
}

beforeAll(async () => {
  tpl = await loadMniTemplates()
})
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

const sd = (a: Float32Array) => {
  let s = 0,
    q = 0
  for (const v of a) {
    s += v
    q += v * v
  }
  return Math.sqrt(Math.max(0, q / a.length - (s / a.length) ** 2))
}

describe('input kinds', () => {
  it('a T1-weighted image in MNI space given as a grey-matter map is refused with the numbers, not turned into a constant', async () => {
    const file = join(root, 't1_mni.nii.gz')
    await writeNifti(file, tpl.t1, { xformCode: 4 })
    await expect(preprocessScan(file, defaultPreprocessSettings('smri'))).rejects.toThrow(
      new RegExp(`^${file}: taken as a grey-matter map, MNI space, but it looks T1-weighted \\(correlation with the MNI T1 template in the brain 1\\.00`)
    )
    // Taken as what it is, it keeps its contrast: a robust z-score in the brain mask.
    const r = await preprocessScan(file, { ...defaultPreprocessSettings('smri'), input: { kind: 't1-weighted', space: 'mni' } })
    expect(r.steps.join('\n')).toMatch(/T1 robust z-score in the MNI brain mask/)
    expect(sd(r.crops.stacked.data)).toBeGreaterThan(0.3)
    expect(r.qc).toBeNull()
  })

  it('the preview recognises the MNI T1 and imports it as T1-weighted; a grey-matter map stays a grey-matter map', async () => {
    const src = join(root, 'mni-manifest')
    await fsp.mkdir(src)
    await writeNifti(join(src, 't1.nii.gz'), tpl.t1, { xformCode: 4 })
    // Values in [0, 1] that do not correlate with the T1 template: taken as a grey-matter map
    // (the bundled templates hold no GM map; the PET-like template scaled to [0, 1] stands in).
    const gm = { ...tpl.petLike, data: tpl.petLike.data.map((v) => v / 255) }
    await writeNifti(join(src, 'gm.nii.gz'), gm, { xformCode: 4 })
    await fsp.writeFile(join(src, 'manifest.csv'), 'participant_id,smri\nT1SUBJ,t1.nii.gz\n')
    await fsp.writeFile(join(src, 'gm.csv'), 'participant_id,smri\nGMSUBJ,gm.nii.gz\n')
    const plan = await planImport(join(src, 'manifest.csv'), undefined, { visit: 'bl' })
    expect(plan.inputs).toEqual([expect.objectContaining({ modality: 'smri', kind: 't1-weighted', space: 'mni', scans: 1 })])
    expect(plan.inputs[0]!.reason).toMatch(/looks T1-weighted/)
    const gmPlan = await planImport(join(src, 'gm.csv'), undefined, { visit: 'bl' })
    expect(gmPlan.inputs).toEqual([expect.objectContaining({ kind: 'grey-matter-map', space: 'mni' })])
    const study = join(root, 'study-mni-t1')
    await createStudy(study)
    const r = await runImport(study, imagingPreprocessor, { source: join(src, 'manifest.csv') })
    expect(r.added).toBe(1)
    const scan = (await loadStudy(study)).file.subjects[0]!.scans.smri!
    expect(scan.input).toEqual({ kind: 't1-weighted', space: 'mni' })
    expect(sd((await readCacheCrops(study, scan.cacheKey!)).data)).toBeGreaterThan(0.3)
  })
})

describe('native scans registered in the app', () => {
  it('imports an ADNI download with a native T1 as DICOM and a native PET as NIfTI; transforms cached as elastix files; a scan cut in half is flagged and kept out of training', async () => {
    const adni = join(root, 'raw', 'ADNI')
    const rng = new SeededRandom(5)
    const random = () => rng.next()
    const pose = makePose(POSE)
    const t1 = toNative(tpl.t1, pose, { bias: 0.15, noise: 0.02, random })
    const pet = toNative(tpl.petLike, makePose(PET_IN_T1, pose.worldFromMni), { bias: 0.1, noise: 0.04, random })
    const t1Dir = join(adni, '002_S_0001', 'MPRAGE', '2010-01-01_10_00_00.0', 'I1001')
    await writeDicomSeries(t1Dir, t1, { modality: 'MR', patientId: '002_S_0001', seriesDescription: 'MPRAGE', seriesNumber: 2 })
    const petDir = join(adni, '002_S_0001', 'FDG', '2010-01-01_12_00_00.0', 'I1002')
    await fsp.mkdir(petDir, { recursive: true })
    await writeNifti(join(petDir, 'pet.nii.gz'), pet, { xformCode: 1 })
    // Another subject's T1 with its upper half missing.
    const cut = toNative(tpl.t1, pose, { bias: 0.15, noise: 0.02, random })
    cut.data.fill(0, cut.dims[0] * cut.dims[1] * Math.floor(cut.dims[2] / 2))
    const cutDir = join(adni, '002_S_0002', 'MPRAGE', '2010-01-01_10_00_00.0', 'I2001')
    await fsp.mkdir(cutDir, { recursive: true })
    await writeNifti(join(cutDir, 't1.nii.gz'), cut, { xformCode: 1 })

    const source = join(root, 'raw')
    const plan = await planImport(source, undefined, { visit: 'bl' })
    expect(plan.inputs.map((x) => [x.series, x.kind, x.space, x.scans])).toEqual(
      expect.arrayContaining([
        ['MPRAGE', 't1-weighted', 'native', 2],
        ['FDG', 'pet', 'native', 1]
      ])
    )
    const study = join(root, 'study-raw')
    await createStudy(study)
    const r = await runImport(study, imagingPreprocessor, { source })
    expect(r.added).toBe(2)
    const s = await loadStudy(study)
    const [good, bad] = s.file.subjects
    expect(good!.scans.smri!.input).toEqual({ kind: 't1-weighted', space: 'native' })
    expect(good!.scans.smri!.qc).toMatchObject({ flagged: false })
    expect(good!.scans.pet!.qc).toMatchObject({ flagged: false })
    expect(usableForTraining(good!.scans.smri)).toBe(true)
    expect(bad!.scans.smri!.qc).toMatchObject({ flagged: true, accepted: false })
    expect(usableForTraining(bad!.scans.smri)).toBe(false)
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(
      /002_S_0002 sMRI: registration QC failed \(NCC [-\d.]+ with the template, below 0\.6\); kept out of training until you accept it/
    )
    // Transforms: the T1's and the PET's, as elastix parameter files.
    const transforms = join(study, 'cache', 'transforms')
    const entries = await fsp.readdir(transforms)
    expect(entries.length).toBe(3)
    const texts = await Promise.all(entries.map((e) => fsp.readFile(join(transforms, e, 'TransformParameters.0.txt'), 'utf8')))
    expect(texts.filter((t) => t.includes('(Transform "AffineTransform")'))).toHaveLength(2)
    expect(texts.filter((t) => t.includes('(Transform "EulerTransform")'))).toHaveLength(1)
    // A second run of the PET costs no registration: both transforms come from the cache.
    const again = await imagingPreprocessor.run(join(petDir, 'pet.nii.gz'), 'pet', s.file.settings, {
      suv: null,
      input: { kind: 'pet', space: 'native' },
      t1File: t1Dir,
      studyDir: study
    })
    expect(again.steps.filter((x) => x.includes("(from the study's transform cache)"))).toHaveLength(2)
    expect(existsSync(join(study, 'cache', good!.scans.pet!.cacheKey!))).toBe(true)
    // The viewer shows the registered scans on the MNI grid, through the cached transforms.
    const view = await buildSubjectView(study, '002_S_0001')
    expect(view.smri!.dims).toEqual([91, 109, 91])
    expect(view.smri!.quantity).toBe('T1 intensity, robust z-score in the brain')
    expect(view.pet!.dims).toEqual([91, 109, 91])
    // The researcher decides: listed, accepted into training, or kept out again.
    expect((await flaggedScans(study)).map((f) => [f.subject, f.modality, f.accepted])).toEqual([['002_S_0002', 'smri', false]])
    await acceptRegistration(study, '002_S_0002', 'smri', true)
    expect(usableForTraining((await loadStudy(study)).file.subjects[1]!.scans.smri)).toBe(true)
    await acceptRegistration(study, '002_S_0002', 'smri', false)
    expect(usableForTraining((await loadStudy(study)).file.subjects[1]!.scans.smri)).toBe(false)
    await expect(acceptRegistration(study, '002_S_0001', 'smri', true)).rejects.toThrow(/was not flagged by registration QC/)
  }, 180_000)
})
