/**
 * One file per ModelState (weights, optimiser moments, RNG state, architecture), the same on
 * every backend:
 *
 *   bytes 0-7   "TCGMSTv1"
 *   bytes 8-11  header length L (uint32, little-endian)
 *   bytes 12..  UTF-8 JSON header { meta, tensors: [{ name, shape, offset }] }, padded with
 *               spaces so that the data starts on a multiple of 4
 *   then        float32 little-endian values, tensor after tensor (offset in values)
 *
 * Written atomically (temporary file, fsync, rename), so a crash never leaves half a checkpoint.
 */
import { readFileSync } from 'node:fs'
import { writeFileAtomicSync } from '../files/atomic'
import type { ModelState } from '../train/modality-model'

const MAGIC = 'TCGMSTv1'

interface Header {
  meta: Record<string, unknown>
  tensors: { name: string; shape: number[]; offset: number }[]
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export function encodeModelState(state: ModelState): Buffer {
  const names = Object.keys(state.tensors)
  let offset = 0
  const header: Header = { meta: state.meta, tensors: [] }
  for (const name of names) {
    const { shape, data } = state.tensors[name]
    const size = shape.reduce((a, b) => a * b, 1)
    if (size !== data.length) throw new Error(`encodeModelState: tensor '${name}' has ${data.length} values but shape [${shape}]`)
    header.tensors.push({ name, shape, offset })
    offset += size
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8')
  const pad = (4 - ((12 + json.length) % 4)) % 4
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)])
  const out = Buffer.alloc(12 + json.length + offset * 4)
  out.write(MAGIC, 0, 'latin1')
  out.writeUInt32LE(json.length, 8)
  json.copy(out, 12)
  const values = new Float32Array(out.buffer, out.byteOffset + 12 + json.length, offset)
  for (const t of header.tensors) values.set(state.tensors[t.name].data, t.offset)
  if (!littleEndian) for (let i = 0; i < offset; i++) out.writeFloatLE(values[i], 12 + json.length + 4 * i)
  return out
}

/** @param source names the file in error messages. */
export function decodeModelState(buf: Buffer, source: string): ModelState {
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${source}: not a TCGM model state file (bad magic)`)
  const len = buf.readUInt32LE(8)
  if (12 + len > buf.length) throw new Error(`${source}: header length ${len} runs past the end of the file (${buf.length} bytes)`)
  let header: Header
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as Header
  } catch (e) {
    throw new Error(`${source}: unreadable header (${(e as Error).message})`)
  }
  if (!header || typeof header.meta !== 'object' || !Array.isArray(header.tensors)) throw new Error(`${source}: header lacks meta or tensors`)
  const dataStart = 12 + len
  const count = (buf.length - dataStart) / 4
  if (!Number.isInteger(count)) throw new Error(`${source}: data section is not a whole number of float32 values`)
  const tensors: ModelState['tensors'] = {}
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset + size > count) throw new Error(`${source}: tensor '${t.name}' [${t.shape}] lies outside the data (file truncated?)`)
    const start = dataStart + 4 * t.offset
    let data: Float32Array
    if (littleEndian) data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + 4 * size))
    else {
      data = new Float32Array(size)
      for (let i = 0; i < size; i++) data[i] = buf.readFloatLE(start + 4 * i)
    }
    tensors[t.name] = { shape: t.shape, data }
  }
  return { tensors, meta: header.meta }
}

export function saveModelState(path: string, state: ModelState): void {
  writeFileAtomicSync(path, encodeModelState(state))
}

export function loadModelState(path: string): ModelState {
  return decodeModelState(readFileSync(path), path)
}
