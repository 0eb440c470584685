/**
 * Crash-safe file writes for the study folder: a reader (or a reopen after kill -9 / power loss)
 * sees either the old file or the new one, never a half-written one.
 *
 * writeFileAtomic: temp file in the same folder, write, fsync, rename over the target, fsync the
 * folder (so the rename itself is durable). appendLineDurable: one write() of a whole line, then
 * fsync; a torn last line (no trailing newline) is what a reader must ignore.
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Turns a Node fs error into a sentence naming the file and the likely cause. */
export function describeWriteError(file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code
  const why =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'the study folder is read-only or not writable by this user'
      : code === 'ENOSPC'
        ? 'the disk is full'
        : code === 'ENOENT'
          ? 'the folder does not exist'
          : err instanceof Error
            ? err.message
            : String(err)
  const e = new Error(`cannot write ${file}: ${why}${code ? ` (${code})` : ''}; nothing was changed`)
  ;(e as NodeJS.ErrnoException).code = code
  return e
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(dir, 'r')
    await handle.sync()
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
  } finally {
    await handle?.close()
  }
}

/** Replaces `file` with `data` atomically (see module doc). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(file)
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(tmp, 'wx')
    await handle.writeFile(data)
    await handle.sync()
    await handle.close()
    handle = undefined
    await fsp.rename(tmp, file)
  } catch (err) {
    await handle?.close().catch(() => undefined)
    await fsp.rm(tmp, { force: true }).catch(() => undefined)
    throw describeWriteError(file, err)
  }
  await fsyncDir(dir)
}

/** Appends whole lines (each gets a trailing newline) with a single write, then fsyncs. */
export async function appendLinesDurable(file: string, lines: readonly string[]): Promise<void> {
  if (lines.some((l) => l.includes('\n'))) throw new Error(`appendLinesDurable(${file}): a line must not contain a newline`)
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(file, 'a')
    await handle.write(lines.map((l) => l + '\n').join(''))
    await handle.sync()
  } catch (err) {
    throw describeWriteError(file, err)
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/** Creates a folder (and parents), naming the folder when that fails. */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true })
  } catch (err) {
    throw describeWriteError(dir, err)
  }
}

/** Removes temp files an interrupted writeFileAtomic may have left in `dir`. */
export async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch {
    return
  }
  await Promise.all(names.filter((n) => n.startsWith('.') && n.endsWith('.tmp')).map((n) => fsp.rm(join(dir, n), { force: true }).catch(() => undefined)))
}
