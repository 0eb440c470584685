import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveWorkerFile, workerEntries } from '../../../src-main/process/fork'

const repo = resolve(__dirname, '../../..')

describe('worker entries', () => {
  it('every entry has its source and is a main input of electron.vite.config.ts under the same name', () => {
    const config = readFileSync(resolve(repo, 'electron.vite.config.ts'), 'utf8')
    for (const [name, file] of Object.entries(workerEntries)) {
      expect(existsSync(resolve(repo, 'src-main', file)), file).toBe(true)
      expect(config).toContain(`'${name}': 'src-main/${file}'`)
    }
    expect(resolveWorkerFile('preprocess-worker')).toMatch(/preprocess-worker(-entry\.ts|\.js)$/)
  })
})
