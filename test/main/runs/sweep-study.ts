/**
 * A small study for the sweep tests, written directly (no import): `n` subjects alternating NC
 * and AD, every label known, half of them hidden by a simulated label rate (so a sweep must draw
 * from visible and hidden labels alike), a split made, and, when `crops` is set, a cached crop
 * per subject and modality whose intensity carries the class (so one epoch learns something).
 */
import { join } from 'node:path'
import { cropIndexOnGrid } from '../../../src-main/attribution/crop-to-grid'
import { writeCacheEntry } from '../../../src-main/study/cache'
import { applyLabels, createStudy, makeStudySplits, mutateStudy, saveStudyFile, simulateLabelRate } from '../../../src-main/study/study'
import { MNI_2MM } from '../../../src-main/volume/grid'

export const subjectId = (i: number) => `S${String(i).padStart(2, '0')}`
export const classOf = (i: number) => (i % 2 ? 'AD' : 'NC')

export async function makeSweepStudy(dir: string, n: number, o: { crops?: boolean } = {}): Promise<string> {
  await createStudy(dir)
  const ids = Array.from({ length: n }, (_, i) => subjectId(i))
  const dims = cropIndexOnGrid(MNI_2MM, 2).dims
  const size = 2 * dims[0] * dims[1] * dims[2]
  const keys: Array<Record<'smri' | 'pet', string | null>> = []
  for (let i = 0; i < n; i++) {
    const entry: Record<'smri' | 'pet', string | null> = { smri: null, pet: null }
    if (o.crops) {
      for (const [m, modality] of (['smri', 'pet'] as const).entries()) {
        const key = `${String(i).padStart(4, '0')}${m}`.padEnd(24, 'a')
        const crop = new Float32Array(size)
        const level = classOf(i) === 'AD' ? 0.35 : 0.65
        for (let v = 0; v < size; v++) crop[v] = level + 0.2 * Math.sin(v * 0.37 + i * 1.3 + m)
        await writeCacheEntry(
          dir,
          {
            key,
            source: `/cohort/${ids[i]}_${modality}.nii.gz`,
            modality,
            settingsHash: 'x',
            createdAt: '2026-01-01T00:00:00Z',
            stats: { hippocampalGmMl: 1, hippocampalMeanSuvr: null, nonFiniteVoxels: 0 },
            steps: []
          },
          { dims, channels: 2, data: crop },
          { left: MNI_2MM.affine, right: MNI_2MM.affine }
        )
        entry[modality] = key
      }
    }
    keys.push(entry)
  }
  await mutateStudy(dir, async (s) => {
    ids.forEach((id, i) => {
      const scan = (m: 'smri' | 'pet') => ({
        path: `/cohort/${id}_${m}.nii.gz`,
        visit: 'bl',
        size: 1,
        mtimeMs: 1,
        series: null,
        imageId: null,
        suv: null,
        cacheKey: keys[i]![m],
        stats: null,
        input: null,
        qc: null
      })
      s.file.subjects.push({ id, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: { smri: scan('smri'), pet: scan('pet') } })
    })
    await saveStudyFile(s)
  })
  await applyLabels(dir, new Map(ids.map((id, i) => [id, classOf(i)])), 'import:test')
  await simulateLabelRate(dir, 0.5, 7)
  await makeStudySplits(dir, 3)
  return join(dir)
}
