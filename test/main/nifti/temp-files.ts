/** A temporary folder per test file, removed afterwards, and a way to drop numbered files in it. */
import { afterAll, beforeAll } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function useTempFiles(prefix: string): { put(bytes: Uint8Array, ext?: string): string; dir(): string } {
  let dir = ''
  let counter = 0
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return {
    put(bytes, ext = '.nii') {
      const f = join(dir, `f${counter++}${ext}`)
      writeFileSync(f, bytes)
      return f
    },
    dir: () => dir
  }
}
