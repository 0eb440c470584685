/**
 * A second import into a study that has a split (issue 15, item 5): the new subjects are placed
 * into the split without moving anyone, stratified like it; a re-split leaves each earlier run
 * with the split it was made on (runs/<id>/split.json), so its results and resume do not change.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { placeIntoSplits, splitStrata } from '../../../src-main/study/splits'
import { loadStudyTrainingData } from '../../../src-main/runs/kinds/study'
import { runSplitAssignment } from '../../../src-main/runs/folder'
import { studySummary } from '../../../src-main/viewer/subjects'
import {
  applyLabels,
  createStudy,
  loadStudy,
  makeStudySplits,
  mutateStudy,
  placeNewSubjectsInSplit,
  saveStudyFile,
  simulateLabelRate
} from '../../../src-main/study/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-place-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

async function addSubjects(dir: string, ids: string[], label: (i: number) => string) {
  await mutateStudy(dir, async (s) => {
    for (const id of ids) s.file.subjects.push({ id, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: {} })
    await saveStudyFile(s)
  })
  await applyLabels(dir, new Map(ids.map((id, i) => [id, label(i)])), 'import:test')
}

describe('placing new subjects into the split', () => {
  it('keeps every assigned subject where it is and fills each stratum toward the split fractions', () => {
    const existing = new Map<string, 'train' | 'val' | 'test'>([
      ['a1', 'train'],
      ['a2', 'train'],
      ['a3', 'train'],
      ['a4', 'val'],
      ['a5', 'test']
    ])
    const strata = new Map([...existing.keys()].map((id) => [id, 'visible:AD']))
    const fresh = ['n1', 'n2', 'n3', 'n4', 'n5']
    for (const id of fresh) strata.set(id, 'visible:AD')
    const placed = placeIntoSplits(existing, [...existing.keys(), ...fresh], strata, 3, { train: 0.6, val: 0.2, test: 0.2 })
    expect([...placed.keys()].sort()).toEqual(fresh) // only the new ones
    const all = [...existing.values(), ...placed.values()]
    expect(all.filter((x) => x === 'train')).toHaveLength(6)
    expect(all.filter((x) => x === 'val')).toHaveLength(2)
    expect(all.filter((x) => x === 'test')).toHaveLength(2)
  })

  it('after a second import: summary counts the unsplit subjects, training refuses until they are placed, placing moves no one', async () => {
    const dir = join(root, 'study')
    await createStudy(dir)
    await addSubjects(
      dir,
      Array.from({ length: 40 }, (_, i) => `S${String(i).padStart(2, '0')}`),
      (i) => (i % 2 ? 'AD' : 'NC')
    )
    await simulateLabelRate(dir, 0.25, 1)
    await makeStudySplits(dir, 7)
    const before = { ...(await loadStudy(dir)).file.splits!.assignment }
    await addSubjects(dir, ['T1', 'T2', 'T3', 'T4', 'T5'], (i) => (i % 2 ? 'AD' : 'NC'))
    expect((await studySummary(dir)).unsplit).toBe(5)
    await expect(loadStudyTrainingData({ study: dir, preset: 'tiny', seed: 0 })).rejects.toThrow(
      /5 subject\(s\) were imported after the split .*place them into the split or make a new one/
    )

    const r = await placeNewSubjectsInSplit(dir)
    expect(r.placed.train + r.placed.val + r.placed.test).toBe(5)
    const after = (await loadStudy(dir)).file.splits!.assignment
    for (const [id, split] of Object.entries(before)) expect(after[id], id).toBe(split)
    expect(Object.keys(after)).toHaveLength(45)
    expect((await studySummary(dir)).unsplit).toBe(0)
    // Stratified: the split's strata are class x visibility, as when it was made.
    const s = await loadStudy(dir)
    expect(splitStrata(s.labels, s.hidden).size).toBe(45)
  })

  it('a run keeps the split it was made on after the study is split again', async () => {
    const dir = join(root, 'resplit')
    await createStudy(dir)
    await addSubjects(
      dir,
      Array.from({ length: 20 }, (_, i) => `S${i}`),
      (i) => (i % 2 ? 'AD' : 'NC')
    )
    await makeStudySplits(dir, 1)
    const old = (await loadStudy(dir)).file.splits!
    // What trainStudy saves in the run folder when the run starts.
    await fsp.mkdir(join(dir, 'runs', 'r1'), { recursive: true })
    await fsp.writeFile(join(dir, 'runs', 'r1', 'split.json'), JSON.stringify(old))
    await makeStudySplits(dir, 99)
    const now = (await loadStudy(dir)).file.splits!.assignment
    expect(now).not.toEqual(old.assignment)
    expect(await runSplitAssignment(dir, 'r1', now)).toEqual(old.assignment)
    // An older run without split.json reads the study's current split, as before.
    expect(await runSplitAssignment(dir, 'r0', now)).toEqual(now)
  })
})
