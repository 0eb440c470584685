/** The command line explains itself: `<command> --help` prints its usage (it was refused as an
 *  unknown option), and a crashed training run says the command that continues it. */
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resumeHint } from '../../../src-main/runs/worker/client'

const repo = resolve(__dirname, '../../..')

describe('cli', () => {
  it('prints the usage of import, label, train, export and demo for --help and -h', () => {
    for (const command of ['import', 'label', 'train', 'export', 'demo']) {
      for (const flag of ['--help', '-h']) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli.ts', command, flag], { cwd: repo, encoding: 'utf8', timeout: 60_000 })
        expect(r.status, `${command} ${flag}: ${r.stderr}`).toBe(0)
        expect(r.stdout.startsWith(`usage: ${command} `), r.stdout).toBe(true)
      }
    }
  }, 120_000)

  it("names the resume command for a crashed study run, by the run's id", () => {
    expect(resumeHint({ kind: 'study', runDir: '/data/study/runs/20260101-120000-tcgm-ab12/seed-0' })).toBe(
      "continue it with: npm run cli -- train --study /data/study --resume 20260101-120000-tcgm-ab12 (or Resume in the window's Results view)"
    )
    expect(resumeHint({ kind: 'gaussian-sim', runDir: '/tmp/sim' })).toMatch(/same command again with resume/)
  })
})
