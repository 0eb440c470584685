/**
 * Accuracy on an imported demo cohort: TCGM against the CE baseline and the oracle, over seeds.
 * Issue 6's acceptance: 300 subjects, 10% labels, 5 seeds; TCGM's aggregator at least 3 points
 * above CE's and within 5 points of the oracle's (test accuracy, mean over seeds).
 *
 *   node --import tsx bench/accuracy-bench.ts [--study DIR] [--ground-truth FILE] [--seeds 5]
 *        [--first-seed 0] [--label-rate 0.1] [--epochs 30] [--preset tiny] [--methods tcgm,ce]
 *        [--parallel 2] [--subjects 300]
 *
 * Without --study it first writes the demo cohort (--subjects, demo seed 1) and imports it into
 * a temporary study through the CLI (several minutes at 300 subjects).
 *
 * Per seed s, as a researcher repeating the experiment would: the visible labels are a fresh
 * stratified draw at the label rate (seed s, `chooseVisible`), the split is made as the app makes
 * it (stratified by class and visibility, seed s), and the networks start from seed s. Every
 * method sees the same labels and split for a seed, so the differences are paired. The engine
 * configuration is the app's (`engineConfigFor`: its defaults and its model-selection rule).
 * The study is only read: its labels and split are not changed. The oracle is the Bayes
 * posterior P(y | a, b) of the ground-truth TSV that the demo generator writes beside the cohort.
 *
 * Besides accuracy, on the test split (DEMO_COHORT.md, "what good looks like"): how far each
 * learned posterior is from the oracle's for what that model sees (sMRI vs P(y | a), PET vs
 * P(y | b), the aggregator vs P(y | a, b)), as the mean |p - q|, and how well calibrated it is
 * against the true labels (expected calibration error, 10 bins).
 *
 * One child process per (method, seed), `--parallel` at a time (one core each: wasm is
 * single-threaded under Node). A benchmark, not a test: it asserts nothing.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { GROUND_TRUTH_TSV } from '../src-main/demo/cohort'
import { createImageModalityModel } from '../src-main/engine/model/image-model'
import { engineConfigFor } from '../src-main/runs/plan'
import { drawLabelling } from '../src-main/runs/run-labelling'
import { loadStudy } from '../src-main/study/study'
import { loadStudyTrainingData } from '../src-main/runs/kinds/study'
import { expectedCalibrationError, meanStd } from '../src-main/engine/train/metrics'
import { trainTcgm, type Split } from '../src-main/engine/train/train-tcgm'
import { oracleAccuracy, readGroundTruth, type GroundTruthRow } from './ground-truth'

const { values } = parseArgs({
  options: {
    study: { type: 'string' },
    'ground-truth': { type: 'string' },
    seeds: { type: 'string', default: '5' },
    'first-seed': { type: 'string', default: '0' },
    'label-rate': { type: 'string', default: '0.1' },
    epochs: { type: 'string', default: '30' },
    preset: { type: 'string', default: 'tiny' },
    methods: { type: 'string', default: 'tcgm,ce' },
    parallel: { type: 'string', default: '2' },
    subjects: { type: 'string', default: '300' },
    child: { type: 'string' }
  }
})

interface Job {
  study: string
  groundTruth: string
  method: 'tcgm' | 'ce'
  seed: number
  labelRate: number
  epochs: number
  preset: string
}

interface JobResult {
  method: string
  seed: number
  labelledTrain: number
  labelledVal: number
  selectedEpoch: number
  selection: string
  seconds: number
  /** Test split: aggregator and per-modality accuracy and AUC, by subject id for the oracle. */
  accuracy: number
  auc: number
  /** Test split: mean |p - q| to the oracle posterior, and expected calibration error. */
  oracleDiff: number
  ece: number
  modalities: Record<string, { accuracy: number; auc: number; oracleDiff: number; ece: number }>
  testIds: string[]
}

