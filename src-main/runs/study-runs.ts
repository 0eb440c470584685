/**
 * Training runs of a study: runs/<id>/ holds
 *   config.json           what was asked (method, preset, seeds, epochs, hyperparameters)
 *   status.json           running / done / failed / cancelled, with the writer's pid
 *   seed-<s>/             one engine run per seed: checkpoints/ (resume), progress.jsonl
 *                         (one line per epoch), result.json (posteriors, metrics, history)
 * Seeds run one after another, each in a training worker process (startTrainingRun). A run whose
 * status says running but whose process is gone was interrupted (kill -9, crash): resume
 * continues each unfinished seed from its last checkpoint.
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { MetricsRow, PredictionRow, RunDetail, RunSummary, TrainingProgressDetail } from '../domain/runs'
import { DEFAULT_EPOCHS, HYPERPARAMETER_DEFAULTS, MIN_VAL_LABELS_FOR_SELECTION, defaultWarmupEpochs, type TrainingOptions } from '../domain/training'
import type { TrainConfig } from '../domain/train-config'
import { type ClassificationMetrics, summariseOverSeeds } from '../engine/train/metrics'
import type { RunResult } from './worker/protocol'
import { startTrainingRun } from './worker/client'
import type { SplitEvaluation, TrainProgress, TrainResult } from '../engine/train/train-tcgm'
import { appendLinesDurable, ensureDir, writeFileAtomic } from '../study/atomic'
import { pidAlive } from '../study/lock'
import { loadStudy, makeStudySplits } from '../study/study'

export const RUNS_DIR = 'runs'

/** The split a run was made on, saved in its folder when it starts (older runs have none). */
export const RUN_SPLIT = 'split.json'

/** The assignment a run used: its own saved split, else (older runs) the study's current one. */
export async function runSplitAssignment(study: string, id: string, current: Record<string, string> | undefined): Promise<Record<string, string>> {
  const own = await fsp.readFile(join(runDir(study, id), RUN_SPLIT), 'utf8').then((t) => (JSON.parse(t) as { assignment?: Record<string, string> } | null)?.assignment, () => undefined)
  return own ?? current ?? {}
}

export interface RunConfigFile {
  id: string
  method: 'tcgm' | 'ce'
  preset: string
  seeds: number[]
  epochs: number
  hyperparameters: NonNullable<TrainingOptions['hyperparameters']>
  train: Partial<TrainConfig>
  createdAt: string
  classNames: string[]
}

interface RunStatusFile {
  status: RunSummary['status']
  message: string | null
  pid: number
  startedAt: string
  finishedAt: string | null
}

/** What result.json keeps of one seed (typed arrays as plain arrays). */
export interface SeedResultFile {
  seed: number
  subjectIds: string[]
  classNames: string[]
  modalities: string[]
  selectedEpoch: number
  /** [N * C] per modality (NaN -> null where the subject lacks it) and for the aggregator. */
  posteriors: { modalities: Array<Array<number | null>>; aggregator: number[] }
  predicted: number[]
  evaluation: Partial<Record<'train' | 'val' | 'test', SplitEvaluation>>
  history: TrainResult['history']
  seconds: number
  /** Each modality model's architecture and compute backend with the reason it was chosen. */
  models?: Array<Record<string, unknown> | null>
}

interface EpochLine {
  epoch: number
  phase: string
  ceLoss: Array<number | null>
  tcGain: number | null
  val: Record<string, number>
}

export const runDir = (study: string, id: string) => join(study, RUNS_DIR, id)
export const seedDir = (study: string, id: string, seed: number) => join(runDir(study, id), `seed-${seed}`)

/** A run's config.json. @throws naming the file when it cannot be read */
export function readRunConfig(study: string, id: string): Promise<RunConfigFile> {
  return readJson<RunConfigFile>(join(runDir(study, id), 'config.json'))
}

/** One seed's result.json. @throws naming the file when it cannot be read */
export function readSeedResult(study: string, id: string, seed: number): Promise<SeedResultFile> {
  return readJson<SeedResultFile>(join(seedDir(study, id, seed), 'result.json'))
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n')
}

