/**
 * Malformed input: each problem gives a NiftiError whose message starts with the file and
 * says what is wrong, before anything large is allocated.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { readNifti, readNiftiHeader } from '../../../src-main/readers/nifti/read'
import { NiftiError } from '../../../src-main/readers/nifti/errors'
import { useTempFiles } from './temp-files'
import { makeNifti, type MakeNiftiOptions } from './make-nifti'

const tmp = useTempFiles('nifti-bad-')
const put = tmp.put
const base: MakeNiftiOptions = { dims: [8, 8, 8], datatype: 4, values: Array.from({ length: 512 }, (_, i) => i), pixdim: [2, 2, 2] }
const good = () => Buffer.from(makeNifti(base).file)

/** Expects a NiftiError for `file` whose problem matches `pattern`. */
async function expectNiftiError(file: string, pattern: RegExp, opts?: Parameters<typeof readNifti>[1]): Promise<void> {
  const err = await readNifti(file, opts).then(
    () => null,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(NiftiError)
  expect((err as NiftiError).message.startsWith(`${file}: `)).toBe(true)
  expect((err as NiftiError).problem).toMatch(pattern)
}

describe('truncated files', () => {
  it('a header cut short', async () => {
    await expectNiftiError(put(good().subarray(0, 200)), /truncated header: 200 bytes, a NIfTI-1 header has 348/)
  })
  it('data cut short', async () => {
    await expectNiftiError(put(good().subarray(0, 352 + 700)), /data is 700 bytes but dims 8x8x8 of int16 need 1024/)
  })
  it('a gzip stream cut short', async () => {
    const gz = gzipSync(good())
    await expectNiftiError(put(gz.subarray(0, gz.length - 200), '.nii.gz'), /gzip data is corrupt|data is \d+ bytes but dims/)
  })
  it('an empty file and a missing file', async () => {
    await expectNiftiError(put(new Uint8Array(0)), /too short for a NIfTI header/)
    await expectNiftiError(join(tmp.dir(), 'nope.nii'), /cannot open the file/)
  })
})

describe('lying headers', () => {
  it('flipped sizeof_hdr bytes', async () => {
    const b = good()
    b[0] ^= 0xff
    await expectNiftiError(put(b), /not a NIfTI file: sizeof_hdr is/)
  })
  it('a broken magic string', async () => {
    const b = good()
    b.write('xx', 344, 'latin1')
    await expectNiftiError(put(b), /bad magic 'xx1'/)
  })
  it('absurd dims', async () => {
    const b = good()
    b.writeInt16LE(9, 40)
    await expectNiftiError(put(b), /dim\[0\] is 9, must be between 1 and 7/)
    const c = good()
    c.writeInt16LE(-3, 44)
    await expectNiftiError(put(c), /dim\[2\] is -3, must be a positive integer/)
  })
  it('dims larger than the memory limit, refused before allocating', async () => {
    const b = good()
    for (const off of [42, 44, 46]) b.writeInt16LE(30000, off)
    await expectNiftiError(put(b), /image too large: dims 30000x30000x30000 of int16 need .* more than the limit of 1024\.0 MiB/)
    await expectNiftiError(put(good()), /more than the limit of 100 bytes/, { maxBytes: 100 })
  })
  it('vox_offset past the end of the file, or inside the header', async () => {
    const b = good()
    b.writeFloatLE(5000, 108)
    await expectNiftiError(put(b), /vox_offset 5000 is past the end of the 1376-byte file/)
    const c = good()
    c.writeFloatLE(100, 108)
    await expectNiftiError(put(c), /vox_offset is 100, inside the 348-byte header/)
    const d = good()
    d.writeFloatLE(1e9, 108)
    await expectNiftiError(put(gzipSync(d), '.nii.gz'), /vox_offset 1000000000 is past the end of the decompressed data/)
  })
  it('zero voxel sizes, a singular sform and a non-finite intercept', async () => {
    const b = good()
    b.writeFloatLE(0, 84)
    await expectNiftiError(put(b), /voxel sizes pixdim\[1\.\.3\] are 2, 0, 2/)
    const c = Buffer.from(
      makeNifti({
        ...base,
        sform: {
          code: 2,
          rows: [
            [1, 0, 0, 0],
            [2, 0, 0, 0],
            [0, 0, 1, 0]
          ]
        }
      }).file
    )
    await expectNiftiError(put(c), /the sform affine is singular or not finite/)
    const d = good()
    d.writeFloatLE(NaN, 116)
    await expectNiftiError(put(d), /scl_slope 1 and scl_inter NaN are not finite numbers/)
  })
  it('NaN voxels are not an error, but are counted', async () => {
    const img = await readNifti(put(makeNifti({ ...base, datatype: 16, values: base.values.map((v, i) => (i % 64 === 0 ? NaN : (v as number))) }).file))
    expect(img.header.nonFiniteCount).toBe(8)
  })
})

describe('gzip bombs', () => {
  // 64 gzip members of 16 MiB of zeros each: 1 GiB once decompressed, ~1 MiB on disk.
  // (A gzip file may hold several members; zlib decompresses them one after another.)
  const zeroMember = gzipSync(Buffer.alloc(16 << 20), { level: 9 })
  const bombTail = Buffer.concat(Array(64).fill(zeroMember))

  it('without a header: refused after decompressing only the first bytes', async () => {
    const t0 = performance.now()
    await expectNiftiError(put(bombTail, '.nii.gz'), /not a NIfTI file: sizeof_hdr is 0/)
    expect(performance.now() - t0).toBeLessThan(5000)
  })
  it('behind a small valid image: only the bytes the header asks for are decompressed', async () => {
    const f = put(Buffer.concat([gzipSync(good()), bombTail]), '.nii.gz')
    const rssBefore = process.memoryUsage().rss
    const img = await readNifti(f)
    expect(img.data[511]).toBe(511)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 << 20)
  })
  it('whose header claims a huge image: refused by the memory limit before decompressing the data', async () => {
    const b = good()
    for (const off of [42, 44, 46]) b.writeInt16LE(2048, off)
    const f = put(Buffer.concat([gzipSync(b.subarray(0, 352)), bombTail]), '.nii.gz')
    await expectNiftiError(f, /image too large: dims 2048x2048x2048 of int16/, { maxBytes: 256 << 20 })
  })
})

describe('readNiftiHeader', () => {
  it('classifies a file without reading its data', async () => {
    const h = await readNiftiHeader(put(gzipSync(good()), '.nii.gz'))
    expect(h).toMatchObject({ version: 1, datatype: 'int16', dims: [8, 8, 8], frames: 1, orientation: 'LAS', imageGzipped: true })
  })
})
