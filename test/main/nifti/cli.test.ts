/** The `info` and `crop` commands, called in-process with stdout captured. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run as info } from '../../../src-main/cli/info'
import { run as crop } from '../../../src-main/cli/crop'
import { readNifti } from '../../../src-main/readers/nifti/read'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { MNI_2MM, vox2world } from '../../../src-main/volume/grid'
import { fixturesDir, haveFixtures } from '../../helpers/shared'
import { makeNifti } from './make-nifti'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nifti-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true))
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true))
  try {
    return { code: await fn(), out, err }
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
}

describe('info', () => {
  it('--json prints exactly the documented keys', async () => {
    const file = join(dir, 'ramp.nii.gz')
    const data = Float32Array.from({ length: 91 * 109 * 91 }, (_, i) => (i % 91) / 90)
    await writeNifti(file, { dims: [91, 109, 91], spacing: [2, 2, 2], affine: MNI_2MM.affine, data }, { xformCode: 4 })
    const { code, out } = await capture(() => info([file, '--json']))
    expect(code).toBe(0)
    const json = JSON.parse(out)
    // nonFinite added on purpose (a scaling that overflows was invisible in --json).
    expect(Object.keys(json)).toEqual([
      'shape',
      'zooms',
      'datatype',
      'byteOrder',
      'scl',
      'qformCode',
      'sformCode',
      'affine',
      'orientation',
      'min',
      'max',
      'mean',
      'nonFinite'
    ])
    expect(json).toMatchObject({
      shape: [91, 109, 91],
      zooms: [2, 2, 2],
      datatype: 'float32',
      byteOrder: 'little',
      scl: [1, 0],
      qformCode: 4,
      sformCode: 4,
      affine: MNI_2MM.affine,
      orientation: 'LAS',
      min: 0,
      max: 1
    })
    expect(json.mean).toBeCloseTo(0.5, 5)
  })
  it('--json counts the voxels a scaling overflows and keeps min/max/mean over the finite ones', async () => {
    const file = join(dir, 'overflow.nii')
    // uint8 with scl_slope 1e38: stored 0 and 1 stay finite (0, 1e38), 4 and more overflow float32.
    const values = Array.from({ length: 4 * 3 * 2 }, (_, i) => (i < 6 ? 0 : i < 10 ? 1 : 200))
    writeFileSync(file, makeNifti({ dims: [4, 3, 2], datatype: 2, values, scl: [1e38, 0] }).file)
    const { code, out } = await capture(() => info([file, '--json']))
    expect(code).toBe(0)
    const json = JSON.parse(out)
    expect(json.nonFinite).toBe(14)
    expect(json.min).toBe(0)
    expect(json.max).toBeCloseTo(1e38, -32)
    expect(Number.isFinite(json.mean)).toBe(true)
    expect(json.mean).toBeCloseTo((4 * 1e38) / 10, -32)
  })

  it('refuses a FIFO or a folder named like an image at once, naming it', async () => {
    const fifo = join(dir, 'pipe.nii')
    execFileSync('mkfifo', [fifo])
    const r = await capture(() => info([fifo]))
    expect(r.code).toBe(1)
    expect(r.err).toContain(`error: ${fifo}: this is a named pipe (FIFO), not an image file`)
    for (const name of ['folder.nii', 'folder.nii.gz', 'folder.hdr']) {
      mkdirSync(join(dir, name))
      const d = await capture(() => info([join(dir, name)]))
      expect(d.code).toBe(1)
      expect(d.err).toContain(`error: ${join(dir, name)}: this is a folder, not an image file`)
    }
  })

  it('prints a clear error and exits 1 for a bad file, 2 for bad usage', async () => {
    const bad = join(dir, 'bad.nii')
    writeFileSync(bad, 'not a nifti at all, just text that is long enough')
    const r = await capture(() => info([bad]))
    expect(r.code).toBe(1)
    expect(r.err).toMatch(new RegExp(`^error: ${bad}: not a NIfTI file`))
    expect((await capture(() => info([]))).code).toBe(2)
  })
  it.skipIf(!haveFixtures)('agrees with nibabel on the big-endian fixture', async () => {
    const { out } = await capture(() => info([join(fixturesDir, 'nibabel_anatomical_bigendian.nii'), '--json']))
    const want = JSON.parse(readFileSync(join(fixturesDir, 'expected-nibabel.json'), 'utf8'))['nibabel_anatomical_bigendian.nii']
    const got = JSON.parse(out)
    expect([got.shape, got.byteOrder, got.orientation, got.min, got.max, got.affine]).toEqual([
      want.shape,
      'big',
      want.axcodes,
      want.min,
      want.max,
      want.affine
    ])
  })
})

describe('crop', () => {
  it('writes both crops as NIfTI and says what it did', async () => {
    const file = join(dir, 'sub-01_gm.nii')
    const data = new Float32Array(91 * 109 * 91).fill(0.25)
    await writeNifti(file, { dims: [91, 109, 91], spacing: [2, 2, 2], affine: MNI_2MM.affine, data }, { xformCode: 4 })
    const out = join(dir, 'crops')
    const r = await capture(() => crop([file, '--out', out, '--margin', '1']))
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/hippocampus crops 19x23x22 \(margin 1 voxels\)/)
    expect(readdirSync(out).sort()).toEqual(['sub-01_gm_hippocampus-left.nii.gz', 'sub-01_gm_hippocampus-right.nii.gz'])
    const left = await readNifti(join(out, 'sub-01_gm_hippocampus-left.nii.gz'))
    expect(left.dims).toEqual([19, 23, 22])
    expect(left.header.sformCode).toBe(4)
    expect(vox2world(left.affine, [1, 1, 1])).toEqual([-10, -40, -26])
    expect(left.data.every((v) => v === 0.25)).toBe(true)
  })
  it('runs the full preprocessing with --modality, and explains usage errors', async () => {
    const file = join(dir, 'sub-01_gm.nii')
    const r = await capture(() => crop([file, '--out', join(dir, 'pp'), '--modality', 'smri']))
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/proportional scaling/)
    expect((await capture(() => crop([file]))).code).toBe(2)
    expect((await capture(() => crop([file, '--out', dir, '--modality', 'ct']))).code).toBe(2)
  })
})