function newRunId(method: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${t}-${method}-${randomBytes(2).toString('hex')}`
}

export interface RunCallbacks {
  signal?: AbortSignal
  onProgress?: (fraction: number | null, message: string, detail: TrainingProgressDetail) => void
  /** Called once the run folder exists (before training starts). */
  onCreated?: (runId: string) => void
}

/**
 * The engine configuration of a run from the user's options; `valLabelsPerClass` counts the
 * visible labels of each class in the validation split (for selectBy 'auto').
 */
export function engineConfigFor(o: TrainingOptions, epochs: number, valLabelsPerClass: readonly number[]): Partial<TrainConfig> {
  const h = o.hyperparameters ?? {}
  const selectBy = h.selectBy ?? HYPERPARAMETER_DEFAULTS.selectBy
  const selection = {
    balancedAccuracy: 'aggregator-balanced-accuracy',
    accuracy: 'aggregator-accuracy',
    auc: 'aggregator-auc',
    last: 'last',
    auto: Math.min(...valLabelsPerClass) >= MIN_VAL_LABELS_FOR_SELECTION ? 'aggregator-balanced-accuracy' : 'last'
  } as const
  return {
    method: o.method,
    epochs,
    warmupEpochs: h.warmupEpochs === undefined ? defaultWarmupEpochs(epochs) : Math.min(h.warmupEpochs, Math.max(0, epochs - 1)),
    ...(h.lrLabelled ? { lrLabelled: h.lrLabelled } : {}),
    ...(h.lrUnlabelled ? { lrUnlabelled: h.lrUnlabelled } : {}),
    // TC batches are twice the CE batches: the marginal term of the TC gain averages over pairs of
    // subjects within a batch, and unlabelled subjects are ten times as many.
    ...(h.batchSize ? { batchSize: h.batchSize, tcBatchSize: 2 * h.batchSize } : {}),
    selectionMetric: selection[selectBy]
  }
}

/** Starts a run (all seeds, one after another) and resolves when it ends. */
export async function trainStudy(study: string, options: TrainingOptions, cb: RunCallbacks = {}): Promise<RunSummary> {
  let s = await loadStudy(study)
  if (s.labels.size === 0) throw new Error(`study ${s.dir} has no visible labels: label some subjects (or import labels) before training`)
  if (!s.file.splits) {
    await makeStudySplits(study, options.firstSeed ?? 0)
    s = await loadStudy(study)
  }
  const epochs = options.epochs ?? DEFAULT_EPOCHS
  const first = options.firstSeed ?? 0
  const id = newRunId(options.method)
  const valCounts = s.file.settings.classNames.map((c) => [...s.labels].filter(([sid, l]) => l === c && s.file.splits!.assignment[sid] === 'val').length)
  const train = engineConfigFor(options, epochs, valCounts)
  const config: RunConfigFile = {
    id,
    method: options.method,
    preset: options.preset,
    seeds: Array.from({ length: options.seeds }, (_, k) => first + k),
    epochs,
    hyperparameters: options.hyperparameters ?? {},
    train,
    createdAt: new Date().toISOString(),
    classNames: s.file.settings.classNames
  }
  await ensureDir(runDir(s.dir, id))
  // The run keeps the split it was made on: a later re-split of the study changes neither its
  // resume nor its results (runs on different splits are not comparable, and say so).
  await writeJson(join(runDir(s.dir, id), RUN_SPLIT), s.file.splits)
  await writeJson(join(runDir(s.dir, id), 'config.json'), config)
  cb.onCreated?.(id)
  return runSeeds(s.dir, config, false, cb)
}

/** Continues an interrupted (or cancelled / failed) run from its checkpoints. */
export async function resumeStudyRun(study: string, id: string, cb: RunCallbacks = {}): Promise<RunSummary> {
  const summary = await runSummary(study, id)
  if (summary.status === 'done') throw new Error(`run ${id} has finished; nothing to resume`)
  if (summary.status === 'running') throw new Error(`run ${id} is still running (process ${(await readJson<RunStatusFile>(join(runDir(study, id), 'status.json'))).pid})`)
  const config = await readJson<RunConfigFile>(join(runDir(study, id), 'config.json'))
  cb.onCreated?.(id)
  return runSeeds(study, config, true, cb)
}

function toDetail(config: RunConfigFile, seedIndex: number, p: TrainProgress, modalities: string[]): TrainingProgressDetail {
  const ce = p.ceLoss.filter((x): x is number => x !== null)
  let val: TrainingProgressDetail['val'] = null
  if (p.val) {
    val = {}
    p.val.modalities.forEach((m, k) => {
      if (m) val![modalities[k] ?? `m${k}`] = { accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy }
    })
    if (p.val.aggregator) val.aggregator = { accuracy: p.val.aggregator.accuracy, balancedAccuracy: p.val.aggregator.balancedAccuracy }
  }
  const seedsLeft = config.seeds.length - seedIndex - 1
  const perSeed = p.etaSeconds === null ? null : p.elapsedSeconds + p.etaSeconds
  return {
    runId: config.id,
    seed: config.seeds[seedIndex]!,
    seedIndex,
    seeds: config.seeds.length,
    epoch: p.epoch + 1,
    epochs: p.epochs,
    phase: p.phase === 'tcgm' ? 'tc' : p.phase,
    step: p.step,
    steps: p.stepsInEpoch,
    ceLoss: ce.length ? ce.reduce((a, b) => a + b, 0) / ce.length : null,
    tcGain: p.tcGain,
    val,
    etaSeconds: p.etaSeconds === null || perSeed === null ? null : p.etaSeconds + seedsLeft * perSeed
  }
}

function epochLine(p: TrainProgress, modalities: string[]): EpochLine {
  const val: Record<string, number> = {}
  p.val?.modalities.forEach((m, k) => {
    if (m) val[modalities[k] ?? `m${k}`] = m.balancedAccuracy
  })
  if (p.val?.aggregator) val.aggregator = p.val.aggregator.balancedAccuracy
  return { epoch: p.epoch + 1, phase: p.phase, ceLoss: p.ceLoss, tcGain: p.tcGain, val }
}

function nullNaN(a: ArrayLike<number>): Array<number | null> {
  return Array.from(a, (v) => (Number.isFinite(v) ? v : null))
}

async function runSeeds(study: string, config: RunConfigFile, resume: boolean, cb: RunCallbacks): Promise<RunSummary> {
  const dir = runDir(study, config.id)
  const status: RunStatusFile = { status: 'running', message: null, pid: process.pid, startedAt: new Date().toISOString(), finishedAt: null }
  await writeJson(join(dir, 'status.json'), status)
  const finish = async (st: RunStatusFile['status'], message: string | null) => {
    await writeJson(join(dir, 'status.json'), { ...status, status: st, message, finishedAt: new Date().toISOString() })
  }
  try {
    for (let k = 0; k < config.seeds.length; k++) {
      const seed = config.seeds[k]!
      const sd = seedDir(study, config.id, seed)
      if (await fsp.stat(join(sd, 'result.json')).then(() => true, () => false)) continue
      await ensureDir(sd)
      let modalities: string[] = []
      const splitFile = join(dir, RUN_SPLIT)
      const ownSplit = await fsp.stat(splitFile).then(() => true, () => false)
      const handle = startTrainingRun(
        { kind: 'study', params: { study, preset: config.preset, seed, ...(ownSplit ? { splitFile } : {}) }, train: { ...config.train, seed }, runDir: sd, resume, progressIntervalMs: 500 },
        {
          onEvent: (e) => {
            if (e.type === 'started') modalities = e.modalities
            else {
              const p = e.progress
              if (p.type === 'epoch') void appendLinesDurable(join(sd, 'progress.jsonl'), [JSON.stringify(epochLine(p, modalities))]).catch(() => undefined)
              const within = (p.epoch + (p.stepsInEpoch ? p.step / p.stepsInEpoch : 0)) / p.epochs
              const detail = toDetail(config, k, p, modalities)
              cb.onProgress?.((k + within) / config.seeds.length, `seed ${k + 1}/${config.seeds.length}, epoch ${p.epoch + 1}/${p.epochs} (${p.phase})`, detail)
            }
          }
        }
      )
      const onAbort = () => handle.cancel()
      cb.signal?.addEventListener('abort', onAbort, { once: true })
      let result: RunResult
      try {
        result = await handle.done
      } finally {
        cb.signal?.removeEventListener('abort', onAbort)
      }
      if (result.status === 'cancelled') {
        await finish('cancelled', `cancelled during seed ${seed}, epoch ${result.epoch + 1}`)
        return runSummary(study, config.id)
      }
      const r = result.result
      const file: SeedResultFile = {
        seed,
        subjectIds: result.subjectIds ?? [],
        classNames: result.classNames ?? config.classNames,
        modalities: r.modalities,
        selectedEpoch: r.selectedEpoch,
        posteriors: { modalities: r.posteriors.modalities.map(nullNaN), aggregator: Array.from(r.posteriors.aggregator) },
        predicted: r.predicted,
        evaluation: r.evaluation,
        history: r.history,
        seconds: r.seconds,
        models: result.models ?? []
      }
      await writeJson(join(sd, 'result.json'), file)
      resume = true // later seeds: resume if they have checkpoints from an earlier attempt
    }
    await finish('done', null)
  } catch (err) {
    await finish(cb.signal?.aborted ? 'cancelled' : 'failed', (err as Error).message).catch(() => undefined)
    throw err
  }
  return runSummary(study, config.id)
}

async function seedResults(study: string, config: RunConfigFile): Promise<SeedResultFile[]> {
  const out: SeedResultFile[] = []
  for (const seed of config.seeds) {
    const f = join(seedDir(study, config.id, seed), 'result.json')
    if (await fsp.stat(f).then(() => true, () => false)) out.push(await readJson<SeedResultFile>(f))
  }
  return out
}

export async function runSummary(study: string, id: string): Promise<RunSummary> {
  const dir = runDir(study, id)
  const config = await readJson<RunConfigFile>(join(dir, 'config.json'))
  const st = await readJson<RunStatusFile>(join(dir, 'status.json')).catch(() => null)
  let status: RunSummary['status'] = st?.status ?? 'interrupted'
  if (status === 'running' && st && !pidAlive(st.pid)) status = 'interrupted'
  let testAccuracy: number | null = null
  if (status === 'done') {
    const accs = (await seedResults(study, config)).map((r) => r.evaluation.test?.aggregator?.accuracy).filter((x): x is number => typeof x === 'number')
    testAccuracy = accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : null
  }
  return {
    id,
    method: config.method,
    preset: config.preset,
    seeds: config.seeds.length,
    epochs: config.epochs,
    status,
    createdAt: config.createdAt,
    finishedAt: st?.finishedAt ?? null,
    testAccuracy,
    message: status === 'interrupted' ? 'the training process stopped without finishing; resume continues from the last checkpoint' : st?.message ?? null
  }
}

export async function listRuns(study: string): Promise<RunSummary[]> {
  const names = await fsp.readdir(join(study, RUNS_DIR)).catch(() => [] as string[])
  const out: RunSummary[] = []
  for (const n of names) {
    if (n.startsWith('.')) continue
    const s = await runSummary(study, n).catch(() => null)
    if (s) out.push(s)
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
}

function metricsRow(model: string, split: 'train' | 'val' | 'test', list: ClassificationMetrics[]): MetricsRow {
  const s = summariseOverSeeds(list)
  const pick = (k: 'mean' | 'std') => ({
    accuracy: s.accuracy[k],
    balancedAccuracy: s.balancedAccuracy[k],
    auc: Number.isFinite(s.auc[k]) ? s.auc[k] : null,
    sensitivity: s.sensitivity[k],
    specificity: s.specificity[k],
    f1: s.f1[k]
  })
  return { model, split, mean: pick('mean'), std: pick('std'), n: list[0]?.n ?? 0, seeds: list.length }
}

/** Everything the results view and the export need about one run. */
export async function getRunDetail(study: string, id: string): Promise<RunDetail> {
  const dir = runDir(study, id)
  const config = await readJson<RunConfigFile>(join(dir, 'config.json'))
  const summary = await runSummary(study, id)
  const results = await seedResults(study, config)
  const s = await loadStudy(study)
  const classNames = config.classNames
  const C = classNames.length

  const curves: RunDetail['curves'] = []
  for (const seed of config.seeds) {
    const text = await fsp.readFile(join(seedDir(study, id, seed), 'progress.jsonl'), 'utf8').catch(() => '')
    const byEpoch = new Map<number, EpochLine>()
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      try {
        const e = JSON.parse(line) as EpochLine
        byEpoch.set(e.epoch, e) // a resumed epoch replaces its earlier line
      } catch {
        // a torn last line after a kill
      }
    }
    const points = [...byEpoch.values()]
      .sort((a, b) => a.epoch - b.epoch)
      .map((e) => {
        const ce = e.ceLoss.filter((x): x is number => x !== null)
        return { epoch: e.epoch, ceLoss: ce.length ? ce.reduce((a, b) => a + b, 0) / ce.length : null, tcGain: e.tcGain, val: e.val }
      })
    curves.push({ seed, points })
  }

  const metrics: MetricsRow[] = []
  const modalities = results[0]?.modalities ?? []
  for (const split of ['val', 'test'] as const) {
    for (let m = -1; m < modalities.length; m++) {
      const list = results.map((r) => (m < 0 ? r.evaluation[split]?.aggregator : r.evaluation[split]?.modalities[m])).filter((x): x is ClassificationMetrics => Boolean(x))
      if (list.length) metrics.push(metricsRow(m < 0 ? 'aggregator' : modalities[m]!, split, list))
    }
  }

  const predictions: PredictionRow[] = []
  if (results.length) {
    const ids = results[0]!.subjectIds
    const splits = await runSplitAssignment(s.dir, id, s.file.splits?.assignment)
    const sessions = new Map(s.file.subjects.map((x) => [x.id, x.sessionId]))
    ids.forEach((pid, i) => {
      const mean = (get: (r: SeedResultFile) => Array<number | null>): number[] | null => {
        const out = new Array<number>(C).fill(0)
        for (const r of results) {
          const row = get(r).slice(i * C, (i + 1) * C)
          if (row.some((v) => v === null)) return null
          row.forEach((v, c) => (out[c]! += v! / results.length))
        }
        return out
      }
      const aggregator = mean((r) => r.posteriors.aggregator)!
      const mods: Record<string, number[]> = {}
      modalities.forEach((m, k) => {
        const p = mean((r) => r.posteriors.modalities[k]!)
        if (p) mods[m] = p
      })
      const predicted = aggregator.indexOf(Math.max(...aggregator))
      predictions.push({
        participantId: pid,
        sessionId: sessions.get(pid) ?? 'ses-M00',
        split: (splits[pid] as PredictionRow['split']) ?? null,
        trueLabel: s.labels.get(pid) ?? null,
        hiddenLabel: s.labels.has(pid) ? null : s.hidden.get(pid) ?? null,
        predictedLabel: classNames[predicted] ?? String(predicted),
        aggregator,
        modalities: mods
      })
    })
  }

  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0))
  for (const r of results) r.evaluation.test?.aggregator?.confusion.forEach((row, a) => row.forEach((v, b) => (confusion[a]![b]! += v)))
  const firstTest = results[0]?.evaluation.test?.aggregator
  const curve = firstTest?.roc[0]
  const roc = C === 2 && curve ? { fpr: curve.map((p) => p.fpr), tpr: curve.map((p) => p.tpr), auc: Number.isFinite(firstTest.auc) ? firstTest.auc : null } : null
  return { summary, config: config as unknown as Record<string, unknown>, classNames, curves, metrics, predictions, confusion, roc }
}
