import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64, decodeWire, encodeWire, portableBase64ToBytes, portableBytesToBase64 } from '../../../src-main/api/wire/typed-codec'

describe('base64', () => {
  // The native path (Buffer here, Uint8Array.toBase64 in Chromium) and the portable fallback
  // must agree with each other and with Node.
  it.each([
    ['native', bytesToBase64, base64ToBytes],
    ['portable', portableBytesToBase64, portableBase64ToBytes]
  ] as const)('%s: matches Node for every length remainder and all byte values', (_name, encode, decode) => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 257, 3 * 16384 + 1]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + 11) & 255)
      const text = encode(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('base64'))
      const back = decode(text)
      // Buffer.equals: a deep toEqual over thousands of elements is needlessly slow.
      expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true)
      expect(back.byteOffset).toBe(0)
    }
  })

  it('encodes only the bytes of a view', () => {
    const big = new Uint8Array([1, 2, 3, 4, 5, 6])
    expect(bytesToBase64(big.subarray(2, 5))).toBe(Buffer.from([3, 4, 5]).toString('base64'))
  })

  it.each([
    ['native', base64ToBytes],
    ['portable', portableBase64ToBytes]
  ] as const)('%s: refuses text that is not base64', (_name, decode) => {
    expect(() => decode('abc')).toThrow(/multiple of 4/)
    expect(() => decode('ab!d')).toThrow(/invalid character at offset 2/)
  })
})

describe('typed arrays over JSON', () => {
  it('round-trips every typed array type with its values', () => {
    const value = {
      f32: new Float32Array([1.5, -2.25, Number.NaN, Infinity, 3e-38]),
      f64: new Float64Array([Math.PI, -0]),
      i16: new Int16Array([-32768, 0, 32767]),
      u8: new Uint8Array([0, 1, 255]),
      u8c: new Uint8ClampedArray([0, 255]),
      i8: new Int8Array([-128, 127]),
      u16: new Uint16Array([65535]),
      i32: new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      u32: new Uint32Array([2 ** 32 - 1]),
      big: new BigInt64Array([-(2n ** 63n)]),
      ubig: new BigUint64Array([2n ** 64n - 1n]),
      nested: [{ inner: new Float32Array([7]) }],
      plain: { a: 1, b: 'x', c: [1, 2, 3] }
    }
    const back = decodeWire(encodeWire(value)) as typeof value
    for (const key of Object.keys(value) as (keyof typeof value)[]) {
      const a = value[key]
      const b = back[key]
      if (ArrayBuffer.isView(a)) {
        expect(b.constructor).toBe(a.constructor)
        expect(Array.from(b as Float32Array)).toEqual(Array.from(a as Float32Array))
      }
    }
    expect(Object.is(back.f64[1], -0)).toBe(true)
    expect(back.nested[0]!.inner).toBeInstanceOf(Float32Array)
    expect(back.plain).toEqual(value.plain)
  })

  it('sends only the bytes of a view into a larger buffer, and gives back an aligned array', () => {
    const big = new Float32Array(100).map((_, i) => i)
    const view = big.subarray(3, 7) // byteOffset 12
    const back = decodeWire(encodeWire({ view })) as { view: Float32Array }
    expect(Array.from(back.view)).toEqual([3, 4, 5, 6])
    expect(back.view.byteOffset).toBe(0)
    expect(back.view.buffer.byteLength).toBe(16)
  })

  it('encodes a Node Buffer as bytes, not as its toJSON form', () => {
    const back = decodeWire(encodeWire({ b: Buffer.from([1, 2, 3]) })) as { b: Uint8Array }
    expect(back.b).toBeInstanceOf(Uint8Array)
    expect(Array.from(back.b)).toEqual([1, 2, 3])
  })

  it('round-trips an ArrayBuffer', () => {
    const back = decodeWire(encodeWire(new Uint8Array([9, 8]).buffer)) as ArrayBuffer
    expect(back).toBeInstanceOf(ArrayBuffer)
    expect(Array.from(new Uint8Array(back))).toEqual([9, 8])
  })

  it('carries a 1M-voxel volume exactly', () => {
    const voxels = new Float32Array(91 * 109 * 91).map((_, i) => Math.sin(i) * 1000)
    const back = decodeWire(encodeWire({ voxels })) as { voxels: Float32Array }
    expect(back.voxels.length).toBe(voxels.length)
    expect(Buffer.from(back.voxels.buffer).equals(Buffer.from(voxels.buffer))).toBe(true)
  })

  it('leaves ordinary objects that merely look similar alone, and refuses bad tags', () => {
    expect(decodeWire('{"$typed":"Float32Array","b64":"AAAA","more":1}')).toEqual({ $typed: 'Float32Array', b64: 'AAAA', more: 1 })
    expect(() => decodeWire('{"$typed":"Float33Array","b64":"AAAA"}')).toThrow(/unknown typed array type 'Float33Array'/)
    expect(() => decodeWire('{"$typed":"Float32Array","b64":"AAA="}')).toThrow(/not a whole number of Float32Array elements/)
  })

  it('refuses values JSON cannot carry', () => {
    expect(() => encodeWire({ n: 1n })).toThrow(/bigint/)
    expect(() => encodeWire({ d: new DataView(new ArrayBuffer(4)) })).toThrow(/DataView cannot be sent/)
  })
})
