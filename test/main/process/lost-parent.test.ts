/**
 * A worker whose parent dies (kill -9) while it is sending ends quietly: no uncaught
 * `write EPIPE` stack trace on its stderr (what each modality worker printed when its training
 * worker died).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'tcgm-lost-parent-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('a worker that loses its parent', () => {
  it('ends without an uncaught EPIPE', async () => {
    const errFile = join(dir, 'worker.err')
    const middle = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'middle.ts'), errFile], { stdio: ['ignore', 'pipe', 'inherit'] })
    const pid = await new Promise<number>((ok) => middle.stdout.once('data', (d: Buffer) => ok(Number(d.toString().trim()))))
    // Let messages pile up in flight, then pull the pipe from under them.
    await new Promise((r) => setTimeout(r, 400))
    middle.kill('SIGKILL')
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50))
    expect(alive(pid)).toBe(false)
    const stderr = readFileSync(errFile, 'utf8')
    expect(stderr).not.toMatch(/EPIPE|ERR_IPC|Unhandled|Error/)
  }, 30_000)
})
