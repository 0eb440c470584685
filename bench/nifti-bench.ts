/**
 * NIfTI benchmark (not a test): load + scale + hippocampus crop, this project against nibabel
 * (bench/nifti_nibabel.py, run with python3 in the same invocation), on the shared fixtures and
 * on generated 1 mm MNI volumes (181x217x181, float32 .nii.gz and int16 .nii).
 * Prints the median milliseconds of each side and the ratio ours / nibabel (goal <= 1.0).
 *
 * usage: node --import tsx bench/nifti-bench.ts [--repeats N]
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readNifti } from '../src-main/nifti/read'
import { writeNifti } from '../src-main/nifti/write'
import { cropBlock } from '../src-main/roi/crop'
import { HIPPOCAMPUS_BOXES, boxToVoxelRange } from '../src-main/roi/boxes'
import type { Volume } from '../src-main/nifti/types'

const repoRoot = resolve(__dirname, '..')
const fixtures = resolve(repoRoot, '..', 'shared', 'fixtures', 'nifti')

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
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

async function ours(file: string, repeats: number): Promise<number> {
  const once = async () => cropBoth(await readNifti(file))
  await once() // warm-up: page cache, JIT
  const times: number[] = []
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now()
    await once()
    times.push(performance.now() - t0)
  }
  return median(times)
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

    const py = python()
    const nib = JSON.parse(
      execFileSync(py, [join(repoRoot, 'bench', 'nifti_nibabel.py'), String(repeats), ...files], { encoding: 'utf8' })
    ) as Record<string, number>

    const rows: string[] = []
    const ratios: number[] = []
    for (const f of files) {
      const t = await ours(f, repeats)
      const ratio = t / nib[f]
      ratios.push(ratio)
      rows.push(`${f.split('/').pop()!.padEnd(36)} ${t.toFixed(2).padStart(9)} ${nib[f].toFixed(2).padStart(9)} ${ratio.toFixed(2).padStart(7)}`)
    }
    const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length)
    console.log(`load + scale + hippocampus crop, median of ${repeats} runs (ms); node ${process.version}, ${py}`)
    console.log(`${'file'.padEnd(36)} ${'ours'.padStart(9)} ${'nibabel'.padStart(9)} ${'ratio'.padStart(7)}`)
    console.log(rows.join('\n'))
    console.log(`geometric mean ratio ours/nibabel: ${geo.toFixed(2)} (goal <= 1.0)`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
