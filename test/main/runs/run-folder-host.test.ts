/**
 * A run's status.json names the machine of its writer: a run written on a cluster's compute node
 * is not declared interrupted from the login node because its pid is not running here.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runFolderSummary } from '../../../src-main/runs/read'

const root = mkdtempSync(join(tmpdir(), 'tcgm-run-host-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))
const deadPid = 2 ** 22 + 17

async function runWith(host: string | undefined): Promise<string> {
  const dir = mkdtempSync(join(root, 'run-'))
  await fsp.writeFile(
    join(dir, 'config.json'),
    JSON.stringify({
      id: 'cell',
      method: 'ce',
      preset: 'tiny',
      seeds: [0],
      epochs: 1,
      hyperparameters: {},
      train: {},
      createdAt: '2026-01-01T00:00:00Z',
      classNames: ['NC', 'AD']
    })
  )
  await fsp.writeFile(
    join(dir, 'status.json'),
    JSON.stringify({ status: 'running', message: null, pid: deadPid, ...(host ? { host } : {}), startedAt: '2026-01-01T00:00:00Z', finishedAt: null })
  )
  return dir
}

describe('a running run’s writer', () => {
  it('is checked by pid on this machine (and where no host was recorded)', async () => {
    expect((await runFolderSummary(await runWith(hostname()))).status).toBe('interrupted')
    expect((await runFolderSummary(await runWith(undefined))).status).toBe('interrupted')
  })

  it('is taken at its word on another machine, and says where', async () => {
    expect(await runFolderSummary(await runWith('node042'))).toMatchObject({ status: 'running', message: `running on node042 (process ${deadPid})` })
  })
})
