/**
 * Profile of one training step of the 3D DenseNet on a backend (default wasm): how many kernels
 * it runs, and which take the time (tf.profile's per-kernel times), to see where the per-core gap
 * to PyTorch is. The machine may be shared: the load average is printed.
 *
 *   node --import tsx bench/step-profile.ts [--backend wasm] [--preset small] [--input 17x21x20] [--batch 16]
 */
import { loadavg } from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { chooseBackend } from '../src-main/engine/backend/choose'
import { resolveConfig } from '../src-main/engine/model/config'
import { denseNetForward, initialValue, paramSpecs, type BnRecord } from '../src-main/engine/model/densenet'
import { createFastOps } from '../src-main/engine/model/ops/fast'
import { SeededRandom } from '../src-main/domain/random/mulberry32'

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt
}

async function main(): Promise<void> {
  const backend = arg('backend', 'wasm')
  const preset = arg('preset', 'small')
  const input = arg('input', '17x21x20').split('x').map(Number) as [number, number, number]
  const batch = Number(arg('batch', '16'))
  await chooseBackend(backend, undefined, { TCGM_BACKEND: backend })
  const cfg = resolveConfig(preset, 2, 2)
  const rng = new SeededRandom(1)
  const ops = createFastOps()
  const weights = new Map(paramSpecs(cfg).map((s) => [s.name, tf.variable(tf.tensor(initialValue(s, rng), s.shape), s.trainable)]))
  const trainable = [...weights.values()].filter((v) => v.trainable)
  const x = tf.randomNormal([batch, input[2], input[1], input[0], 2], 0, 1, 'float32', 3) as tf.Tensor5D
  const step = () => {
    const records: BnRecord[] = []
    const { value, grads } = tf.variableGrads(() => tf.sum(denseNetForward(cfg, ops, weights, x, true, records)) as tf.Scalar, trainable)
    tf.dispose([value, ...Object.values(grads), ...records.flatMap((r) => [r.stats.mean, r.stats.variance])])
  }
  step() // warm-up
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const prof = await tf.profile(step)
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  const byName = new Map<string, { count: number; ms: number }>()
  for (const k of prof.kernels) {
    const e = byName.get(k.name) ?? { count: 0, ms: 0 }
    e.count++
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0
    byName.set(k.name, e)
  }
  const total = [...byName.values()].reduce((a, e) => a + e.ms, 0)
  console.log(
    `${preset} ${input.join('x')} batch ${batch} on ${backend}: ${prof.kernels.length} kernels in one forward + backward, ${wall.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (profiled), kernel time ${total.toFixed(0)} ms; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  )
  console.log('| kernel | calls | ms | share |')
  console.log('|---|---|---|---|')
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15))
    console.log(`| ${name} | ${e.count} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / (total || 1)).toFixed(0)}% |`)
  tf.dispose([x, ...weights.values()])
  ops.dispose()
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
