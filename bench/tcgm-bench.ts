/**
 * TC gain: the exact Moebius formula (with its gradient) against brute-force enumeration of
 * distinct tuples, for M = 2, 3, 4 and B = 16 .. 512. Prints time per call of each, their ratio
 * and the largest absolute difference of the gain, measured in this run.
 *
 *   node --import tsx bench/tcgm-bench.ts [--classes 2] [--max-tuples 3e7] [--json]
 *
 * Brute force is skipped where B!/(B-M)! exceeds --max-tuples (it is O(B^M C)).
 * The last column relates the exact loss+gradient to a 3D DenseNet training step, taking the
 * fastest CPU step measured in ../shared/research/tfjs_cpu_bench.md (361 ms, batch 4) as the
 * reference; override with --step-ms.
 */
import { parseArgs } from 'node:util'
import { distinctTupleCount, tcGainAndGrad, tcGainBruteForce } from '../src-main/engine/tcgm/tc-gain'
import { Rng } from '../src-main/domain/random/sfc32'

const { values } = parseArgs({
  options: { classes: { type: 'string' }, 'max-tuples': { type: 'string' }, 'step-ms': { type: 'string' }, json: { type: 'boolean' } }
})
const C = Number(values.classes ?? 2)
const maxTuples = Number(values['max-tuples'] ?? 3e7)
const stepMs = Number(values['step-ms'] ?? 361)

function logSoftmaxRows(rng: Rng, B: number): Float32Array {
  const out = new Float32Array(B * C)
  for (let i = 0; i < B; i++) {
    const z = Array.from({ length: C }, () => 2 * rng.normal())
    const mx = Math.max(...z)
    const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0))
    z.forEach((v, c) => (out[i * C + c] = v - lse))
  }
  return out
}

/** Median wall time (ms) of `fn` over repeats filling about `budgetMs`. */
function time(fn: () => void, budgetMs: number): number {
  fn() // warm-up
  const t0 = performance.now()
  fn()
  const once = performance.now() - t0
  const reps = Math.max(3, Math.min(200, Math.floor(budgetMs / Math.max(once, 1e-3))))
  const ts: number[] = []
  for (let r = 0; r < reps; r++) {
    const s = performance.now()
    fn()
    ts.push(performance.now() - s)
  }
  ts.sort((a, b) => a - b)
  return ts[Math.floor(ts.length / 2)]!
}

const rows: Record<string, unknown>[] = []
const rng = new Rng(1)
const logPrior = Array.from({ length: C }, () => -Math.log(C))
for (const M of [2, 3, 4]) {
  for (const B of [16, 32, 64, 128, 256, 512]) {
    const logHs = Array.from({ length: M }, () => logSoftmaxRows(rng, B))
    let gain = 0
    const exactMs = time(() => (gain = tcGainAndGrad(logHs, B, C, logPrior).gain), 200)
    const tuples = distinctTupleCount(B, M)
    let bruteMs: number | null = null
    let maxDiff: number | null = null
    if (tuples <= maxTuples) {
      const s = performance.now()
      const brute = tcGainBruteForce(logHs, B, C, logPrior)
      bruteMs = performance.now() - s
      maxDiff = Math.abs(brute - gain)
    }
    const row = { M, B, C, exactMs, bruteMs, ratio: bruteMs === null ? null : bruteMs / exactMs, maxDiff, percentOfStep: (100 * exactMs) / stepMs }
    rows.push(row)
    if (!values.json) {
      process.stdout.write(
        `M=${M} B=${String(B).padStart(3)} C=${C}  exact+grad ${exactMs.toFixed(4).padStart(9)} ms  ` +
          (bruteMs === null
            ? `brute force skipped (${tuples.toExponential(1)} tuples)`
            : `brute ${bruteMs.toFixed(2).padStart(10)} ms  ratio ${(bruteMs / exactMs).toExponential(2)}  max |diff| ${maxDiff!.toExponential(2)}`) +
          `  ${row.percentOfStep.toFixed(4)}% of a ${stepMs} ms step\n`
      )
    }
  }
}
if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
