/**
 * The reader on tiny files written byte by byte in the test: every datatype in both byte
 * orders, scaling, NIfTI-2, 4-D, .hdr/.img pairs, gzip, and the three affine sources.
 */
import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { readNifti, readNiftiHeader, readNiftiFrames } from '../../../src-main/readers/nifti/read'
import { useTempFiles } from './temp-files'
import { makeNifti, type MakeNiftiOptions } from './make-nifti'

const tmp = useTempFiles('nifti-gen-')
const put = tmp.put
function write(o: MakeNiftiOptions, ext = '.nii'): string {
  const { file } = makeNifti(o)
  return put(ext.endsWith('.gz') ? gzipSync(file) : file, ext)
}

const dims = [4, 3, 2]
const datatypes: Array<{ code: number; name: string; values: number[] }> = [
  { code: 2, name: 'uint8', values: [0, 1, 127, 128, 254, 255] },
  { code: 256, name: 'int8', values: [-128, -1, 0, 1, 100, 127] },
  { code: 4, name: 'int16', values: [-32768, -300, 0, 1, 258, 32767] },
  { code: 512, name: 'uint16', values: [0, 1, 258, 40000, 65534, 65535] },
  { code: 8, name: 'int32', values: [-2147483648, -70000, 0, 1, 70000, 2147483647] },
  { code: 768, name: 'uint32', values: [0, 1, 70000, 3000000000, 4294967294, 4294967295] },
  { code: 16, name: 'float32', values: [-1.5, 0, 0.25, 3.5e10, -7.125, 1e-3] },
  { code: 64, name: 'float64', values: [-1.5, 0, 0.25, 3.5e10, -7.125, 1e-3] }
]
/** 24 values cycling through the datatype's test values. */
const fill = (vals: number[]) => Array.from({ length: 24 }, (_, i) => vals[i % vals.length])

describe('datatypes and byte order', () => {
  for (const dt of datatypes) {
    for (const littleEndian of [true, false]) {
      it(`${dt.name} ${littleEndian ? 'little' : 'big'}-endian reads back the stored values`, async () => {
        const values = fill(dt.values)
        const img = await readNifti(write({ dims, datatype: dt.code, values, littleEndian }))
        expect(img.header.datatype).toBe(dt.name)
        expect(img.header.byteOrder).toBe(littleEndian ? 'little' : 'big')
        expect(img.dims).toEqual([4, 3, 2])
        expect(Array.from(img.data)).toEqual(values.map((v) => Math.fround(v)))
      })
    }
  }

  it('refuses complex and RGB data with a message that says why', async () => {
    const complex = write({ dims, datatype: 32, values: fill([1]) })
    await expect(readNifti(complex)).rejects.toThrow(/datatype 32 \(complex64\) is not supported/)
    const rgb = write({ dims, datatype: 128, values: fill([1]) })
    await expect(readNifti(rgb)).rejects.toThrow(new RegExp(`^${rgb}: datatype 128 \\(RGB24\\) is not supported`))
  })
})

describe('scaling', () => {
  it('applies scl_slope and scl_inter', async () => {
    const img = await readNifti(write({ dims, datatype: 4, values: fill([0, 1, -2, 100]), scl: [0.5, 10] }))
    expect(Array.from(img.data.slice(0, 4))).toEqual([10, 10.5, 9, 60])
    expect(img.header.scl).toEqual([0.5, 10])
  })
  it('treats slope 0 and NaN as no scaling', async () => {
    for (const slope of [0, NaN]) {
      const img = await readNifti(write({ dims, datatype: 4, values: fill([3, -4]), scl: [slope, 99] }))
      expect(Array.from(img.data.slice(0, 2))).toEqual([3, -4])
      expect(img.header.scl).toEqual([1, 0])
    }
  })
  it('scales float32 data too (big-endian)', async () => {
    const img = await readNifti(write({ dims, datatype: 16, values: fill([1.5, -2]), scl: [2, 1], littleEndian: false }))
    expect(Array.from(img.data.slice(0, 2))).toEqual([4, -3])
  })
})

describe('affine choice (as nibabel)', () => {
  const sformRows = [
    [-2, 0, 0, 90],
    [0, 2, 0, -126],
    [0, 0, 2, -72]
  ]
  it('uses the sform when sform_code > 0, even when the qform code is higher', async () => {
    const f = write({
      dims,
      datatype: 2,
      values: fill([1]),
      pixdim: [2, 2, 2],
      sform: { code: 2, rows: sformRows },
      qform: { code: 4, b: 0, c: 0, d: 1, offset: [1, 2, 3] }
    })
    const h = await readNiftiHeader(f)
    expect(h.affineSource).toBe('sform')
    expect(h.affine).toEqual([...sformRows, [0, 0, 0, 1]])
    expect(h.orientation).toBe('LAS')
  })
  it('uses the qform when only it is set: 180 degrees about z with qfac -1', async () => {
    // Quaternion (a, b, c, d) = (0, 0, 0, 1): R = diag(-1, -1, 1); qfac -1 flips the k column.
    const f = write({ dims, datatype: 2, values: fill([1]), pixdim: [1.5, 2, 3], qform: { code: 1, b: 0, c: 0, d: 1, offset: [10, 20, 30], qfac: -1 } })
    const h = await readNiftiHeader(f)
    expect(h.affineSource).toBe('qform')
    expect(h.affine).toEqual([
      [-1.5, 0, 0, 10],
      [0, -2, 0, 20],
      [0, 0, -3, 30],
      [0, 0, 0, 1]
    ])
    expect(h.orientation).toBe('LPI')
  })
  it('uses the qform of a 90 degree rotation about x', async () => {
    const s = Math.SQRT1_2 // a = b = 1/sqrt(2): y -> z, z -> -y
    const f = write({ dims, datatype: 2, values: fill([1]), pixdim: [1, 1, 1], qform: { code: 2, b: s, c: 0, d: 0, offset: [0, 0, 0] } })
    const h = await readNiftiHeader(f)
    const a = h.affine.map((r) => r.map((v) => +v.toFixed(6) + 0))
    expect(a).toEqual([
      [1, 0, 0, 0],
      [0, 0, -1, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1]
    ])
    expect(h.orientation).toBe('RSP')
  })
  it("falls back to nibabel's base affine (x flipped, origin at the grid centre) without either", async () => {
    const h = await readNiftiHeader(write({ dims: [5, 4, 3], datatype: 2, values: Array(60).fill(0), pixdim: [2, 3, 4] }))
    expect(h.affineSource).toBe('base')
    expect(h.affine).toEqual([
      [-2, 0, 0, 4],
      [0, 3, 0, -4.5],
      [0, 0, 4, -4],
      [0, 0, 0, 1]
    ])
  })
})

