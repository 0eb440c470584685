import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importLabelFile } from '../../../src-main/study/label-import'
import { createStudy, loadStudy, mutateStudy, saveStudyFile } from '../../../src-main/study/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-labels-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
let n = 0

async function study(ids: string[]) {
  const dir = join(root, `s${n++}`)
  await createStudy(dir)
  await mutateStudy(dir, async (s) => {
    for (const id of ids) s.file.subjects.push({ id, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: {} })
    await saveStudyFile(s)
  })
  return dir
}

async function file(name: string, text: string) {
  const f = join(root, name)
  await fsp.writeFile(f, text)
  return f
}

describe('label import', () => {
  it('reads a semicolon CSV, maps CN/Dementia, reports unknown subjects and applies the rest', async () => {
    const dir = await study(['A', 'B', 'C'])
    const f = await file('l1.csv', 'participant_id;diagnosis\nA;CN\nB;Dementia\nZZ;AD\nC;MCI\n')
    const r = await importLabelFile(dir, f)
    expect(r).toMatchObject({ applied: 2, unknownSubjects: ['ZZ'] })
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(
      /'MCI' of C is not a class .*choose an MCI policy[\s\S]*1 subject\(s\) in the file are not in the study and were ignored: ZZ/
    )
    expect(Object.fromEntries((await loadStudy(dir)).labels)).toEqual({ A: 'NC', B: 'AD' })
  })

  // Changed on purpose: the message no longer quotes the header (a message never carries what a
  // file holds); it says how many columns the first line gave and with which delimiter.
  it('a file with an unusable delimiter says what was read, quotes nothing, and changes nothing', async () => {
    const dir = await study(['A'])
    const f = await file('l2.csv', 'participant_id|label\nA|AD\n')
    const err = await importLabelFile(dir, f).then(
      () => null,
      (e: Error) => e
    )
    expect(err?.message).toMatch(/no participant_id column .*among the 1 column\(s\) of its first line.*Use comma, tab or semicolon/)
    expect(err?.message).not.toContain('participant_id|label')
    expect((await loadStudy(dir)).events).toEqual([])
  })

  it('duplicate subjects with different labels are skipped and reported', async () => {
    const dir = await study(['A', 'B'])
    const f = await file('l3.tsv', 'participant_id\tlabel\nA\tAD\nA\tNC\nB\tNC\nB\tNC\n')
    const r = await importLabelFile(dir, f)
    expect(r.applied).toBe(1)
    expect(r.problems.map((p) => p.message)).toContain('A is listed more than once with different labels; skipped')
  })

  it('ADNIMERGE with the 36-month converter convention for MCI', async () => {
    const dir = await study(['001_S_0001', '001_S_0002', '001_S_0003', '001_S_0004', '001_S_0005'])
    const rows = [
      'PTID,VISCODE,DX_bl,DX,M',
      '001_S_0001,bl,CN,CN,0',
      '001_S_0002,bl,AD,Dementia,0',
      '001_S_0003,bl,LMCI,MCI,0', // converts at 24 months: pMCI -> AD
      '001_S_0003,m24,LMCI,Dementia,24',
      '001_S_0004,bl,EMCI,MCI,0', // stable through 48 months: sMCI -> NC
      '001_S_0004,m48,EMCI,MCI,48',
      '001_S_0005,bl,LMCI,MCI,0', // followed 12 months only: unresolved
      '001_S_0005,m12,LMCI,MCI,12'
    ]
    const f = await file('ADNIMERGE.csv', rows.join('\n') + '\n')
    const r = await importLabelFile(dir, f, { mci: 'converters-36m' })
    expect(r.applied).toBe(4)
    expect(Object.fromEntries((await loadStudy(dir)).labels)).toEqual({ '001_S_0001': 'NC', '001_S_0002': 'AD', '001_S_0003': 'AD', '001_S_0004': 'NC' })
    expect(r.problems.map((p) => p.message).join()).toMatch(/1 MCI subject\(s\) neither converted within 36 months nor followed 36 months/)
  })
})
