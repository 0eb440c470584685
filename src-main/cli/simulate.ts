/**
 * `simulate`: the paper's Gaussian simulation (DEMO_COHORT.md section 2). Trains TCGM and/or the
 * CE baseline for several seeds and prints, per seed and as mean +- std, the aggregator's and
 * each modality's test accuracy next to the Bayes-optimal accuracy, and the distance of the
 * learned posteriors to the Bayes posteriors. With --label-rate 0 (no labels) TCGM is used as
 * clustering: accuracy under the best matching of clusters to classes, next to k-means++ on the
 * concatenated standardised features.
 */
import { parseArgs } from 'node:util'
import { bestMatchingAccuracy, assignNearest, kMeansPlusPlus } from '../engine/tcgm/clustering'
import { buildGaussianSimRun } from '../runs/kinds/gaussian-sim'
import type { Method } from '../domain/method'
import { resolveTrainConfig, type TrainConfig } from '../domain/train-config'
import { argmaxRow, classificationMetrics, meanAbsPosteriorDifference, meanStd, type MeanStd } from '../engine/train/metrics'
import { Rng } from '../domain/random/sfc32'
import { trainTcgm } from '../engine/train/train-tcgm'

export const summary = 'Gaussian simulation of the paper: TCGM vs CE vs Bayes-optimal (and k-means++ without labels)'

const usage = `usage: simulate --modalities M --classes C --dim D --separation S --n N --label-rate R
                --seeds K --method tcgm|ce|both [--json]
  training: [--epochs 60] [--warmup-epochs 20] [--batch-size 16] [--tc-batch-size 64]
            [--lr-labelled 0.01] [--lr-unlabelled 0.001] [--hidden 0 | 32,16]
  data:     [--test-fraction 0.3333] [--covariance random|isotropic] [--first-seed 1]
separation = Mahalanobis distance between any two class means of a modality
(2.3 gives each modality a Bayes accuracy of about 0.79 for C = 3).`

export interface SimSeedResult {
  seed: number
  method: Method
  /** Test accuracy of the aggregator and of each modality (label rate 0: raw cluster ids, not
   *  meaningful; see clusteringAccuracy). */
  aggregatorAccuracy: number
  modalityAccuracy: number[]
  /** Bayes-optimal test accuracy (all modalities) and per modality. */
  bayesAccuracy: number
  bayesModalityAccuracy: number[]
  /** Mean |p - p_Bayes| on test subjects, aggregator and per modality (label rate 0: after the
   *  best matching of clusters to classes). */
  aggregatorCalibration: number
  modalityCalibration: number[]
  /** Label rate 0 only: accuracy under the best cluster-to-class matching. */
  clusteringAccuracy?: number
  kmeansAccuracy?: number
  seconds: number
}

function num(name: string, v: string | undefined, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new Error(`simulate: --${name} is required\n${usage}`)
    return fallback
  }
  const x = Number(v)
  if (!Number.isFinite(x)) throw new Error(`simulate: --${name} must be a number, got '${v}'`)
  return x
}

/** '0' or '' = linear softmax; '32,16' = two hidden layers. */
export function parseHidden(v: string | undefined): number[] {
  if (v === undefined || v === '' || v === '0') return []
  const sizes = v.split(',').map(Number)
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`--hidden must be 0 or comma-separated positive integers, got '${v}'`)
  return sizes
}

export interface SimulateOptions {
  modalities: number
  classes: number
  dim: number
  separation: number
  n: number
  labelRate: number
  seeds: number
  firstSeed: number
  methods: Method[]
  hidden: number[]
  testFraction: number
  covariance: 'random' | 'isotropic'
  train: Partial<TrainConfig>
}

