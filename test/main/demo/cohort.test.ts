import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HIPPOCAMPUS_CENTROIDS_MM } from '../../../src-main/demo/anatomy'
import { COLLECTION_CSV, DEFAULT_DEMO_PARAMS, generateDemoCohort, oraclePosterior } from '../../../src-main/demo/cohort'
import { readNifti } from '../../../src-main/readers/nifti/read'
import { readTable } from '../../../src-main/files/tables'

const root = mkdtempSync(join(tmpdir(), 'tcgm-demo-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

/** Mean over a 5x5x5 voxel block around an MNI point (LAS affine x = 90 - 2i ...). */
function meanAround(data: Float32Array, mm: readonly number[]): number {
  const [ci, cj, ck] = [Math.round((90 - mm[0]!) / 2), Math.round((mm[1]! + 126) / 2), Math.round((mm[2]! + 72) / 2)]
  let s = 0
  let n = 0
  for (let k = ck - 2; k <= ck + 2; k++)
    for (let j = cj - 2; j <= cj + 2; j++)
      for (let i = ci - 2; i <= ci + 2; i++) {
        s += data[i + 91 * (j + 109 * k)]!
        n++
      }
  return s / n
}

describe('demo cohort', () => {
  it('oracle posteriors follow the generating model (independent formula)', () => {
    const p = DEFAULT_DEMO_PARAMS
    // Equal densities at the midpoint: the posterior is the prior.
    expect(oraclePosterior(p, 0.125, null)).toBeCloseTo(p.pAd, 10)
    const a = 0.3
    const lr = Math.exp((-0.5 * (a - 0.2) ** 2 + 0.5 * (a - 0.05) ** 2) / 0.09 ** 2)
    expect(oraclePosterior(p, a, null)).toBeCloseTo((p.pAd * lr) / (p.pAd * lr + 1 - p.pAd), 10)
  })

  it('writes an ADNI download with its collection CSV and ground truth; atrophy shows in the hippocampus', async () => {
    const out = join(root, 'c1')
    const r = await generateDemoCohort(out, { subjects: 6, seed: 3, missingPet: 0.4 })
    const csv = await readTable(join(out, COLLECTION_CSV))
    expect(csv.columns).toEqual([
      'Image Data ID',
      'Subject',
      'Group',
      'Sex',
      'Age',
      'Visit',
      'Modality',
      'Description',
      'Type',
      'Acq Date',
      'Format',
      'Downloaded'
    ])
    expect(new Set(csv.rows.map((x) => x.values.Subject)).size).toBe(6)
    const withPet = r.subjects.filter((s) => s.pet).length
    expect(withPet).toBeLessThan(6)
    expect(csv.rows.length).toBe(r.subjects.filter((s) => s.smri).length + withPet)
    for (const row of csv.rows) expect(['MRI', 'PET']).toContain(row.values.Modality)
    const gt = await readTable(r.groundTruth)
    expect(gt.rows.map((x) => x.values.participant_id)).toEqual(r.subjects.map((s) => s.ptid))

    const s = r.subjects.find((x) => x.smri)!
    expect(s.smri).toMatch(new RegExp(`ADNI/${s.ptid}/MPRAGE_GM_MNI_2mm/\\d{4}-\\d\\d-\\d\\d_10_00_00.0/I\\d+/ADNI_${s.ptid}_MR_.*\\.nii\\.gz$`))
    const img = await readNifti(s.smri!)
    expect(img.dims).toEqual([91, 109, 91])
    expect(img.affine[0]).toEqual([-2, 0, 0, 90])
    // Atrophy: hippocampal GM relative to a cortical point drops with a (1 - a * wHip at the centre).
    const hip = meanAround(img.data, HIPPOCAMPUS_CENTROIDS_MM.left)
    expect(hip).toBeGreaterThan(0.3)
    expect(hip).toBeLessThanOrEqual(1)
    await expect(generateDemoCohort(out, { subjects: 2 })).rejects.toThrow(/already holds a demo cohort/)
  })

  it('without nuisance, the hippocampal centre holds 0.85 * (1 - a) and the PET pons holds the scale', async () => {
    const out = join(root, 'c2')
    const r = await generateDemoCohort(out, { subjects: 3, seed: 5, scaleSd: 0, fieldSd: 0, noiseSmri: 0, noisePet: 0 })
    const voxel = (mm: readonly number[]) => Math.round((90 - mm[0]!) / 2) + 91 * (Math.round((mm[1]! + 126) / 2) + 109 * Math.round((mm[2]! + 72) / 2))
    for (const s of r.subjects) {
      const gm = await readNifti(s.smri!)
      expect(gm.data[voxel(HIPPOCAMPUS_CENTROIDS_MM.right)]!).toBeCloseTo(0.85 * (1 - s.a), 1)
      const pet = await readNifti(s.pet!)
      // Pons centre, outside the AD pattern: uptake 1 (SUVR) times the acquisition scale 1.6.
      expect(pet.data[voxel([0, -26, -36])]!).toBeGreaterThan(1.3)
      expect(pet.data[voxel([0, -26, -36])]!).toBeLessThan(1.9)
    }
  })
})