describe('versions and containers', () => {
  it('reads NIfTI-2 in both byte orders', async () => {
    for (const littleEndian of [true, false]) {
      const f = write({
        version: 2,
        dims,
        datatype: 4,
        values: fill([5, -6, 7]),
        littleEndian,
        pixdim: [1, 1, 2.5],
        sform: {
          code: 1,
          rows: [
            [1, 0, 0, -1],
            [0, 1, 0, -2],
            [0, 0, 2.5, -3]
          ]
        }
      })
      const img = await readNifti(f)
      expect(img.header.version).toBe(2)
      expect(img.header.byteOrder).toBe(littleEndian ? 'little' : 'big')
      expect(Array.from(img.data.slice(0, 3))).toEqual([5, -6, 7])
      expect(img.affine[2]).toEqual([0, 0, 2.5, -3])
      expect(img.spacing).toEqual([1, 1, 2.5])
    }
  })
  it('reads .nii.gz', async () => {
    const img = await readNifti(write({ dims, datatype: 16, values: fill([0.5, 2]) }, '.nii.gz'))
    expect(Array.from(img.data.slice(0, 2))).toEqual([0.5, 2])
  })
  it('reads .hdr/.img pairs, gzipped or not, from either name', async () => {
    const { header, data } = makeNifti({ dims, datatype: 4, values: fill([1, 2, 3]), pair: true, littleEndian: false })
    const hdr = put(header, '.hdr')
    writeFileSync(hdr.replace(/\.hdr$/, '.img'), data)
    for (const f of [hdr, hdr.replace(/\.hdr$/, '.img')]) {
      const img = await readNifti(f)
      expect(Array.from(img.data.slice(0, 3))).toEqual([1, 2, 3])
    }
    const { header: h2, data: d2 } = makeNifti({ dims, datatype: 2, values: fill([9, 8]), pair: true })
    const hdr2 = put(h2, '.hdr')
    writeFileSync(hdr2.replace(/\.hdr$/, '.img.gz'), gzipSync(d2))
    expect(Array.from((await readNifti(hdr2)).data.slice(0, 2))).toEqual([9, 8])
  })
  it('says which file is missing for a lone .hdr', async () => {
    const { header } = makeNifti({ dims, datatype: 2, values: fill([1]), pair: true })
    const hdr = put(header, '.hdr')
    await expect(readNifti(hdr)).rejects.toThrow(/separate \.img file, and none was found/)
  })
})

describe('4-D images', () => {
  // Two frames of 2x2x1: frame 0 = 0..3, frame 1 = 10..13.
  const opts: MakeNiftiOptions = { dims: [2, 2, 1, 2], datatype: 4, values: [0, 1, 2, 3, 10, 11, 12, 13], pixdim: [2, 2, 2, 1800] }
  it('averages frames by default', async () => {
    const img = await readNifti(write(opts))
    expect(img.dims).toEqual([2, 2, 1])
    expect(Array.from(img.data)).toEqual([5, 6, 7, 8])
    expect(img.header.originalDims).toEqual([2, 2, 1, 2])
    expect(img.header.frames).toBe('mean of 2')
  })
  it('picks one frame on request, and refuses one that does not exist', async () => {
    const f = write(opts)
    expect(Array.from((await readNifti(f, { frame: 1 })).data)).toEqual([10, 11, 12, 13])
    await expect(readNifti(f, { frame: 2 })).rejects.toThrow(/frame 2 requested, the image has frames 0\.\.1/)
  })
  it('gives every frame to readNiftiFrames', async () => {
    const { info, data } = await readNiftiFrames(write(opts))
    expect(info.frames).toBe(2)
    expect(info.zooms).toEqual([2, 2, 2, 1800])
    expect(Array.from(data)).toEqual([0, 1, 2, 3, 10, 11, 12, 13])
  })
})

describe('non-finite values', () => {
  it('counts NaN and Inf voxels', async () => {
    const img = await readNifti(write({ dims, datatype: 16, values: fill([NaN, 1, Infinity, -Infinity, 2, 3]) }))
    expect(img.header.nonFiniteCount).toBe(12) // 4 cycles of NaN, Inf, -Inf
  })
})