/** Runs one seed of one method in this process. */
export async function simulateSeed(o: SimulateOptions, seed: number, method: Method): Promise<SimSeedResult> {
  const t0 = Date.now()
  const run = buildGaussianSimRun({
    modalities: o.modalities,
    classes: o.classes,
    dim: o.dim,
    separation: o.separation,
    n: o.n,
    labelRate: o.labelRate,
    seed,
    testFraction: o.testFraction,
    valFraction: 0,
    hidden: o.hidden,
    covariance: o.covariance
  })
  const C = o.classes
  const res = await trainTcgm(run.models, run.data, { ...o.train, method, seed, selectionMetric: 'last' })
  const test = run.data.split.flatMap((s, i) => (s === 'test' ? [i] : []))
  const train = run.data.split.flatMap((s, i) => (s === 'train' ? [i] : []))
  const y = test.map((i) => run.sim.labels[i]!)
  const rowsOf = (p: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(test.length * C)
    test.forEach((r, k) => {
      for (let c = 0; c < C; c++) out[k * C + c] = p[r * C + c]!
    })
    return out
  }
  const acc = (p: ArrayLike<number>): number => classificationMetrics(rowsOf(p), y, C).accuracy
  const ev = res.evaluation.test!
  const out: SimSeedResult = {
    seed,
    method,
    aggregatorAccuracy: ev.aggregator!.accuracy,
    modalityAccuracy: ev.modalities.map((m) => m!.accuracy),
    bayesAccuracy: acc(run.sim.bayes.joint),
    bayesModalityAccuracy: run.sim.bayes.modalities.map(acc),
    aggregatorCalibration: ev.calibration!.aggregator!,
    modalityCalibration: ev.calibration!.modalities.map((v) => v!),
    seconds: 0
  }
  if (o.labelRate === 0) {
    const clusters = test.map((i) => argmaxRow(res.posteriors.aggregator, i, C))
    const matched = bestMatchingAccuracy(clusters, y, C)
    out.clusteringAccuracy = matched.accuracy
    // Without labels the class order is arbitrary: compare posteriors to Bayes after relabelling
    // cluster j as class mapping[j].
    const relabel = (p: ArrayLike<number>): Float64Array => {
      const q = new Float64Array(p.length)
      for (let i = 0; i < p.length / C; i++) for (let j = 0; j < C; j++) q[i * C + matched.mapping[j]!] = p[i * C + j]!
      return q
    }
    out.aggregatorCalibration = meanAbsPosteriorDifference(relabel(res.posteriors.aggregator), run.sim.bayes.joint, C, test)
    out.modalityCalibration = res.posteriors.modalities.map((p, m) => meanAbsPosteriorDifference(relabel(p), run.sim.bayes.modalities[m]!, C, test))
    // k-means++ fitted on the training subjects' concatenated standardised features.
    const D = o.dim * o.modalities
    const concat = (rows: number[]): Float64Array => {
      const x = new Float64Array(rows.length * D)
      rows.forEach((r, k) =>
        run.features.forEach((f, m) => {
          for (let d = 0; d < o.dim; d++) x[k * D + m * o.dim + d] = f[r * o.dim + d]!
        })
      )
      return x
    }
    const km = kMeansPlusPlus(concat(train), D, C, new Rng(seed * 7919 + 1), { restarts: 10 })
    out.kmeansAccuracy = bestMatchingAccuracy(assignNearest(concat(test), D, km.centroids), y, C).accuracy
  }
  out.seconds = (Date.now() - t0) / 1000
  return out
}

export interface SimulateSummary {
  method: Method
  aggregatorAccuracy: MeanStd
  modalityAccuracy: MeanStd[]
  bayesAccuracy: MeanStd
  bayesModalityAccuracy: MeanStd[]
  aggregatorCalibration: MeanStd
  modalityCalibration: MeanStd[]
  clusteringAccuracy?: MeanStd
  kmeansAccuracy?: MeanStd
}

export function summarise(method: Method, rs: SimSeedResult[]): SimulateSummary {
  const M = rs[0]!.modalityAccuracy.length
  const per = (f: (r: SimSeedResult) => number[]): MeanStd[] => Array.from({ length: M }, (_, m) => meanStd(rs.map((r) => f(r)[m]!)))
  const s: SimulateSummary = {
    method,
    aggregatorAccuracy: meanStd(rs.map((r) => r.aggregatorAccuracy)),
    modalityAccuracy: per((r) => r.modalityAccuracy),
    bayesAccuracy: meanStd(rs.map((r) => r.bayesAccuracy)),
    bayesModalityAccuracy: per((r) => r.bayesModalityAccuracy),
    aggregatorCalibration: meanStd(rs.map((r) => r.aggregatorCalibration)),
    modalityCalibration: per((r) => r.modalityCalibration)
  }
  if (rs[0]!.clusteringAccuracy !== undefined) {
    s.clusteringAccuracy = meanStd(rs.map((r) => r.clusteringAccuracy!))
    s.kmeansAccuracy = meanStd(rs.map((r) => r.kmeansAccuracy!))
  }
  return s
}

