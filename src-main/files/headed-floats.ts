/**
 * One binary layout for files of float32 values described by a JSON header (model states, the
 * viewer's attribution maps):
 *
 *   bytes 0-7   an 8-character ASCII magic naming the kind of file
 *   bytes 8-11  header length L (uint32, little-endian)
 *   bytes 12..  UTF-8 JSON header, padded with spaces so that the values start on a multiple of 4
 *   then        float32 little-endian values
 */

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** The file's bytes: `count` values, written by `fill` into the array it is given. */
export function encodeHeadedFloats(magic: string, header: unknown, count: number, fill: (values: Float32Array) => void): Buffer {
  if (magic.length !== 8) throw new Error(`encodeHeadedFloats: the magic must be 8 characters, got '${magic}'`)
  let json = Buffer.from(JSON.stringify(header), 'utf8')
  const pad = (4 - ((12 + json.length) % 4)) % 4
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)])
  const out = Buffer.alloc(12 + json.length + count * 4)
  out.write(magic, 0, 'latin1')
  out.writeUInt32LE(json.length, 8)
  json.copy(out, 12)
  const start = 12 + json.length
  if (littleEndian) {
    fill(new Float32Array(out.buffer, out.byteOffset + start, count))
  } else {
    const values = new Float32Array(count)
    fill(values)
    for (let i = 0; i < count; i++) out.writeFloatLE(values[i]!, start + 4 * i)
  }
  return out
}

export interface HeadedFloats<H> {
  header: H
  /** Number of float32 values after the header. */
  count: number
  /** A copy of `size` values from value `offset` (the caller checks the range against `count`). */
  values(offset: number, size: number): Float32Array
}

/**
 * Reads the layout back.
 * @param what the kind of file, for the bad-magic message ("not a <what> file")
 * @param source names the file in error messages
 * @throws naming `source`: bad magic, a header running past the end, unreadable JSON, a data
 *         section that is not whole float32 values
 */
export function decodeHeadedFloats<H>(buf: Buffer, magic: string, what: string, source: string): HeadedFloats<H> {
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== magic) throw new Error(`${source}: not a ${what} file (bad magic)`)
  const len = buf.readUInt32LE(8)
  if (12 + len > buf.length) throw new Error(`${source}: header length ${len} runs past the end of the file (${buf.length} bytes)`)
  let header: H
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as H
  } catch (e) {
    throw new Error(`${source}: unreadable header (${(e as Error).message})`, { cause: e })
  }
  const dataStart = 12 + len
  const count = (buf.length - dataStart) / 4
  if (!Number.isInteger(count)) throw new Error(`${source}: data section is not a whole number of float32 values`)
  return {
    header,
    count,
    values(offset, size) {
      const start = dataStart + 4 * offset
      if (littleEndian) return new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + 4 * size))
      const data = new Float32Array(size)
      for (let i = 0; i < size; i++) data[i] = buf.readFloatLE(start + 4 * i)
      return data
    }
  }
}
