/**
 * viewer.subject on a small imported demo study: the answer satisfies the contract, the volumes
 * are the study's preprocessed MNI volumes, the boxes sit where the atlas puts the hippocampi,
 * the cohort measures are the import's stats grouped by label, and bad requests name the study.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ViewerSubject } from '../../../src-main/api/contracts/viewer'
import { generateDemoCohort } from '../../../src-main/demo/cohort'
import { preprocessScan } from '../../../src-main/preprocessing/preprocess'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor, preprocessSettingsFor } from '../../../src-main/study/import/preprocess'
import { createStudy, loadStudy, type StudyState } from '../../../src-main/study/study'
import { buildSubjectView, cohortGroup, verdicts } from '../../../src-main/viewer/subject-view'
import { voxelToRas } from '../../../src-renderer/src/viewer/geometry'

const root = mkdtempSync(join(tmpdir(), 'tcgm-viewer-'))
const study = join(root, 'study')
let state: StudyState

beforeAll(async () => {
  const demo = await generateDemoCohort(join(root, 'cohort'), { subjects: 6, seed: 21, missingPet: 0 })
  await createStudy(study)
  await runImport(study, imagingPreprocessor, { source: demo.out })
  state = await loadStudy(study)
}, 120_000)
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

describe('buildSubjectView', () => {
  it('answers with both preprocessed MNI volumes, the boxes and the cohort, within the contract', async () => {
    const record = state.file.subjects[0]!
    const view = ViewerSubject.parse(await buildSubjectView(study, record.id))
    expect(view.subject).toBe(record.id)
    expect(view.classNames).toEqual(['NC', 'AD'])
    expect(view.label).toBe(state.labels.get(record.id))
    for (const payload of [view.smri!, view.pet!]) {
      expect(payload.dims).toEqual([91, 109, 91])
      expect(payload.affine[0]).toEqual([-2, 0, 0, 90])
      expect(payload.min).toBeLessThanOrEqual(payload.robustRange[0])
      expect(payload.max).toBeGreaterThanOrEqual(payload.robustRange[1])
    }
    expect(view.smri!.units).toBe('a.u.')
    expect(view.pet!.quantity).toBe('SUVR (pons)')

    // The viewer shows exactly what training saw: the study's preprocessing of the same file.
    const expected = await preprocessScan(record.scans.pet!.path, preprocessSettingsFor('pet', state.file.settings))
    const k = 45 + 91 * (60 + 109 * 30)
    expect(view.pet!.data[k]).toBe(expected.volume.data[k])

    // Boxes on the LAS 2 mm grid: left i 50-66, right i 24-40, both j 43-63, k 23-42
    // (shared/fixtures/README.md), and their voxel corners inside the MNI mm box.
    const left = view.boxes.find((b) => b.side === 'left')!
    const right = view.boxes.find((b) => b.side === 'right')!
    expect([left.voxelMin, left.voxelMax]).toEqual([
      [50, 43, 23],
      [66, 63, 42]
    ])
    expect([right.voxelMin, right.voxelMax]).toEqual([
      [24, 43, 23],
      [40, 63, 42]
    ])
    for (const box of view.boxes) {
      for (const corner of [box.voxelMin, box.voxelMax]) {
        const mm = voxelToRas(view.smri!.affine, corner)
        for (let a = 0; a < 3; a++) {
          expect(mm[a]).toBeGreaterThanOrEqual(box.mmMin[a])
          expect(mm[a]).toBeLessThanOrEqual(box.mmMax[a])
        }
      }
    }

    // Cohort measures: the import's stats, grouped by label; this subject's value recomputed.
    const gm = view.measures.find((m) => m.key === 'hippocampalGmMl')!
    expect(gm.subject).toBeCloseTo(record.scans.smri!.stats!.hippocampalGmMl!, 6)
    const byLabel = (name: string) => state.file.subjects.filter((s) => state.labels.get(s.id) === name).map((s) => s.scans.smri!.stats!.hippocampalGmMl)
    expect(gm.groups).toEqual([
      { name: 'NC', values: byLabel('NC') },
      { name: 'AD', values: byLabel('AD') }
    ])
    const all = state.file.subjects.map((s) => s.scans.smri!.stats!.hippocampalGmMl!)
    expect(gm.cohortRange).toEqual({ min: Math.min(...all), max: Math.max(...all), n: all.length })
    expect(gm.description).toMatch(/inside the two hippocampal boxes/)
    const suvr = view.measures.find((m) => m.key === 'hippocampalMeanSuvr')!
    expect(suvr.subject).toBeCloseTo(record.scans.pet!.stats!.hippocampalMeanSuvr!, 6)
    expect(suvr.groups.flatMap((g) => g.values)).toHaveLength(6)
    expect(view.prediction).toBeNull()
  })

  it('names the study folder for an unknown subject or run', async () => {
    await expect(buildSubjectView(study, 'nobody')).rejects.toThrow(`${study}: no subject 'nobody' in the study`)
    await expect(buildSubjectView(study, state.file.subjects[0]!.id, { runId: 'no-such-run' })).rejects.toThrow(/no-such-run/)
  })
})

describe('cohort groups and verdicts', () => {
  it('uses the visible label only: a source diagnosis (a hidden label, for a hidden subject) never counts', () => {
    const s = { labels: new Map([['a', 'AD']]) }
    expect(cohortGroup(s, { id: 'a' })).toBe('AD')
    expect(cohortGroup(s, { id: 'b' })).toBeNull()
  })

  it('names the most probable class with its probability for each model', () => {
    expect(verdicts(['NC', 'AD'], { smri: [0.8, 0.2], pet: [0.3, 0.7], aggregator: [0.45, 0.55] })).toEqual([
      { model: 'smri', probabilities: [0.8, 0.2], predicted: 'NC', confidence: 0.8 },
      { model: 'pet', probabilities: [0.3, 0.7], predicted: 'AD', confidence: 0.7 },
      { model: 'aggregator', probabilities: [0.45, 0.55], predicted: 'AD', confidence: 0.55 }
    ])
  })
})
