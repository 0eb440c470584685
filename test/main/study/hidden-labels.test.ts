/**
 * Labels hidden for evaluation stay hidden from the window (issue 15, item 1) and survive every
 * label action (item 2): the read models main sends leave them out, undo gives them back, redo
 * re-applies what undo reverted, and only the logged reveal request returns them.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REVEAL_LOG } from '../../../src-main/study/labels'
import { listSubjects, subjectDetail, studySummary } from '../../../src-main/viewer/subjects'
import {
  applyLabels,
  createStudy,
  hiddenLabels,
  loadStudy,
  mutateStudy,
  redoLabel,
  revealHiddenLabels,
  saveStudyFile,
  setLabel,
  simulateLabelRate,
  undoLabel
} from '../../../src-main/study/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-hidden-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
let n = 0

/** 20 subjects whose source metadata carries their diagnosis (as the demo's collection CSV does), 10 % visible. */
async function studyWithHiddenLabels() {
  const dir = join(root, `s${n++}`)
  await createStudy(dir)
  const truth = new Map<string, string>()
  await mutateStudy(dir, async (s) => {
    for (let i = 0; i < 20; i++) {
      const group = i < 8 ? 'AD' : 'NC'
      truth.set(`S${i}`, group)
      s.file.subjects.push({ id: `S${i}`, sessionId: 'ses-M00', group, sex: null, age: null, scans: {} })
    }
    await saveStudyFile(s)
  })
  await applyLabels(dir, truth, 'import:participants.tsv')
  await simulateLabelRate(dir, 0.1, 1)
  const s = await loadStudy(dir)
  const hidden = [...hiddenLabels(s).keys()]
  const visible = [...s.labels.keys()]
  return { dir, truth, hidden, visible }
}

describe('hidden labels in what main sends the window', () => {
  it('subjects.list leaves out the source group of hidden subjects and keeps it for visible ones', async () => {
    const { dir, truth, hidden, visible } = await studyWithHiddenLabels()
    expect(hidden.length).toBeGreaterThan(10)
    const { rows } = await listSubjects(dir)
    for (const r of rows) {
      if (hidden.includes(r.id)) expect(r, r.id).toMatchObject({ group: null, label: null, labelHidden: true })
      else expect(r, r.id).toMatchObject({ group: truth.get(r.id), label: truth.get(r.id), labelHidden: false })
    }
    // Nothing in the whole answer names a hidden subject's diagnosis.
    const text = JSON.stringify(rows.filter((r) => hidden.includes(r.id)))
    expect(text).not.toMatch(/"(AD|NC)"/)
    expect(visible.length).toBe(2)
  })

  it("subject.detail and the history redact a hidden subject's import and simulate events", async () => {
    const { dir, hidden } = await studyWithHiddenLabels()
    const d = await subjectDetail(dir, hidden[0]!)
    expect(d.row.group).toBeNull()
    expect(d.history.length).toBe(2) // import set + simulate clear
    for (const e of d.history) expect(e).toMatchObject({ label: null, previous: null, redacted: true })
  })

  it('counts use visible labels only', async () => {
    const { dir, hidden } = await studyWithHiddenLabels()
    const sum = await studySummary(dir)
    expect(sum.counts.labelled).toBe(2)
    expect(sum.counts.hidden).toBe(hidden.length)
    expect(Object.values(sum.counts.labelledByClass).reduce((a, b) => a + b, 0)).toBe(2)
  })

  it('reveal is the one request that returns them, and it is logged in the study', async () => {
    const { dir, truth, hidden } = await studyWithHiddenLabels()
    await expect(fsp.stat(join(dir, REVEAL_LOG))).rejects.toThrow()
    const r = await revealHiddenLabels(dir)
    expect(Object.fromEntries(r.labels)).toEqual(Object.fromEntries(hidden.map((id) => [id, truth.get(id)])))
    expect(r.groups.get(hidden[0]!)).toBe(truth.get(hidden[0]!))
    const log = (await fsp.readFile(join(dir, REVEAL_LOG), 'utf8')).trim().split('\n')
    expect(log).toHaveLength(2)
    expect(log[1]).toBe(`${r.time}\t${hidden.length}\tuser`)
  })
})

describe('undo and redo keep the evaluation label', () => {
  it('labelling a hidden subject and undoing restores exactly the previous state, hidden label included', async () => {
    const { dir, truth, hidden } = await studyWithHiddenLabels()
    const id = hidden[0]!
    const before = await loadStudy(dir)
    const wrong = truth.get(id) === 'AD' ? 'NC' : 'AD'
    await setLabel(dir, id, wrong)
    const labelled = await loadStudy(dir)
    expect(labelled.labels.get(id)).toBe(wrong)
    expect(hiddenLabels(labelled).has(id)).toBe(false) // visible now, not counted as hidden
    await undoLabel(dir)
    const after = await loadStudy(dir)
    expect(after.labels.has(id)).toBe(false)
    expect(hiddenLabels(after)).toEqual(hiddenLabels(before))
    expect(after.hidden.get(id)).toBe(truth.get(id)) // what the export's true_label reads
    expect((await listSubjects(dir)).rows.find((r) => r.id === id)).toMatchObject({ labelHidden: true, group: null })
  })

  it('redo re-applies what undo reverted, step by step, and a new label ends the redo chain', async () => {
    const { dir, visible, hidden } = await studyWithHiddenLabels()
    const [a, b] = [hidden[0]!, hidden[1]!]
    await setLabel(dir, a, 'AD')
    await setLabel(dir, b, 'NC')
    expect((await undoLabel(dir))!.change).toMatchObject({ subject: b, label: null })
    expect((await undoLabel(dir))!.change).toMatchObject({ subject: a, label: null })
    expect((await redoLabel(dir))!.change).toMatchObject({ subject: a, label: 'AD' })
    expect((await redoLabel(dir))!.change).toMatchObject({ subject: b, label: 'NC' })
    expect(await redoLabel(dir)).toBeNull()
    // Undo after a redo reverts the redone change.
    expect((await undoLabel(dir))!.change).toMatchObject({ subject: b, label: null })
    await setLabel(dir, visible[0]!, 'AD')
    expect(await redoLabel(dir)).toBeNull()
  })
})
