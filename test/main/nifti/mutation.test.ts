/**
 * Seeded mutation loop: hundreds of corrupted variants of real and generated NIfTI files.
 * Every read must end, within a time limit, in either a NiftiError or a consistent image;
 * never another exception, a crash or a hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { readNifti } from '../../../src-main/readers/nifti/read'
import { isNiftiError } from '../../../src-main/readers/nifti/errors'
import { fixturesDir } from '../../helpers/shared'
import { makeNifti } from './make-nifti'

const MUTANTS = 300
const PER_READ_LIMIT_MS = 5000
const SEED = 20261126

/** mulberry32: small, seedable PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Source {
  name: string
  bytes: Buffer // uncompressed content
  gz: boolean
}

function sources(): Source[] {
  const out: Source[] = [
    {
      name: 'generated int16 LE',
      gz: false,
      bytes: Buffer.from(
        makeNifti({
          dims: [6, 5, 4],
          datatype: 4,
          values: Array.from({ length: 120 }, (_, i) => i - 60),
          pixdim: [2, 2, 2],
          sform: {
            code: 4,
            rows: [
              [-2, 0, 0, 90],
              [0, 2, 0, -126],
              [0, 0, 2, -72]
            ]
          }
        }).file
      )
    },
    {
      name: 'generated float32 BE 4-D',
      gz: true,
      bytes: Buffer.from(
        makeNifti({
          dims: [4, 4, 3, 2],
          datatype: 16,
          littleEndian: false,
          values: Array.from({ length: 96 }, (_, i) => i / 7),
          qform: { code: 1, b: 0.1, c: 0.2, d: 0.3, offset: [1, 2, 3] }
        }).file
      )
    },
    {
      name: 'generated NIfTI-2 uint8',
      gz: true,
      bytes: Buffer.from(makeNifti({ version: 2, dims: [5, 4, 3], datatype: 2, values: Array.from({ length: 60 }, (_, i) => i), scl: [0.5, 1] }).file)
    }
  ]
  for (const [file, gz] of [
    ['nibabel_anatomical_bigendian.nii', false],
    ['nibabel_example_nifti2.nii.gz', true]
  ] as const) {
    const path = join(fixturesDir, file)
    if (!existsSync(path)) continue
    const raw = readFileSync(path)
    out.push({ name: file, gz, bytes: gz ? gunzipSync(raw) : raw })
  }
  return out
}

/** Header fields worth hitting with extreme values (NIfTI-1 offsets; for NIfTI-2 they land on other fields, also fine). */
const FIELD_OFFSETS = [0, 40, 42, 44, 46, 48, 70, 72, 76, 80, 84, 108, 112, 116, 252, 254, 256, 280, 344]
const EXTREMES = [0, 1, -1, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000]

/** Applies 1-4 random mutations; returns the mutated bytes and what was done. */
function mutate(src: Buffer, rand: () => number): { bytes: Buffer; what: string[] } {
  let b = Buffer.from(src)
  const what: string[] = []
  const ops = 1 + Math.floor(rand() * 4)
  for (let o = 0; o < ops; o++) {
    const kind = Math.floor(rand() * 5)
    if (kind === 0) {
      const at = Math.floor(rand() * Math.min(b.length, 560))
      const v = Math.floor(rand() * 256)
      b[at] = v
      what.push(`byte ${at}=${v}`)
    } else if (kind === 1) {
      const at = Math.floor(rand() * b.length)
      const bit = Math.floor(rand() * 8)
      b[at] ^= 1 << bit
      what.push(`bit ${at}.${bit}`)
    } else if (kind === 2) {
      const len = Math.floor(rand() * b.length)
      b = b.subarray(0, len)
      what.push(`truncate ${len}`)
    } else if (kind === 3 && b.length >= 352) {
      const at = FIELD_OFFSETS[Math.floor(rand() * FIELD_OFFSETS.length)]
      const v = EXTREMES[Math.floor(rand() * EXTREMES.length)]
      if (rand() < 0.5) b.writeUInt16LE(v & 0xffff, at)
      else b.writeUInt32LE(v >>> 0, at)
      what.push(`field ${at}=${v}`)
    } else if (b.length >= 120) {
      const at = [108, 112, 116, 76, 80][Math.floor(rand() * 5)]
      const v = [NaN, Infinity, -Infinity, 1e30, -5, 0.5][Math.floor(rand() * 6)]
      b.writeFloatLE(v, at)
      what.push(`float ${at}=${v}`)
    }
  }
  return { bytes: b, what }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`read did not finish within ${ms} ms`)), ms)
    })
  ])
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nifti-mut-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('mutation loop', () => {
  it(`${MUTANTS} seeded mutants end in a NiftiError or a consistent image`, async () => {
    const rand = rng(SEED)
    const srcs = sources()
    const failures: string[] = []
    let errors = 0
    let images = 0
    for (let m = 0; m < MUTANTS; m++) {
      const src = srcs[m % srcs.length]
      const { bytes, what } = mutate(src.bytes, rand)
      // For gzipped sources, corrupt either the content (then compress) or the compressed bytes.
      let onDisk: Buffer = bytes
      if (src.gz) onDisk = rand() < 0.5 ? gzipSync(bytes) : mutate(gzipSync(src.bytes), rand).bytes
      const file = join(dir, `m${m}${src.gz ? '.nii.gz' : '.nii'}`)
      writeFileSync(file, onDisk)
      try {
        const img = await withTimeout(readNifti(file, { maxBytes: 32 << 20 }), PER_READ_LIMIT_MS)
        const n = img.dims[0] * img.dims[1] * img.dims[2]
        const consistent = img.data.length === n && img.affine.flat().every(Number.isFinite) && img.header.nonFiniteCount <= n
        if (!consistent) failures.push(`#${m} ${src.name} [${what.join(', ')}]: inconsistent image`)
        images++
      } catch (err) {
        if (isNiftiError(err) && err.message.startsWith(file)) errors++
        else failures.push(`#${m} ${src.name} [${what.join(', ')}]: ${(err as Error)?.stack ?? err}`)
      }
    }
    expect(failures).toEqual([])
    // The loop must exercise both outcomes, or the mutations are not doing anything.
    expect(errors).toBeGreaterThan(MUTANTS / 10)
    expect(images).toBeGreaterThan(MUTANTS / 20)
  })
})
