/**
 * Runs the benchmarks in bench/ one after another, each in its own Node process (so one
 * benchmark's memory and TensorFlow state do not skew the next).
 *   npm run bench              every bench/*-bench.ts
 *   npm run bench -- densenet  only those whose name contains "densenet"
 * Benchmarks print ratios measured within one run; nothing here asserts times.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const filters = process.argv.slice(2)
const all = readdirSync(__dirname)
  .filter((f) => f.endsWith('-bench.ts'))
  .sort()
const chosen = all.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
if (chosen.length === 0) {
  process.stderr.write(`no benchmark matches ${filters.join(', ')}; available: ${all.join(', ')}\n`)
  process.exit(2)
}
let failed = 0
for (const file of chosen) {
  process.stdout.write(`\n=== ${file} ===\n`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, file)], { stdio: 'inherit' })
  if (r.status !== 0) {
    failed++
    process.stderr.write(`${file} exited with ${r.status ?? r.signal}\n`)
  }
}
process.exit(failed === 0 ? 0 : 1)
