import { execFileSync, fork } from 'node:child_process'
import { promises as fsp, existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../../src-main/study/atomic'
import { DAMAGED_LOG_PREFIX, LABEL_LOG, readLabelLog, replayLabels } from '../../../src-main/study/labels'
import { STUDY_SCHEMA_VERSION } from '../../../src-main/study/schema'
import {
  STUDY_JSON,
  applyLabels,
  createStudy,
  loadStudy,
  makeStudySplits,
  mutateStudy,
  repairStudy,
  saveStudyFile,
  setLabel,
  simulateLabelRate,
  undoLabel
} from '../../../src-main/study/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-study-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
let n = 0
const fresh = () => join(root, `s${n++}`)

async function studyWithSubjects(count: number) {
  const dir = fresh()
  await createStudy(dir)
  await mutateStudy(dir, async (s) => {
    for (let i = 0; i < count; i++) s.file.subjects.push({ id: `S${i}`, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: {} })
    await saveStudyFile(s)
  })
  return dir
}

describe('study folder', () => {
  it('creates, reopens, and refuses a second create or a non-empty folder', async () => {
    const dir = fresh()
    const s = await createStudy(dir, { name: 'mine' })
    expect(s.file.settings.classNames).toEqual(['NC', 'AD'])
    const again = await loadStudy(dir)
    expect(again.file.name).toBe('mine')
    await expect(createStudy(dir)).rejects.toThrow(/already holds a study/)
    const other = fresh()
    await fsp.mkdir(other)
    await fsp.writeFile(join(other, 'x.txt'), 'x')
    await expect(createStudy(other)).rejects.toThrow(/not empty/)
  })

  it('says exactly why a study cannot be opened', async () => {
    const dir = await studyWithSubjects(1)
    const file = join(dir, STUDY_JSON)
    const good = await fsp.readFile(file, 'utf8')
    await fsp.writeFile(file, JSON.stringify({ ...JSON.parse(good), schemaVersion: STUDY_SCHEMA_VERSION + 5 }))
    await expect(loadStudy(dir)).rejects.toThrow(/newer version of TCGM Lab \(schemaVersion 6; this version reads up to 1\)/)
    await fsp.writeFile(file, good.slice(0, 40))
    await expect(loadStudy(dir)).rejects.toThrow(/study.json is not valid JSON/)
    await fsp.writeFile(file, JSON.stringify({ ...JSON.parse(good), subjects: [{ id: 'A' }] }))
    await expect(loadStudy(dir)).rejects.toThrow(/damaged: field 'subjects.0.sessionId'/)
    await expect(loadStudy(join(root, 'nope'))).rejects.toThrow(/not a study folder: study.json not found/)
  })

  it('atomic writes leave the old file when the write fails, and no temp file', async () => {
    const dir = fresh()
    await fsp.mkdir(dir)
    const file = join(dir, 'a.txt')
    await writeFileAtomic(file, 'old')
    // A directory where the temp file's target is makes rename fail: the old content must stay.
    const blocked = join(dir, 'b')
    await fsp.mkdir(join(blocked, 'inside'), { recursive: true })
    await expect(writeFileAtomic(blocked, 'new')).rejects.toThrow(/cannot write .*b/)
    expect(await fsp.readFile(file, 'utf8')).toBe('old')
    expect((await fsp.readdir(dir)).filter((x) => x.endsWith('.tmp'))).toEqual([])
  })

  it('sets, clears, undoes labels; history and snapshot follow the log', async () => {
    const dir = await studyWithSubjects(3)
    await setLabel(dir, 'S0', 'AD')
    await setLabel(dir, 'S1', 'NC')
    await setLabel(dir, 'S0', 'NC')
    await setLabel(dir, 'S1', null)
    await expect(setLabel(dir, 'S9', 'AD')).rejects.toThrow(/subject S9 is not in the study/)
    await expect(setLabel(dir, 'S0', 'MCI')).rejects.toThrow(/'MCI' is not a class of this study \(classes: NC, AD\)/)
    let s = await loadStudy(dir)
    expect(Object.fromEntries(s.labels)).toEqual({ S0: 'NC' })
    const u1 = await undoLabel(dir) // restores S1 = NC
    expect(u1?.change).toMatchObject({ subject: 'S1', label: 'NC' })
    const u2 = await undoLabel(dir) // S0 back to AD
    expect(u2?.change).toMatchObject({ subject: 'S0', label: 'AD' })
    s = await loadStudy(dir)
    expect(Object.fromEntries(s.labels)).toEqual({ S0: 'AD', S1: 'NC' })
    expect(s.events.map((e) => e.action)).toEqual(['set', 'set', 'set', 'clear', 'undo', 'undo'])
    expect(await fsp.readFile(join(dir, 'labels.tsv'), 'utf8')).toBe('participant_id\tlabel\nS0\tAD\nS1\tNC\n')
  })

  it('repairs a torn last log line and a stale labels.tsv', async () => {
    const dir = await studyWithSubjects(2)
    await setLabel(dir, 'S0', 'AD')
    await fsp.appendFile(join(dir, LABEL_LOG), '2\t2026-01-01T00:00:00Z\tset\tS1\tN') // torn
    await fsp.writeFile(join(dir, 'labels.tsv'), 'participant_id\tlabel\n')
    const read = await readLabelLog(dir)
    expect(read.events).toHaveLength(1)
    await setLabel(dir, 'S1', 'NC')
    const s = await loadStudy(dir)
    expect(s.events.map((e) => e.seq)).toEqual([1, 2])
    expect(Object.fromEntries(s.labels)).toEqual({ S0: 'AD', S1: 'NC' })
    expect(await fsp.readFile(join(dir, 'labels.tsv'), 'utf8')).toContain('S0\tAD')
  })

  it('simulated label rate keeps a stratified subset visible, hidden labels are never lost', async () => {
    const dir = await studyWithSubjects(40)
    const truth = new Map<string, string>()
    for (let i = 0; i < 40; i++) truth.set(`S${i}`, i < 16 ? 'AD' : 'NC')
    await applyLabels(dir, truth, 'import:test')
    const r = await simulateLabelRate(dir, 0.25, 3)
    expect(r).toEqual({ visible: 10, hidden: 30, visibleByClass: { NC: 6, AD: 4 } })
    const again = await simulateLabelRate(dir, 0.5, 4) // from the full set, not from the 10 visible
    expect(again.visible).toBe(20)
    const s = await loadStudy(dir)
    const all = new Map([...s.hidden, ...s.labels])
    expect(all).toEqual(truth)
    for (const id of s.labels.keys()) expect(s.hidden.has(id)).toBe(false)
  })

  it('splits are stratified, seeded, and never overlap', async () => {
    const dir = await studyWithSubjects(50)
    const truth = new Map<string, string>()
    for (let i = 0; i < 50; i++) truth.set(`S${i}`, i % 5 < 2 ? 'AD' : 'NC')
    await applyLabels(dir, truth, 'import:test')
    const counts = await makeStudySplits(dir, 7)
    expect(counts).toEqual({ train: 30, val: 10, test: 10 })
    const a = (await loadStudy(dir)).file.splits!.assignment
    expect(Object.keys(a).sort()).toEqual([...truth.keys()].sort())
    const adInTest = Object.entries(a).filter(([id, sp]) => sp === 'test' && truth.get(id) === 'AD').length
    expect(adInTest).toBe(4)
    await makeStudySplits(dir, 7)
    expect((await loadStudy(dir)).file.splits!.assignment).toEqual(a)
    // With a simulated label rate, each split gets its share of the visible labels of each class.
    await simulateLabelRate(dir, 0.4, 2)
    await makeStudySplits(dir, 7)
    const s = await loadStudy(dir)
    const visibleIn = (split: string, cls: string) => [...s.labels].filter(([id, l]) => l === cls && s.file.splits!.assignment[id] === split).length
    expect([visibleIn('train', 'NC'), visibleIn('val', 'NC'), visibleIn('test', 'NC')]).toEqual([7, 3, 2])
    expect([visibleIn('train', 'AD'), visibleIn('val', 'AD'), visibleIn('test', 'AD')]).toEqual([5, 2, 1])
  })

  it('a read-only study folder gives a clear message and changes nothing', async () => {
    const dir = await studyWithSubjects(2)
    await setLabel(dir, 'S0', 'AD')
    const before = await Promise.all(['study.json', 'labels.tsv', LABEL_LOG].map((f) => fsp.readFile(join(dir, f), 'utf8')))
    // chmod is ignored for root (CI containers): fall back to the immutable attribute there.
    await fsp.chmod(dir, 0o555)
    let undo = () => fsp.chmod(dir, 0o755)
    const writable = await fsp.writeFile(join(dir, 'probe'), '').then(
      () => fsp.rm(join(dir, 'probe')).then(() => true),
      () => false
    )
    if (writable) {
      try {
        execFileSync('chattr', ['+i', dir], { stdio: 'ignore' })
        undo = async () => {
          execFileSync('chattr', ['-i', dir])
        }
      } catch {
        await undo()
        console.warn('read-only test skipped: neither chmod nor chattr can make a folder read-only here')
        return
      }
    }
    try {
      await expect(setLabel(dir, 'S1', 'NC')).rejects.toThrow(/cannot write .*: the study folder is read-only or not writable by this user/)
      await expect(makeStudySplits(dir, 1)).rejects.toThrow(/read-only/)
    } finally {
      await undo()
    }
    const after = await Promise.all(['study.json', 'labels.tsv', LABEL_LOG].map((f) => fsp.readFile(join(dir, f), 'utf8')))
    expect(after).toEqual(before)
  })

  it('kill -9 while writing labels in a loop: reopen shows a consistent prefix', async () => {
    const dir = await studyWithSubjects(5)
    const child = fork(resolve(__dirname, 'label-writer.ts'), [dir, '5'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    let acked = 0
    await new Promise<void>((done) => {
      child.stdout!.on('data', (d: Buffer) => {
        const seqs = d.toString().trim().split('\n').map(Number)
        acked = Math.max(acked, ...seqs)
        if (acked >= 25) {
          child.kill('SIGKILL')
          done()
        }
      })
    })
    await new Promise((r) => child.on('exit', r))
    const log = await readLabelLog(dir)
    // Every acknowledged write is there; the log is 1..k without gaps; labels = replay of steps 1..k.
    expect(log.events.length).toBeGreaterThanOrEqual(acked)
    const expected = new Map<string, string>()
    log.events.forEach((e, i) => {
      const k = i + 1
      expect(e.seq).toBe(k)
      expect(e.subject).toBe(`S${k % 5}`)
      expect(e.label).toBe(k % 2 ? 'AD' : 'NC')
      expected.set(`S${k % 5}`, k % 2 ? 'AD' : 'NC')
    })
    expect(replayLabels(log.events)).toEqual(expected)
    // The next writer takes over the dead writer's lock and continues the sequence.
    const r = await setLabel(dir, 'S0', 'AD')
    expect(r.seq).toBe(log.events.length + 1)
    expect(existsSync(join(dir, '.lock'))).toBe(false)
  })

  it('a label log with a damaged tail opens; the tail is set aside, unchanged, with a notice', async () => {
    const dir = await studyWithSubjects(3)
    await setLabel(dir, 'S0', 'AD')
    await setLabel(dir, 'S1', 'NC')
    const file = join(dir, LABEL_LOG)
    const good = await fsp.readFile(file, 'utf8')
    // What two writers racing past the lock used to leave: a repeated event number, then more.
    const tail = `2\t2026-01-01T00:00:00.000Z\tset\tS2\tAD\t\t\tuser\n3\t2026-01-01T00:00:01.000Z\tset\tS0\tNC\tAD\t\tuser\nnot an event\n`
    await fsp.appendFile(file, tail)
    const read = await loadStudy(dir)
    expect(read.events.map((e) => e.seq)).toEqual([1, 2])
    expect(read.labels).toEqual(
      new Map([
        ['S0', 'AD'],
        ['S1', 'NC']
      ])
    )
    expect(read.damagedLog).toMatchObject({ line: 4, lines: 3 })

    const notices = await repairStudy(dir)
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/line 4: event number 2 where 3 was expected; that line and the 2 after it were set aside/)
    const aside = (await fsp.readdir(dir)).filter((n) => n.startsWith(DAMAGED_LOG_PREFIX))
    expect(aside).toHaveLength(1)
    expect(notices[0]).toContain(join(dir, aside[0]!))
    expect((await fsp.readFile(join(dir, aside[0]!), 'utf8')).split('\n').slice(1).join('\n')).toBe(tail)
    expect(await fsp.readFile(file, 'utf8')).toBe(good)
    // The next writer continues the good sequence.
    expect((await setLabel(dir, 'S2', 'AD')).seq).toBe(3)
    expect(await repairStudy(dir)).toEqual([])
  })
})
