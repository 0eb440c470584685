/**
 * Atomic file replacement: write a temporary file beside the target, fsync it, rename it over
 * the target, then fsync the folder. After a crash or a kill the target holds either the old
 * or the new content, never a mix.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = dirname(file)
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    const why = err instanceof Error ? err.message : String(err)
    throw new Error(`could not write ${file}: ${why}`)
  }
  // Make the rename itself durable. Some platforms (Windows) cannot open a folder; the rename
  // is already done there, so this step is best effort.
  try {
    const dirHandle = await open(dir, 'r')
    try {
      await dirHandle.sync()
    } finally {
      await dirHandle.close()
    }
  } catch {
    /* folder fsync unsupported */
  }
}
