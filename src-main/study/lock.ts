/**
 * One writer at a time per study folder: an in-process queue (handlers of the app run
 * concurrently) plus a lock file `.lock` holding the writer's pid and this process's instance
 * token (the CLI and the app may point at the same study).
 *
 * Both are keyed by the folder itself, not by how its path is spelled: the queue by the folder's
 * identity (device and inode), so a symlink, a second spelling or a case-insensitive file system
 * all reach the same queue; the lock file lives in the folder. A lock file of another process is
 * taken over only when that process no longer exists; one of this process is never taken over
 * while this process holds the lock (a request arriving through another spelling waits).
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join, resolve } from 'node:path'
import { describeWriteError } from './atomic'

const queues = new Map<string, Promise<unknown>>()
/** Identities of the folders whose lock file this process holds now. */
const heldHere = new Set<string>()
/** Tells this process's lock files from those a previous process with the same pid left. */
const instance = randomBytes(6).toString('hex')

/** Whether a process with this id exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The folder's identity: one key however its path is spelled. */
async function folderIdentity(dir: string): Promise<string> {
  try {
    const st = await fsp.stat(dir, { bigint: true })
    return `${st.dev}:${st.ino}`
  } catch (err) {
    throw new Error(`cannot lock the study ${dir}: ${(err as Error).message}`, { cause: err })
  }
}

interface Holder {
  pid: number
  instance: string | null
}

function parseHolder(text: string): Holder | null {
  const [pid, token] = text.trim().split(/\s+/)
  const n = Number.parseInt(pid ?? '', 10)
  return Number.isFinite(n) && n > 0 ? { pid: n, instance: token ?? null } : null
}

/** Whether the lock file's writer is gone (its process died, or it is this process's pid from an
 *  earlier run, which this process does not hold). */
function isStale(holder: Holder | null, identity: string): boolean {
  if (holder === null) return true // unreadable (see olderThan)
  if (holder.pid === process.pid) return holder.instance !== instance || !heldHere.has(identity)
  return !pidAlive(holder.pid)
}

/**
 * Removes a stale lock file. Takeovers are serialised by `.lock.takeover` (created exclusively)
 * and the holder is read again under it, so two processes that both saw the same stale lock
 * cannot remove a fresh lock the faster one has just taken.
 */
async function takeOver(file: string, identity: string): Promise<void> {
  const guard = file + '.takeover'
  try {
    await (await fsp.open(guard, 'wx')).close()
  } catch {
    // Another process is taking over; a guard older than a few seconds was left by a kill.
    const st = await fsp.stat(guard).catch(() => null)
    if (st && Date.now() - st.mtimeMs > 5000) await fsp.rm(guard, { force: true })
    return
  }
  try {
    const holder = parseHolder(await fsp.readFile(file, 'utf8').catch(() => ''))
    if (isStale(holder, identity) && (holder !== null || (await olderThan(file, 2000)))) await fsp.rm(file, { force: true })
  } finally {
    await fsp.rm(guard, { force: true })
  }
}

/** Lock files written and linked into place by {@link acquireFileLock}: `.lock.<pid>.<hex>`. */
const LOCK_TEMP = /^\.lock\.(\d+)\.[0-9a-f]+$/

/** Removes the lock temp files of processes that died between writing and linking one. */
async function removeDeadLockTemps(dir: string): Promise<void> {
  const names = await fsp.readdir(dir).catch(() => [] as string[])
  for (const name of names) {
    const m = LOCK_TEMP.exec(name)
    if (m && !pidAlive(Number(m[1]))) await fsp.rm(join(dir, name), { force: true }).catch(() => undefined)
  }
}

async function acquireFileLock(dir: string, identity: string, timeoutMs: number): Promise<() => Promise<void>> {
  const file = join(dir, '.lock')
  const started = Date.now()
  for (;;) {
    // The lock file appears whole: written beside it, then linked into place (link fails when
    // the lock exists). Created empty and then written, a reader in between saw no holder and
    // took over a live lock.
    const tmp = join(dir, `.lock.${process.pid}.${randomBytes(4).toString('hex')}`)
    let taken = false
    try {
      await fsp.writeFile(tmp, `${process.pid} ${instance}\n`, { flag: 'wx' })
      await fsp.link(tmp, file)
      taken = true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw describeWriteError(file, err)
    } finally {
      await fsp.rm(tmp, { force: true }).catch(() => undefined)
    }
    if (taken) {
      heldHere.add(identity)
      await removeDeadLockTemps(dir)
      return async () => {
        heldHere.delete(identity)
        await fsp.rm(file, { force: true })
      }
    }
    const holder = parseHolder(await fsp.readFile(file, 'utf8').catch(() => ''))
    if (isStale(holder, identity) && (holder !== null || (await olderThan(file, 2000)))) {
      await takeOver(file, identity)
      continue
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `the study ${dir} is being changed by another process (pid ${holder?.pid ?? 'unknown'}, lock file ${file}); try again when it has finished`
      )
    }
    await new Promise((r) => setTimeout(r, 25 + Math.random() * 50))
  }
}

/** An unreadable lock file is taken over only once it is old: a writer of an earlier version
 *  created it empty and may be writing its pid right now. */
async function olderThan(file: string, ms: number): Promise<boolean> {
  const st = await fsp.stat(file).catch(() => null)
  return st === null || Date.now() - st.mtimeMs > ms
}

/** Runs `fn` holding the study's writer lock. */
export async function withStudyLock<T>(studyDir: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const dir = resolve(studyDir)
  const key = await folderIdentity(dir)
  const previous = queues.get(key) ?? Promise.resolve()
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      const release = await acquireFileLock(dir, key, timeoutMs)
      try {
        return await fn()
      } finally {
        await release().catch(() => undefined)
      }
    })
  queues.set(key, run)
  try {
    return await run
  } finally {
    if (queues.get(key) === run) queues.delete(key)
  }
}