/** One run (child process): redraw labels and split for the seed, train with the app's config. */
async function runJob(job: Job): Promise<JobResult> {
  const t = await loadStudyTrainingData({ study: job.study, preset: job.preset, seed: job.seed })
  const ids = t.subjectIds
  const known = new Map<string, string>()
  t.data.trueLabels!.forEach((y, i) => {
    if (y !== null) known.set(ids[i]!, t.classNames[y]!)
  })
  // The draw a sweep cell makes (runs/run-labelling.ts): chooseVisible, then the split by class and visibility.
  const drawn = drawLabelling(ids, known, job.labelRate, job.seed)
  const visible = new Set(drawn.visible)
  const split = ids.map((id) => drawn.split[id]! as Split)
  const labels = t.data.trueLabels!.map((y, i) => (visible.has(ids[i]!) ? y : null))
  // The oracle posteriors [N, 2] (NC, AD) of what each model sees, for the calibration figures.
  const gt = readGroundTruth(job.groundTruth)
  const oracle = (pick: (r: GroundTruthRow) => number) => Float64Array.from(ids.flatMap((id) => [1 - pick(gt.get(id)!), pick(gt.get(id)!)]))
  const perModality: Record<string, (r: GroundTruthRow) => number> = { smri: (r) => r.pAdGivenA, pet: (r) => r.pAdGivenB }
  if (t.classNames.join() !== 'NC,AD') throw new Error(`accuracy-bench: the study's classes are ${t.classNames.join(', ')}; the demo's ground truth is NC, AD`)
  const knownPosteriors = { modalities: t.modalities.map((m) => oracle(perModality[m]!)), aggregator: oracle((r) => r.pAdGivenAb) }
  const data = { ...t.data, split, labels, knownPosteriors }
  const valCounts = t.classNames.map((_, c) => labels.filter((y, i) => y === c && split[i] === 'val').length)
  const config = engineConfigFor({ method: job.method, preset: job.preset, seeds: 1 }, job.epochs, valCounts)
  const models = []
  for (const [m, modality] of t.modalities.entries()) {
    models.push(
      await createImageModalityModel({ modality, numClasses: t.classNames.length, preset: job.preset, crops: t.crops[m]!, seed: job.seed * 1009 + m + 1 })
    )
  }
  const started = Date.now()
  const r = await trainTcgm(models, data, { ...config, seed: job.seed })
  const te = r.evaluation.test!
  const testRows = ids.flatMap((_, i) => (split[i] === 'test' && t.data.trueLabels![i] !== null ? [i] : []))
  const rowsOf = (probs: ArrayLike<number>, rows: number[]) => rows.flatMap((i) => [probs[2 * i]!, probs[2 * i + 1]!])
  const eceOf = (probs: ArrayLike<number>, m: number | null) => {
    const rows = m === null ? testRows : testRows.filter((i) => t.data.available[i]![m])
    return expectedCalibrationError(
      rowsOf(probs, rows),
      rows.map((i) => t.data.trueLabels![i]!),
      2
    )
  }
  return {
    method: job.method,
    seed: job.seed,
    labelledTrain: labels.filter((y, i) => y !== null && split[i] === 'train').length,
    labelledVal: labels.filter((y, i) => y !== null && split[i] === 'val').length,
    selectedEpoch: r.selectedEpoch,
    selection: r.config.selectionMetric,
    seconds: (Date.now() - started) / 1000,
    accuracy: te.aggregator!.accuracy,
    auc: te.aggregator!.auc,
    oracleDiff: te.calibration?.aggregator ?? NaN,
    ece: eceOf(r.posteriors.aggregator, null),
    modalities: Object.fromEntries(
      t.modalities.map((m, k) => [
        m,
        {
          accuracy: te.modalities[k]?.accuracy ?? NaN,
          auc: te.modalities[k]?.auc ?? NaN,
          oracleDiff: te.calibration?.modalities[k] ?? NaN,
          ece: eceOf(r.posteriors.modalities[k]!, k)
        }
      ])
    ),
    testIds: ids.filter((_, i) => split[i] === 'test')
  }
}

function runChild(job: Job): Promise<JobResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (code === 0 && line) resolvePromise(JSON.parse(line) as JobResult)
      else reject(new Error(`${job.method} seed ${job.seed} failed (exit ${code}): ${err.trim().split('\n').slice(-5).join('\n')}`))
    })
  })
}

const pct = (x: number) => (100 * x).toFixed(1)
const ms = (xs: number[]) => {
  const s = meanStd(xs)
  return `${pct(s.mean)} ± ${pct(s.std)}`
}

