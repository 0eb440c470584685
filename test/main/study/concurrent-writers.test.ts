/**
 * Many writers on one study through two spellings of its folder (the real path and a symlink):
 * concurrent requests in this process and two other processes. Every acknowledged label event is
 * in the log exactly once, numbered 1..n without gaps or repeats, and the study opens.
 */
import { execFile } from 'node:child_process'
import { promises as fsp, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { readLabelLog, replayLabels } from '../../../src-main/study/labels'
import { createStudy, loadStudy, mutateStudy, saveStudyFile, setLabel } from '../../../src-main/study/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-writers-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
const run = promisify(execFile)

describe('concurrent writers on two spellings of one study', () => {
  it('lose and duplicate no label event, and the study opens', async () => {
    const dir = join(root, 'study')
    const alias = join(root, 'study-alias')
    await createStudy(dir)
    await mutateStudy(dir, async (s) => {
      for (let i = 0; i < 6; i++) s.file.subjects.push({ id: `S${i}`, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: {} })
      await saveStudyFile(s)
    })
    symlinkSync(dir, alias)

    const perChild = 15
    const children = [1, 2].map((tag) =>
      run(process.execPath, ['--import', 'tsx', resolve(__dirname, 'label-burst.ts'), tag === 1 ? alias : dir, '6', String(perChild), String(tag)], {
        cwd: resolve(__dirname, '../../..')
      })
    )
    // Here: 60 requests at once, alternating the spelling, then four lanes that keep writing until
    // both other processes have finished, so the writers overlap whenever the children start.
    const acked = (await Promise.all(Array.from({ length: 60 }, (_, k) => setLabel(k % 2 ? alias : `${dir}/`, `S${k % 6}`, k % 3 ? 'AD' : 'NC', 'here')))).map(
      (r) => r.seq
    )
    let childrenDone = false
    const others = Promise.all(children).finally(() => (childrenDone = true))
    const lanes = [alias, dir, alias, `${dir}/`].map(async (spelling, lane) => {
      for (let k = 0; !childrenDone; k++) acked.push((await setLabel(spelling, `S${(k + lane) % 6}`, k % 2 ? 'AD' : 'NC', 'lane')).seq)
    })
    const [outs] = await Promise.all([others, ...lanes])
    for (const c of outs) acked.push(...c.stdout.trim().split('\n').map(Number))

    const log = await readLabelLog(dir)
    expect(log.damaged).toBeNull()
    expect(acked.length).toBe(log.events.length)
    // Each acknowledged seq names one event, and no two writes got the same number.
    expect(new Set(acked).size).toBe(acked.length)
    expect(log.events.map((e) => e.seq)).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1))
    expect(log.events.filter((e) => e.source === 'here')).toHaveLength(60)
    expect(log.events.filter((e) => e.source === 'writer-1')).toHaveLength(perChild)
    expect(log.events.filter((e) => e.source === 'writer-2')).toHaveLength(perChild)
    // The study opens through either spelling, with labels = the replay of the log.
    for (const spelling of [dir, alias]) {
      const s = await loadStudy(spelling)
      expect(s.labels).toEqual(replayLabels(log.events))
    }
    await expect(fsp.stat(join(dir, '.lock'))).rejects.toThrow()
  })
})