const fmt = (x: number): string => x.toFixed(3)
const fms = (s: MeanStd): string => `${fmt(s.mean)} +- ${fmt(s.std)}`

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      modalities: { type: 'string' },
      classes: { type: 'string' },
      dim: { type: 'string' },
      separation: { type: 'string' },
      n: { type: 'string' },
      'label-rate': { type: 'string' },
      seeds: { type: 'string' },
      'first-seed': { type: 'string' },
      method: { type: 'string' },
      json: { type: 'boolean' },
      epochs: { type: 'string' },
      'warmup-epochs': { type: 'string' },
      'batch-size': { type: 'string' },
      'tc-batch-size': { type: 'string' },
      'lr-labelled': { type: 'string' },
      'lr-unlabelled': { type: 'string' },
      hidden: { type: 'string' },
      'test-fraction': { type: 'string' },
      covariance: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const methodArg = values.method ?? 'both'
  if (!['tcgm', 'ce', 'both'].includes(methodArg)) throw new Error(`simulate: --method must be tcgm, ce or both, got '${methodArg}'`)
  const labelRate = num('label-rate', values['label-rate'])
  let methods: Method[] = methodArg === 'both' ? ['tcgm', 'ce'] : [methodArg as Method]
  if (labelRate === 0 && methods.includes('ce')) {
    if (methodArg === 'ce') throw new Error('simulate: the CE baseline needs labels; --label-rate 0 only runs TCGM (clustering)')
    methods = ['tcgm']
  }
  const covariance = values.covariance ?? 'random'
  if (covariance !== 'random' && covariance !== 'isotropic') throw new Error(`simulate: --covariance must be random or isotropic, got '${covariance}'`)
  const o: SimulateOptions = {
    modalities: num('modalities', values.modalities),
    classes: num('classes', values.classes),
    dim: num('dim', values.dim),
    separation: num('separation', values.separation),
    n: num('n', values.n),
    labelRate,
    seeds: num('seeds', values.seeds, 5),
    firstSeed: num('first-seed', values['first-seed'], 1),
    methods,
    hidden: parseHidden(values.hidden),
    testFraction: num('test-fraction', values['test-fraction'], 1 / 3),
    covariance,
    train: resolveTrainConfig({
      epochs: num('epochs', values.epochs, 60),
      warmupEpochs: num('warmup-epochs', values['warmup-epochs'], 20),
      batchSize: num('batch-size', values['batch-size'], 16),
      tcBatchSize: num('tc-batch-size', values['tc-batch-size'], 64),
      lrLabelled: num('lr-labelled', values['lr-labelled'], 0.01),
      lrUnlabelled: num('lr-unlabelled', values['lr-unlabelled'], 0.001)
    })
  }
  const perSeed: SimSeedResult[] = []
  for (let s = 0; s < o.seeds; s++) {
    for (const method of o.methods) {
      const r = await simulateSeed(o, o.firstSeed + s, method)
      perSeed.push(r)
      if (!values.json) {
        const clustering = r.clusteringAccuracy !== undefined
        const extra = clustering ? `  k-means++ ${fmt(r.kmeansAccuracy!)}` : ''
        // Without labels, class ids are arbitrary: show the matched clustering accuracy instead.
        const acc = clustering
          ? `clustering ${fmt(r.clusteringAccuracy!)}`
          : `aggregator ${fmt(r.aggregatorAccuracy)}  modalities ${r.modalityAccuracy.map(fmt).join(' ')}`
        process.stdout.write(
          `seed ${r.seed} ${r.method.padEnd(4)}  ${acc}  ` +
            `bayes ${fmt(r.bayesAccuracy)} (modalities ${r.bayesModalityAccuracy.map(fmt).join(' ')})  |p-pBayes| ${fmt(r.aggregatorCalibration)}${extra}  ${r.seconds.toFixed(1)} s\n`
        )
      }
    }
  }
  const summaries = o.methods.map((m) =>
    summarise(
      m,
      perSeed.filter((r) => r.method === m)
    )
  )
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ options: o, perSeed, summaries }, null, 2)}\n`)
  } else {
    for (const s of summaries) {
      const head = s.clusteringAccuracy
        ? `clustering (best matching) ${fms(s.clusteringAccuracy)}  k-means++ ${fms(s.kmeansAccuracy!)}  bayes ${fms(s.bayesAccuracy)}`
        : `aggregator ${fms(s.aggregatorAccuracy)}  bayes ${fms(s.bayesAccuracy)}  modalities ${s.modalityAccuracy.map(fms).join(', ')}`
      process.stdout.write(
        `mean ${s.method.padEnd(4)}  ${head}\n` +
          `      bayes per modality ${s.bayesModalityAccuracy.map(fms).join(', ')}  |p-pBayes| aggregator ${fms(s.aggregatorCalibration)}, modalities ${s.modalityCalibration.map(fms).join(', ')}\n`
      )
    }
  }
  return 0
}