async function main(): Promise<void> {
  if (values.child) {
    process.stdout.write(JSON.stringify(await runJob(JSON.parse(values.child) as Job)) + '\n')
    process.exit(0)
  }
  let study = values.study ? resolve(values.study) : ''
  let temp: string | null = null
  if (!study) {
    temp = mkdtempSync(join(tmpdir(), 'tcgm-accuracy-'))
    study = join(temp, 'study')
    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'src-main', 'cli.ts'), ...args], {
        stdio: ['ignore', 'ignore', 'inherit']
      })
      if (r.status !== 0) throw new Error(`accuracy-bench: cli ${args[0]} failed (exit ${r.status ?? r.signal})`)
    }
    process.stdout.write(`writing and importing a ${values.subjects}-subject demo cohort in ${temp}\n`)
    cli(['demo', '--out', join(temp, 'cohort'), '--subjects', values.subjects!, '--seed', '1'])
    cli(['import', join(temp, 'cohort'), '--study', study])
  }
  const s = await loadStudy(study)
  const gtPath = values['ground-truth'] ?? join(s.file.source ?? dirname(study), GROUND_TRUTH_TSV)
  const gt = readGroundTruth(gtPath)
  const missing = s.file.subjects.filter((x) => !gt.has(x.id))
  if (missing.length) throw new Error(`${gtPath}: no ground truth for ${missing.length} subject(s) of the study (${missing[0]!.id}, ...)`)

  const seeds = Array.from({ length: Number(values.seeds) }, (_, k) => Number(values['first-seed']) + k)
  const methods = values.methods!.split(',') as Array<'tcgm' | 'ce'>
  const jobs: Job[] = seeds.flatMap((seed) =>
    methods.map((method) => ({
      study,
      groundTruth: gtPath,
      method,
      seed,
      labelRate: Number(values['label-rate']),
      epochs: Number(values.epochs),
      preset: values.preset!
    }))
  )
  process.stdout.write(
    `accuracy bench: ${s.file.subjects.length} subjects, label rate ${values['label-rate']}, seeds ${seeds.join(',')}, ${values.epochs} epochs, preset ${values.preset}, ${values.parallel} in parallel\n`
  )
  const results: JobResult[] = []
  const queue = jobs.slice()
  await Promise.all(
    Array.from({ length: Number(values.parallel) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const r = await runChild(job)
        results.push(r)
        const mods = Object.entries(r.modalities)
          .map(([m, v]) => `${m} ${pct(v.accuracy)}`)
          .join(', ')
        process.stdout.write(
          `  ${r.method} seed ${r.seed}: test accuracy ${pct(r.accuracy)} (AUC ${pct(r.auc)}; ${mods}), oracle ${pct(oracleAccuracy(gt, r.testIds))}; ${r.labelledTrain} labelled in train, ${r.labelledVal} in val; epoch ${r.selectedEpoch + 1} kept (${r.selection}); ${r.seconds.toFixed(0)} s\n`
        )
      }
    })
  )
  const bySeed = (method: string) => seeds.map((seed) => results.find((r) => r.method === method && r.seed === seed)!)
  const oracles = seeds.map((seed) => oracleAccuracy(gt, results.find((r) => r.seed === seed)!.testIds))
  process.stdout.write(`\ntest accuracy over ${seeds.length} seeds (mean ± std, %)\n`)
  process.stdout.write(`  oracle P(y|a,b)  ${ms(oracles)}\n`)
  for (const m of methods) {
    const rs = bySeed(m)
    const mods = Object.keys(rs[0]!.modalities)
      .map((k) => `${k} ${ms(rs.map((r) => r.modalities[k]!.accuracy))}`)
      .join(', ')
    process.stdout.write(`  ${m.padEnd(15)}  ${ms(rs.map((r) => r.accuracy))}   (${mods})\n`)
  }
  process.stdout.write(`\ntest split: mean |p - oracle| (sMRI vs P(y|a), PET vs P(y|b), aggregator vs P(y|a,b)) and ECE, mean ± std over seeds, %\n`)
  for (const m of methods) {
    const rs = bySeed(m)
    const cal = (pick: (r: JobResult) => { oracleDiff: number; ece: number }) =>
      `|p - q| ${ms(rs.map((r) => pick(r).oracleDiff))}, ECE ${ms(rs.map((r) => pick(r).ece))}`
    const mods = Object.keys(rs[0]!.modalities)
      .map((k) => `${k}: ${cal((r) => r.modalities[k]!)}`)
      .join('; ')
    process.stdout.write(`  ${m.padEnd(15)}  aggregator: ${cal((r) => r)}; ${mods}\n`)
  }

  process.stdout.write('\n')
  if (methods.includes('tcgm') && methods.includes('ce')) {
    const t = bySeed('tcgm')
    const c = bySeed('ce')
    const diff = seeds.map((_, k) => t[k]!.accuracy - c[k]!.accuracy)
    const gap = seeds.map((_, k) => oracles[k]! - t[k]!.accuracy)
    process.stdout.write(`  TCGM - CE (paired)       ${ms(diff)}   goal >= +3\n`)
    process.stdout.write(`  oracle - TCGM            ${ms(gap)}   goal <= 5\n`)
  }
  if (temp) rmSync(temp, { recursive: true, force: true })
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
