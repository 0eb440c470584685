/**
 * Typed arrays over JSON, for the loopback bridge (HTTP bodies and WebSocket event frames).
 *
 * Electron IPC carries typed arrays natively (structured clone); JSON does not, and
 * `JSON.stringify(new Float32Array(...))` would write an object with one key per element.
 * Here a typed array (or ArrayBuffer) becomes a tagged object
 *
 *     {"$typed": "Float32Array", "b64": "<base64 of its bytes>"}
 *
 * holding exactly the bytes of the view (byteOffset..byteOffset+byteLength), in the platform's
 * byte order (little-endian on every machine Electron and Chromium run on). Decoding gives a
 * fresh, aligned array of the same type and length, before schema validation, so handlers and
 * UI code see real typed arrays on both transports. A 1M-voxel Float32Array is 5.3 MB of text.
 *
 * Pure module (no Node, no DOM): main and renderer both use it.
 */

const typedConstructors = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array
} as const
export type TypedArrayName = keyof typeof typedConstructors | 'ArrayBuffer'

const TAG = '$typed'

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const encodeTable = Array.from(alphabet)
const decodeTable = new Int16Array(128).fill(-1)
for (let i = 0; i < alphabet.length; i++) decodeTable[alphabet.charCodeAt(i)] = i

/** Native base64 where the platform has one: `Uint8Array.prototype.toBase64` /
 *  `Uint8Array.fromBase64` (Chromium 140+, so the renderer) or Node's Buffer (main). Both are
 *  several times faster than the portable code below, which remains the fallback. */
interface NativeBase64 {
  encode(bytes: Uint8Array): string
  /** Strict: throws on characters outside the alphabet. Returns a fresh, unshared array. */
  decode(text: string): Uint8Array
}

type BufferLike = { from(data: ArrayBufferLike | string, offsetOrEncoding?: number | string, length?: number): Uint8Array & { toString(enc: string): string } }

function findNativeBase64(): NativeBase64 | null {
  const U8 = Uint8Array as unknown as { fromBase64?: (t: string) => Uint8Array; prototype: { toBase64?: () => string } }
  if (typeof U8.fromBase64 === 'function' && typeof U8.prototype.toBase64 === 'function') {
    return {
      encode: (bytes) => (bytes as unknown as { toBase64(): string }).toBase64(),
      decode: (text) => U8.fromBase64!(text)
    }
  }
  const B = (globalThis as { Buffer?: BufferLike }).Buffer
  if (B) {
    const valid = /^[A-Za-z0-9+/]*={0,2}$/
    return {
      encode: (bytes) => B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      decode: (text) => {
        // Buffer skips invalid characters silently; refuse them like the portable decoder.
        if (!valid.test(text)) return portableBase64ToBytes(text)
        // Copy: small Buffers live at an offset inside a shared pool.
        return new Uint8Array(B.from(text, 'base64'))
      }
    }
  }
  return null
}

const native = findNativeBase64()

/** Standard base64 (RFC 4648, with padding) of a byte range. */
export function bytesToBase64(bytes: Uint8Array): string {
  return native ? native.encode(bytes) : portableBytesToBase64(bytes)
}

/** Inverse of {@link bytesToBase64}; throws on characters outside the alphabet or a bad length.
 *  The result owns its buffer (byteOffset 0), so any typed array can view it aligned. */
export function base64ToBytes(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error(`base64 text has length ${text.length}, not a multiple of 4`)
  return native ? native.decode(text) : portableBase64ToBytes(text)
}

/** Portable encoder, built in chunks so a multi-MB array does not make millions of tiny strings. */
export function portableBytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = []
  const chunk = 3 * 16384
  for (let start = 0; start < bytes.length; start += chunk) {
    const end = Math.min(bytes.length, start + chunk)
    const out: string[] = new Array(Math.ceil((end - start) / 3))
    let k = 0
    let i = start
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
      out[k++] = encodeTable[n >> 18]! + encodeTable[(n >> 12) & 63]! + encodeTable[(n >> 6) & 63]! + encodeTable[n & 63]!
    }
    if (i < end) {
      const rest = end - i
      const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0)
      out[k] = encodeTable[n >> 18]! + encodeTable[(n >> 12) & 63]! + (rest === 2 ? encodeTable[(n >> 6) & 63]! : '=') + '='
    }
    parts.push(out.join(''))
  }
  return parts.join('')
}

/** Portable decoder; throws on characters outside the alphabet or a bad length. */
export function portableBase64ToBytes(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error(`base64 text has length ${text.length}, not a multiple of 4`)
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - padding)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    let n = 0
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j)
      let v: number
      if (c === 61 /* '=' */ && i + j >= text.length - padding) v = 0
      else {
        v = c < 128 ? decodeTable[c]! : -1
        if (v < 0) throw new Error(`base64 text has an invalid character at offset ${i + j}`)
      }
      n = (n << 6) | v
    }
    if (o < out.length) out[o++] = (n >> 16) & 255
    if (o < out.length) out[o++] = (n >> 8) & 255
    if (o < out.length) out[o++] = n & 255
  }
  return out
}

type TypedArray = InstanceType<(typeof typedConstructors)[keyof typeof typedConstructors]>

function typedName(value: ArrayBufferView): keyof typeof typedConstructors | null {
  for (const [name, ctor] of Object.entries(typedConstructors)) {
    if (value instanceof ctor) return name as keyof typeof typedConstructors
  }
  return null
}

function replacer(this: unknown, key: string, serialised: unknown): unknown {
  // Look at the value before any toJSON (Node's Buffer turns itself into {type, data:[...]}).
  const value = (this as Record<string, unknown>)[key] ?? serialised
  if (value instanceof ArrayBuffer) return { [TAG]: 'ArrayBuffer', b64: bytesToBase64(new Uint8Array(value)) }
  if (ArrayBuffer.isView(value)) {
    const name = typedName(value)
    if (name === null) throw new Error(`encodeWire: ${value.constructor.name} cannot be sent; use a typed array`)
    return { [TAG]: name, b64: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) }
  }
  if (typeof value === 'bigint') throw new Error('encodeWire: a bigint cannot be sent as JSON; use BigInt64Array')
  return serialised
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const rec = value as Record<string, unknown>
  const name = rec[TAG]
  if (typeof name !== 'string' || typeof rec.b64 !== 'string' || Object.keys(rec).length !== 2) return value
  const bytes = base64ToBytes(rec.b64)
  if (name === 'ArrayBuffer') return bytes.buffer
  const ctor = (typedConstructors as Record<string, (typeof typedConstructors)[keyof typeof typedConstructors]>)[name]
  if (!ctor) throw new Error(`decodeWire: unknown typed array type '${name}'`)
  if (bytes.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
    throw new Error(`decodeWire: ${bytes.byteLength} bytes is not a whole number of ${name} elements`)
  }
  // base64ToBytes returns a fresh buffer starting at offset 0, so it is aligned for any type.
  return new ctor(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / ctor.BYTES_PER_ELEMENT) as TypedArray
}

/** JSON text of `value` with typed arrays and ArrayBuffers tagged (see the module comment). */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, replacer)
}

/** Parses JSON text written by {@link encodeWire}, restoring typed arrays.
 *  Throws SyntaxError on malformed JSON and Error on a malformed tag. */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, reviver)
}
