/**
 * NIfTI benchmark (not a test): load + scale + hippocampus crop, this project against nibabel
 * (bench/nifti_nibabel.py, a python3 child of the same invocation, runs alternating with ours), on the shared fixtures and
 * on generated 1 mm MNI volumes (181x217x181, float32 .nii.gz and int16 .nii).
 * Prints the median milliseconds of each side and the ratio ours / nibabel (goal <= 1.0).
 *
 * usage: node --import tsx bench/nifti-bench.ts [--repeats N]
 */
import { execFileSync, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readNifti } from '../src-main/readers/nifti/read'
import { writeNifti } from '../src-main/readers/nifti/write'
import { cropBlock } from '../src-main/roi/crop'
import { HIPPOCAMPUS_BOXES, boxToVoxelRange } from '../src-main/roi/boxes'
import type { Volume } from '../src-main/volume/types'

const repoRoot = resolve(__dirname, '..')
const fixtures = resolve(repoRoot, '..', 'shared', 'fixtures', 'nifti')

interface Timing {
  median: number
  min: number
}

function summarise(xs: number[]): Timing {
  const s = [...xs].sort((a, b) => a - b)
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  return { median, min: s[0] }
}

/** The same crop as the Python side: each box's voxel range through the image's affine, plus
 *  2 voxels (works for oblique images too, unlike cropHippocampi, which needs aligned axes). */
function cropBoth(vol: Volume): Volume[] {
  return [HIPPOCAMPUS_BOXES.left, HIPPOCAMPUS_BOXES.right].map((box) => {
    const range = boxToVoxelRange(box, vol)
    const start = range.map(([lo]) => lo - 2) as [number, number, number]
    const size = range.map(([lo, hi]) => hi - lo + 5) as [number, number, number]
    return cropBlock(vol, start, size).volume
  })
}

/** One load + scale + crop by this project, in ms. */
async function oursOnce(file: string): Promise<number> {
  const t0 = performance.now()
  cropBoth(await readNifti(file))
  return performance.now() - t0
}

/** The nibabel side as a long-lived child: send a path, get back the milliseconds of one run. */
function nibabelServer(py: string): { once(file: string): Promise<number>; close(): void } {
  const child = spawn(py, [join(repoRoot, 'bench', 'nifti_nibabel.py')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const waiting: Array<(ms: number) => void> = []
  lines.on('line', (l) => waiting.shift()?.(Number(l)))
  return {
    once(file) {
      return new Promise((resolve) => {
        waiting.push(resolve)
        child.stdin.write(file + '\n')
      })
    },
    close() {
      child.stdin.end()
    }
  }
}

function python(): string {
  for (const p of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(p, ['-c', 'import nibabel'], { stdio: 'ignore' })
      return p
    } catch {
      /* try the next one */
    }
  }
  throw new Error('nifti-bench: no python3 with nibabel found (Debian: apt-get install python3-nibabel)')
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--repeats')
  const repeats = i > 0 ? Number(process.argv[i + 1]) : 15
  const tmp = mkdtempSync(join(tmpdir(), 'nifti-bench-'))
  try {
    // A 1 mm MNI volume (ICBM 181x217x181 grid), smooth content so gzip behaves as on real data.
    const dims: [number, number, number] = [181, 217, 181]
    const affine = [
      [-1, 0, 0, 90],
      [0, 1, 0, -126],
      [0, 0, 1, -72],
      [0, 0, 0, 1]
    ]
    const data = new Float32Array(dims[0] * dims[1] * dims[2])
    let o = 0
    for (let k = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let ii = 0; ii < dims[0]; ii++) {
          const r2 = ((ii - 90) / 70) ** 2 + ((j - 108) / 85) ** 2 + ((k - 90) / 70) ** 2
          data[o++] = r2 < 1 ? 0.5 + 0.4 * Math.sin(ii / 5) * Math.cos(j / 7) * Math.sin(k / 6) : 0
        }
    const files: string[] = []
    for (const f of ['icbm2009a_gm_mni2mm.nii.gz', 'spm12_pet_template_mni2mm.nii', 'nibabel_anatomical_bigendian.nii', 'nibabel_example_nifti2.nii.gz']) {
      if (existsSync(join(fixtures, f))) files.push(join(fixtures, f))
    }
    if (files.length === 0) console.warn(`nifti-bench: ${fixtures} not found; only generated volumes are measured`)
    const gz = join(tmp, 'mni1mm_float32.nii.gz')
    const raw = join(tmp, 'mni1mm_int16.nii')
    await writeNifti(gz, { dims, spacing: [1, 1, 1], affine, data }, { xformCode: 4 })
    await writeNifti(raw, { dims, spacing: [1, 1, 1], affine, data }, { xformCode: 4, datatype: 'int16' })
    files.push(gz, raw)

    // Runs alternate, nibabel then ours, so load from other processes on the machine affects
    // both sides alike; one warm-up run each first (page cache, imports, JIT).
    const py = python()
    const nibabel = nibabelServer(py)
    const header = `${'file'.padEnd(34)} ${'ours med'.padStart(9)} ${'nib med'.padStart(9)} ${'ratio'.padStart(6)} ${'ours min'.padStart(9)} ${'nib min'.padStart(9)} ${'ratio'.padStart(6)}`
    const rows: string[] = []
    const ratios: number[] = []
    try {
      for (const f of files) {
        await nibabel.once(f)
        await oursOnce(f)
        const a: number[] = []
        const b: number[] = []
        for (let r = 0; r < repeats; r++) {
          b.push(await nibabel.once(f))
          a.push(await oursOnce(f))
        }
        const t = summarise(a)
        const nib = summarise(b)
        ratios.push(t.median / nib.median)
        const cell = (x: number) => x.toFixed(2).padStart(9)
        rows.push(
          `${f.split('/').pop()!.padEnd(34)} ${cell(t.median)} ${cell(nib.median)} ${(t.median / nib.median).toFixed(2).padStart(6)} ${cell(t.min)} ${cell(nib.min)} ${(t.min / nib.min).toFixed(2).padStart(6)}`
        )
      }
    } finally {
      nibabel.close()
    }
    const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length)
    console.log(`load + scale + hippocampus crop, ${repeats} runs each (ms); node ${process.version}, ${py}`)
    console.log(header)
    console.log(rows.join('\n'))
    console.log(`geometric mean of the median ratios ours/nibabel: ${geo.toFixed(2)} (goal <= 1.0)`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
