/** Writer: what it writes reads back with the same data and affine, atomically. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readNifti } from '../../../src-main/readers/nifti/read'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { NiftiError } from '../../../src-main/readers/nifti/errors'
import type { Volume } from '../../../src-main/volume/types'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nifti-write-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function volume(affine: number[][], fn: (i: number) => number): Volume {
  const dims: [number, number, number] = [7, 6, 5]
  const data = new Float32Array(7 * 6 * 5).map((_, i) => fn(i))
  return { dims, spacing: [2, 2, 2], affine, data }
}
const mni = [
  [-2, 0, 0, 90],
  [0, 2, 0, -126],
  [0, 0, 2, -72],
  [0, 0, 0, 1]
]
// An oblique, anisotropic affine (rotation about x by 0.3 rad, LAS-like).
const c = Math.cos(0.3)
const s = Math.sin(0.3)
const oblique = [
  [-1.5, 0, 0, 10.25],
  [0, 2 * c, -2.5 * s, -20.5],
  [0, 2 * s, 2.5 * c, 30.75],
  [0, 0, 0, 1]
]

describe('writeNifti -> readNifti', () => {
  for (const gz of [false, true]) {
    for (const affine of [mni, oblique]) {
      it(`float32 ${gz ? '.nii.gz' : '.nii'} ${affine === mni ? 'MNI' : 'oblique'}: same data, same affine from sform and from qform`, async () => {
        const vol = volume(affine, (i) => Math.sin(i) * 1000 + (i % 7 === 0 ? 0.125 : 0))
        const file = join(dir, `rt-${gz}-${affine === mni}.nii${gz ? '.gz' : ''}`)
        await writeNifti(file, vol, { xformCode: 4, description: 'round trip' })
        const back = await readNifti(file)
        expect(back.dims).toEqual(vol.dims)
        expect(Array.from(back.data)).toEqual(Array.from(vol.data))
        back.affine.forEach((row, r) => row.forEach((v, k) => expect(v).toBeCloseTo(affine[r][k], 5)))
        expect(back.header).toMatchObject({ sformCode: 4, qformCode: 4, datatype: 'float32', description: 'round trip' })
        // The qform alone must describe the same geometry.
        const { readFileSync, writeFileSync } = await import('node:fs')
        const { gunzipSync } = await import('node:zlib')
        const raw = Buffer.from(gz ? gunzipSync(readFileSync(file)) : readFileSync(file))
        raw.writeInt16LE(0, 254) // sform_code = 0
        const qonly = join(dir, 'qonly.nii')
        writeFileSync(qonly, raw)
        const q = await readNifti(qonly)
        expect(q.header.affineSource).toBe('qform')
        q.affine.forEach((row, r) => row.forEach((v, k) => expect(v).toBeCloseTo(affine[r][k], 4)))
      })
    }
  }

  it('int16 and uint8 keep values within half a scaling step', async () => {
    const vol = volume(mni, (i) => 3.7 * i - 50)
    for (const datatype of ['int16', 'uint8'] as const) {
      const file = join(dir, `scaled-${datatype}.nii`)
      await writeNifti(file, vol, { datatype })
      const back = await readNifti(file)
      expect(back.header.datatype).toBe(datatype)
      const step = back.header.scl[0]
      expect(step).toBeGreaterThan(0)
      back.data.forEach((v, i) => expect(Math.abs(v - vol.data[i])).toBeLessThanOrEqual(step / 2 + 1e-3 * step + Math.abs(vol.data[i]) * 1e-6))
    }
  })

  it('stores integral data in range without scaling', async () => {
    const vol = volume(mni, (i) => i % 200)
    const file = join(dir, 'labels.nii.gz')
    await writeNifti(file, vol, { datatype: 'uint8' })
    const back = await readNifti(file)
    expect(back.header.scl).toEqual([1, 0])
    expect(Array.from(back.data)).toEqual(Array.from(vol.data))
  })

  it('refuses NaN in integer output, mismatched data and unwritable folders with NiftiErrors', async () => {
    const nan = volume(mni, (i) => (i === 3 ? NaN : i))
    await expect(writeNifti(join(dir, 'nan.nii'), nan, { datatype: 'int16' })).rejects.toThrow(/voxel 3 is NaN: int16 cannot store NaN/)
    const short = { ...volume(mni, (i) => i), data: new Float32Array(5) }
    await expect(writeNifti(join(dir, 'short.nii'), short)).rejects.toThrow(/data has 5 values, dims 7x6x5 need 210/)
    const err = await writeNifti(
      join(dir, 'missing', 'x.nii'),
      volume(mni, (i) => i)
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NiftiError)
    expect((err as NiftiError).message).toMatch(/missing\/x\.nii: cannot write/)
  })

  it('leaves no temporary files behind', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    expect(existsSync(join(dir, 'nan.nii'))).toBe(false)
  })
})
