/**
 * One file per ModelState (weights, optimiser moments, RNG state, architecture), the same on
 * every backend, in the headed-floats layout (files/headed-floats.ts) with magic "TCGMSTv1":
 * the JSON header is { meta, tensors: [{ name, shape, offset }] } and the values are the tensors
 * one after the other (offset in values).
 *
 * Written atomically (temporary file, fsync, rename), so a crash never leaves half a checkpoint.
 */
import { readFileSync } from 'node:fs'
import { writeFileAtomicSync } from '../../files/atomic'
import { decodeHeadedFloats, encodeHeadedFloats } from '../../files/headed-floats'
import type { ModelState } from '../train/modality-model'

const MAGIC = 'TCGMSTv1'

interface Header {
  meta: Record<string, unknown>
  tensors: { name: string; shape: number[]; offset: number }[]
}

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
  return encodeHeadedFloats(MAGIC, header, offset, (values) => {
    for (const t of header.tensors) values.set(state.tensors[t.name].data, t.offset)
  })
}

/** @param source names the file in error messages. */
export function decodeModelState(buf: Buffer, source: string): ModelState {
  const file = decodeHeadedFloats<Header>(buf, MAGIC, 'TCGM model state', source)
  const header = file.header
  if (!header || typeof header.meta !== 'object' || !Array.isArray(header.tensors)) throw new Error(`${source}: header lacks meta or tensors`)
  const tensors: ModelState['tensors'] = {}
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset + size > file.count)
      throw new Error(`${source}: tensor '${t.name}' [${t.shape}] lies outside the data (file truncated?)`)
    tensors[t.name] = { shape: t.shape, data: file.values(t.offset, size) }
  }
  return { tensors, meta: header.meta }
}

export function saveModelState(path: string, state: ModelState): void {
  writeFileAtomicSync(path, encodeModelState(state))
}

export function loadModelState(path: string): ModelState {
  return decodeModelState(readFileSync(path), path)
}
