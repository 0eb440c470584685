/**
 * Crash-safe file writes (study folder, NIfTI outputs, checkpoints, app settings): a reader (or a reopen after kill -9 / power loss)
 * sees either the old file or the new one, never a half-written one.
 *
 * writeFileAtomic: temp file in the same folder, write, fsync, rename over the target, fsync the
 * folder (so the rename itself is durable). appendLineDurable: one write() of a whole line, then
 * fsync; a torn last line (no trailing newline) is what a reader must ignore.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, promises as fsp, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { refuseSpecialFolder } from './allowed-roots'

/** Turns a Node fs error into a sentence naming the file and the likely cause. */
/** `place` names what holds the file in the message ("study folder", "export folder"). */
export function describeWriteError(file: string, err: unknown, place = 'folder'): Error {
  const code = (err as NodeJS.ErrnoException)?.code
  const why =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `the ${place} is read-only or not writable by this user`
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
export async function writeFileAtomic(file: string, data: string | Uint8Array, place = 'folder'): Promise<void> {
  const dir = dirname(file)
  const tmp = tempPathFor(file)
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
    throw describeWriteError(file, err, place)
  }
  await fsyncDir(dir)
}

function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
}

/** Synchronous `writeFileAtomic`, for code that must not yield between steps (checkpoints
 *  written inside the training loop). Same guarantees and the same error messages. */
export function writeFileAtomicSync(file: string, data: Uint8Array, place = 'folder'): void {
  const dir = dirname(file)
  const tmp = tempPathFor(file)
  let fd: number | undefined
  try {
    fd = openSync(tmp, 'wx')
    let off = 0
    while (off < data.length) off += writeSync(fd, data, off, data.length - off)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(tmp, file)
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    rmSync(tmp, { force: true })
    throw describeWriteError(file, err, place)
  }
  try {
    const dfd = openSync(dir, 'r')
    try {
      fsyncSync(dfd)
    } finally {
      closeSync(dfd)
    }
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
  }
}

/** Appends whole lines (each gets a trailing newline) with a single write, then fsyncs. */
export async function appendLinesDurable(file: string, lines: readonly string[], place = 'folder'): Promise<void> {
  if (lines.some((l) => l.includes('\n'))) throw new Error(`appendLinesDurable(${file}): a line must not contain a newline`)
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(file, 'a')
    await handle.write(lines.map((l) => l + '\n').join(''))
    await handle.sync()
  } catch (err) {
    throw describeWriteError(file, err, place)
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/** Creates a folder (and parents), naming the folder when that fails. */
export async function ensureDir(dir: string, place = 'folder'): Promise<void> {
  await refuseSpecialFolder(dir)
  try {
    await fsp.mkdir(dir, { recursive: true })
  } catch (err) {
    throw describeWriteError(dir, err, place)
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
