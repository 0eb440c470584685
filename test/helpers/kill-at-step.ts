/**
 * Preload for kill -9 tests (`node --import tsx --import ./kill-at-step.ts ...`): counts the
 * process's file-system write steps (every call that creates, writes, renames, truncates or
 * removes something) and, with KILL_AT_STEP=k, kills the process with SIGKILL just before the
 * k-th, as a power cut or kill -9 would. With KILL_COUNT_FILE the number of steps is written
 * there at exit (to learn how many steps an uninterrupted run takes). Only paths under
 * KILL_SCOPE (a folder) count, so writes of the loader (tsx's transform cache) never shift the
 * count. Test-only.
 */
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'

const killAt = Number(process.env.KILL_AT_STEP ?? 0)
const countFile = process.env.KILL_COUNT_FILE
const scope = process.env.KILL_SCOPE ?? ''
let steps = 0
/** The real writeFileSync, kept before patching, for the count file. */
const writeFileSync = fs.writeFileSync

function step(path: unknown): void {
  if (!String(path).startsWith(scope)) return
  steps++
  if (steps === killAt) process.kill(process.pid, 'SIGKILL')
}

const writeFlag = (flags: unknown): boolean => typeof flags === 'string' && /[wa+]/.test(flags)

const p = fs.promises as unknown as Record<string, (...a: unknown[]) => unknown>
for (const name of ['rename', 'truncate', 'mkdir', 'rm', 'rmdir', 'unlink', 'writeFile', 'appendFile', 'copyFile', 'symlink', 'link']) {
  const real = p[name]!
  p[name] = function (this: unknown, ...args: unknown[]) {
    step(args[0])
    return real.apply(this, args)
  }
}
const realOpen = p.open!
p.open = function (this: unknown, ...args: unknown[]) {
  if (writeFlag(args[1])) step(args[0])
  return realOpen.apply(this, args)
}
const s = fs as unknown as Record<string, (...a: unknown[]) => unknown>
for (const name of ['renameSync', 'truncateSync', 'mkdirSync', 'rmSync', 'unlinkSync', 'writeFileSync', 'appendFileSync']) {
  const real = s[name]!
  s[name] = function (this: unknown, ...args: unknown[]) {
    step(args[0])
    return real.apply(this, args)
  }
}
const realOpenSync = s.openSync!
s.openSync = function (this: unknown, ...args: unknown[]) {
  if (writeFlag(args[1])) step(args[0])
  return realOpenSync.apply(this, args)
}
syncBuiltinESMExports()

if (countFile) process.on('exit', () => writeFileSync(countFile, String(steps)))
