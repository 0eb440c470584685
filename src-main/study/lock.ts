/**
 * One writer at a time per study folder: an in-process queue (handlers of the app run
 * concurrently) plus a lock file `.lock` holding the writer's pid (the CLI and the app may point
 * at the same study). A lock left by a process that no longer exists is taken over.
 */
import { promises as fsp } from 'node:fs'
import { join, resolve } from 'node:path'
import { describeWriteError } from './atomic'

const queues = new Map<string, Promise<unknown>>()

/** Whether a process with this id exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function acquireFileLock(dir: string, timeoutMs: number): Promise<() => Promise<void>> {
  const file = join(dir, '.lock')
  const started = Date.now()
  for (;;) {
    try {
      const handle = await fsp.open(file, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return () => fsp.rm(file, { force: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw describeWriteError(file, err)
    }
    const holder = Number.parseInt(await fsp.readFile(file, 'utf8').catch(() => ''), 10)
    if (!Number.isFinite(holder) || holder === process.pid || !pidAlive(holder)) {
      // Stale (its writer died) or unreadable half-written lock: take it over.
      await fsp.rm(file, { force: true })
      continue
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`the study ${dir} is being changed by another process (pid ${holder}, lock file ${file}); try again when it has finished`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Runs `fn` holding the study's writer lock. */
export async function withStudyLock<T>(studyDir: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const key = resolve(studyDir)
  const previous = queues.get(key) ?? Promise.resolve()
  const run = previous.catch(() => undefined).then(async () => {
    const release = await acquireFileLock(key, timeoutMs)
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
