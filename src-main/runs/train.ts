/**
 * Running a planned run: seeds one after another, each in a training worker process
 * (worker/client.ts), progress to the caller and to each seed's progress.jsonl, each seed's
 * result.json when it ends, and the run's predictions and metrics tables when the last one ends.
 * A run whose status says running but whose process is gone was interrupted (kill -9, crash):
 * resume continues each unfinished seed from its last checkpoint.
 */
import type { RunConfig } from '../domain/run-config'
import type { RunSummary, TrainingProgressDetail } from '../domain/runs'
import type { TrainingOptions } from '../domain/training'
import type { TrainProgress } from '../engine/train/train-tcgm'
import {
  type EpochLine,
  type RunStatusFile,
  type SeedResultFile,
  appendEpochLine,
  createRunFolder,
  ensureSeedDir,
  hasSeedResult,
  readRunConfig,
  readRunStatus,
  runSplitFile,
  writeRunStatus,
  writeRunTables,
  writeSeedResult
} from './folder'
import { planStudyRun } from './plan'
import { getRunDetail, runSummary } from './read'
import { metricsTsv, predictionsTsv } from './tables'
import { startTrainingRun } from './worker/client'
import type { RunResult } from './worker/protocol'

export interface RunCallbacks {
  signal?: AbortSignal
  onProgress?: (fraction: number | null, message: string, detail: TrainingProgressDetail) => void
  /** Called once the run folder exists (before training starts). */
  onCreated?: (runId: string) => void
}

/** Plans a run (all seeds, one after another), starts it and resolves when it ends. */
export async function trainStudy(study: string, options: TrainingOptions, cb: RunCallbacks = {}): Promise<RunSummary> {
  const { dir, config, split } = await planStudyRun(study, options)
  await createRunFolder(dir, config, split)
  cb.onCreated?.(config.id)
  return runSeeds(dir, config, false, cb)
}

/** Continues an interrupted (or cancelled / failed) run from its checkpoints. */
export async function resumeStudyRun(study: string, id: string, cb: RunCallbacks = {}): Promise<RunSummary> {
  const summary = await runSummary(study, id)
  if (summary.status === 'done') throw new Error(`run ${id} has finished; nothing to resume`)
  if (summary.status === 'running') throw new Error(`run ${id} is still running (process ${(await readRunStatus(study, id))?.pid})`)
  const config = await readRunConfig(study, id)
  cb.onCreated?.(id)
  return runSeeds(study, config, true, cb)
}

function toDetail(config: RunConfig, seedIndex: number, p: TrainProgress, modalities: string[]): TrainingProgressDetail {
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

function seedResultFile(seed: number, config: RunConfig, result: Extract<RunResult, { status: 'completed' }>): SeedResultFile {
  const r = result.result
  return {
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
}

/** Trains one seed in a worker; resolves with its result or its cancelled status. */
async function trainSeed(study: string, config: RunConfig, k: number, resume: boolean, cb: RunCallbacks): Promise<RunResult> {
  const seed = config.seeds[k]!
  const sd = await ensureSeedDir(study, config.id, seed)
  // A run trains on the split it was made on; runs from before runs kept it use the study's.
  const splitFile = await runSplitFile(study, config.id)
  let modalities: string[] = []
  const handle = startTrainingRun(
    { kind: 'study', params: { study, preset: config.preset, seed, ...(splitFile ? { splitFile } : {}) }, train: { ...config.train, seed }, runDir: sd, resume, progressIntervalMs: 500 },
    {
      onEvent: (e) => {
        if (e.type === 'started') modalities = e.modalities
        else {
          const p = e.progress
          if (p.type === 'epoch') void appendEpochLine(study, config.id, seed, epochLine(p, modalities)).catch(() => undefined)
          const within = (p.epoch + (p.stepsInEpoch ? p.step / p.stepsInEpoch : 0)) / p.epochs
          const detail = toDetail(config, k, p, modalities)
          cb.onProgress?.((k + within) / config.seeds.length, `seed ${k + 1}/${config.seeds.length}, epoch ${p.epoch + 1}/${p.epochs} (${p.phase})`, detail)
        }
      }
    }
  )
  const onAbort = () => handle.cancel()
  cb.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await handle.done
  } finally {
    cb.signal?.removeEventListener('abort', onAbort)
  }
}

/** Writes the run's predictions.tsv and metrics.tsv from its seeds' results. */
export async function writeFinishedRunTables(study: string, id: string): Promise<void> {
  const detail = await getRunDetail(study, id)
  await writeRunTables(study, id, { predictions: predictionsTsv(detail.classNames, detail.predictions), metrics: metricsTsv(detail.metrics) })
}

async function runSeeds(study: string, config: RunConfig, resume: boolean, cb: RunCallbacks): Promise<RunSummary> {
  const status: RunStatusFile = { status: 'running', message: null, pid: process.pid, startedAt: new Date().toISOString(), finishedAt: null }
  await writeRunStatus(study, config.id, status)
  const finish = async (st: RunStatusFile['status'], message: string | null) => {
    await writeRunStatus(study, config.id, { ...status, status: st, message, finishedAt: new Date().toISOString() })
  }
  try {
    for (let k = 0; k < config.seeds.length; k++) {
      const seed = config.seeds[k]!
      if (await hasSeedResult(study, config.id, seed)) continue
      const result = await trainSeed(study, config, k, resume, cb)
      if (result.status === 'cancelled') {
        await finish('cancelled', `cancelled during seed ${seed}, epoch ${result.epoch + 1}`)
        return runSummary(study, config.id)
      }
      await writeSeedResult(study, config.id, seedResultFile(seed, config, result))
      resume = true // later seeds: resume if they have checkpoints from an earlier attempt
    }
    await writeFinishedRunTables(study, config.id)
    await finish('done', null)
  } catch (err) {
    await finish(cb.signal?.aborted ? 'cancelled' : 'failed', (err as Error).message).catch(() => undefined)
    throw err
  }
  return runSummary(study, config.id)
}
