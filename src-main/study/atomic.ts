/**
 * The study folder's crash-safe writes: files/atomic.ts, with messages that say "the study
 * folder" so a researcher knows which folder to fix.
 */
import * as atomic from '../files/atomic'

const place = 'study folder'

export const removeStaleTemps = atomic.removeStaleTemps

export function describeWriteError(file: string, err: unknown): Error {
  return atomic.describeWriteError(file, err, place)
}

export function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return atomic.writeFileAtomic(file, data, place)
}

export function appendLinesDurable(file: string, lines: readonly string[]): Promise<void> {
  return atomic.appendLinesDurable(file, lines, place)
}

export function ensureDir(dir: string): Promise<void> {
  return atomic.ensureDir(dir, place)
}
