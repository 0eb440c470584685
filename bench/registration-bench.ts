/**
 * Registration in the app (elastix as WebAssembly, @itk-wasm/elastix) against Debian's native
 * elastix CLI (apt-get install elastix) on the same pairs with the same parameter map: T1s made
 * from the bundled template in known poses (demo/native-pose.ts), registered back to the
 * template. Prints time and error (mean / max over the brain, against the known transform) for
 * each, and the ratios wasm / native. One thread for the CLI, as the wasm build has one.
 *   node --import tsx bench/registration-bench.ts [--pairs 3]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { writeNifti } from '../src-main/readers/nifti/write'
import { type ElastixMap, elastixTransformText, mapToRasAffine, registerT1ToTemplate, stageMaps } from '../src-main/preprocessing/registration'
import { loadMniTemplates } from '../src-main/preprocessing/templates'
import { makePose, poseErrorMm, toNative } from '../src-main/demo/native-pose'
import { SeededRandom } from '../src-main/domain/random/mulberry32'
import type { Affine } from '../src-main/volume/types'

function parseTransformFile(text: string): ElastixMap {
  const map: ElastixMap = {}
  for (const m of text.matchAll(/^\((\w+)\s+(.*)\)\s*$/gm)) map[m[1]!] = [...m[2]!.matchAll(/"([^"]*)"|(\S+)/g)].map((x) => x[1] ?? x[2]!)
  return map
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pairs: { type: 'string', default: '3' } } })
  try {
    execFileSync('elastix', ['--version'], { stdio: 'pipe' })
  } catch {
    process.stdout.write('elastix CLI not found (apt-get install elastix): nothing to compare against\n')
    return
  }
  const tpl = await loadMniTemplates()
  const dir = mkdtempSync(join(tmpdir(), 'tcgm-regbench-'))
  const fixedFile = join(dir, 'fixed.nii')
  await writeNifti(fixedFile, tpl.t1)
  const paramFile = join(dir, 'params.txt')
  const [map] = await stageMaps(['affine'])
  // Debian's elastix 5.0.1 has no FinalLinearInterpolator; the resampling interpolator does not
  // take part in the registration (no result image is written), so the CLI gets its default.
  writeFileSync(paramFile, elastixTransformText({ ...map!, ResampleInterpolator: ['FinalBSplineInterpolator'] }))
  const error = (a: Affine, truth: Affine) => poseErrorMm(a, truth, tpl.brainMask)
  const rng = new SeededRandom(17)
  const u = (a: number) => (rng.next() * 2 - 1) * a
  let wasmMs = 0,
    nativeMs = 0,
    wasmErr = 0,
    nativeErr = 0
  const pairs = Number(values.pairs)
  for (let p = 0; p < pairs; p++) {
    const pose = makePose({
      rotationDeg: [u(15), u(15), u(15)],
      scale: [1 + u(0.1), 1 + u(0.1), 1 + u(0.1)],
      shiftMm: [u(20), u(20), 20 + u(20)],
      voxelMm: [1 + rng.next() * 0.3, 1, 1 + rng.next() * 0.3],
      gridRotationDeg: [u(10), 0, u(10)],
      fovMm: [200, 240, 220]
    })
    const moving = toNative(tpl.t1, pose, { bias: 0.2, noise: 0.03, random: () => rng.next() })
    const movingFile = join(dir, `moving${p}.nii`)
    await writeNifti(movingFile, moving)
    let t0 = Date.now()
    const reg = await registerT1ToTemplate(moving, tpl.t1, { model: 'affine' })
    const w = { ms: Date.now() - t0, ...error(reg.worldFromMni!, pose.worldFromMni) }
    const out = join(dir, `out${p}`)
    execFileSync('mkdir', ['-p', out])
    t0 = Date.now()
    execFileSync('elastix', ['-f', fixedFile, '-m', movingFile, '-p', paramFile, '-out', out, '-threads', '1'], { stdio: 'pipe' })
    const nativeMap = parseTransformFile(readFileSync(join(out, 'TransformParameters.0.txt'), 'utf8'))
    const c = { ms: Date.now() - t0, ...error(mapToRasAffine(nativeMap)!, pose.worldFromMni) }
    process.stdout.write(
      `pair ${p}: wasm ${(w.ms / 1000).toFixed(1)} s, error ${w.mean.toFixed(2)} / ${w.max.toFixed(2)} mm | native ${(c.ms / 1000).toFixed(1)} s, error ${c.mean.toFixed(2)} / ${c.max.toFixed(2)} mm\n`
    )
    wasmMs += w.ms
    nativeMs += c.ms
    wasmErr += w.mean
    nativeErr += c.mean
  }
  process.stdout.write(
    `time wasm / native: ${(wasmMs / nativeMs).toFixed(2)} (goal <= 2); mean error wasm / native: ${(wasmErr / nativeErr).toFixed(2)}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`
  )
  rmSync(dir, { recursive: true, force: true })
}

void main()
