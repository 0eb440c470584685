/**
 * Atomic checkpoint files: write a temporary file, fsync it, rename it over the target, fsync the
 * directory. A crash or a kill at any moment leaves either the old file or the new one, never a
 * half-written one. Contents are any structured-clone value (typed arrays included), serialised
 * with node:v8 behind a magic header and a format version.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { writeFileAtomicSync } from '../../files/atomic'
import { dirname } from 'node:path'
import { deserialize, serialize } from 'node:v8'

const MAGIC = Buffer.from('TCGMCKPT', 'latin1')
export const CHECKPOINT_FORMAT_VERSION = 1

export function writeCheckpoint(path: string, value: unknown): void {
  const header = Buffer.alloc(MAGIC.length + 4)
  MAGIC.copy(header, 0)
  header.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, MAGIC.length)
  mkdirSync(dirname(path), { recursive: true })
  writeFileAtomicSync(path, Buffer.concat([header, serialize(value)]))
}

/** Reads a checkpoint; null when the file does not exist. */
export function readCheckpoint<T>(path: string): T | null {
  if (!existsSync(path)) return null
  const buf = readFileSync(path)
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error(`readCheckpoint: ${path} is not a TCGM checkpoint (bad magic header)`)
  }
  const version = buf.readUInt32LE(MAGIC.length)
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`readCheckpoint: ${path} has format version ${version}; this build reads version ${CHECKPOINT_FORMAT_VERSION}`)
  }
  try {
    return deserialize(buf.subarray(MAGIC.length + 4)) as T
  } catch (err) {
    throw new Error(`readCheckpoint: ${path} is corrupt: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}
