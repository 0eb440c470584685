/**
 * kill -9 at every write step of an import (each call that creates, writes, renames, truncates or
 * removes a file, counted by test/helpers/kill-at-step.ts), then a re-run of the same import:
 * the study must end exactly as after one uninterrupted import (subjects, scans, cache entries,
 * labels and their events, no debris left).
 */
import { spawnSync } from 'node:child_process'
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemoCohort } from '../../../src-main/demo/cohort'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor } from '../../../src-main/study/import/preprocess'
import { STUDY_JSON, createStudy, loadStudy } from '../../../src-main/study/study'

const repo = resolve(__dirname, '../../..')
const root = mkdtempSync(join(tmpdir(), 'tcgm-import-kill-'))
const cohort = join(root, 'cohort')
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

function child(study: string, env: Record<string, string>): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/helpers/kill-at-step.ts', 'test/main/study/import-child.ts', study, cohort], {
    cwd: repo,
    env: { ...process.env, LOG_LEVEL: 'silent', KILL_SCOPE: dirname(study), ...env },
    encoding: 'utf8',
    timeout: 60_000
  })
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) out.push(relative(dir, join(e.parentPath, e.name)))
  return out.sort()
}

/** Everything an import decides, without the times it ran at. */
async function state(study: string): Promise<unknown> {
  const s = await loadStudy(study)
  const { createdAt: _created, ...file } = s.file
  return {
    file,
    labels: [...s.labels].sort(),
    hidden: [...s.hidden].sort(),
    events: s.events.map(({ time: _time, ...e }) => e),
    files: await files(study)
  }
}

let steps = 0
let reference: unknown

beforeAll(async () => {
  await generateDemoCohort(cohort, { subjects: 2, seed: 3 })
  const ref = join(root, 'reference', 'study')
  const r = child(ref, { KILL_COUNT_FILE: join(root, 'steps') })
  expect(r.status, String(r.stderr)).toBe(0)
  steps = Number(await fsp.readFile(join(root, 'steps'), 'utf8'))
  reference = await state(ref)
})

describe('kill -9 during an import', () => {
  it('at every write step: a re-run ends in the same study as an uninterrupted import', async () => {
    expect(steps).toBeGreaterThan(10)
    const ref = reference as { events: unknown[]; labels: unknown[] }
    expect(ref.labels.length).toBe(2) // the source's diagnoses are part of the import
    let differing = 0
    for (let k = 1; k <= steps; k++) {
      const study = join(root, `killed-${k}`, 'study')
      const killed = child(study, { KILL_AT_STEP: String(k) })
      expect(killed.signal, `step ${k}: ${String(killed.stderr)}`).toBe('SIGKILL')
      // The re-run, as the CLI does it: create the study if it never got its study.json.
      if (
        !(await fsp.stat(join(study, STUDY_JSON)).then(
          () => true,
          () => false
        ))
      )
        await createStudy(study)
      await runImport(study, imagingPreprocessor, { source: cohort, concurrency: 1 })
      const got = await state(study)
      if (JSON.stringify(got) !== JSON.stringify(reference)) differing++
      expect(got, `killed before write step ${k} of ${steps}`).toEqual(reference)
      await fsp.rm(study, { recursive: true, force: true })
    }
    console.log(`import kill -9: ${steps} write steps, each killed and re-run; ${differing} ended differently`)
  }, 300_000)
})
