/**
 * Running a planned run: seeds one after another, each in a training worker process
 * (worker/client.ts), progress to the caller and to each seed's progress.jsonl, each seed's
 * result.json when it ends, and the run's predictions and metrics tables when the last one ends.
 * A run whose status says running but whose process is gone was interrupted (kill -9, crash):
 * resume continues each unfinished seed from its last checkpoint. A sweep's cells are run folders
 * prepared before they train (runs/sweeps/folder.ts); trainPreparedRun trains one by its path.
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
  readRunConfigIn,
  readRunLabelling,
  readRunStatus,
  runDir,
  runSplitFile,
  writeRunStatus,
  writeRunTables,
  writeSeedResult
} from './folder'
import { planStudyRun } from './plan'
import { runFolderDetail, runFolderSummary, runSummary } from './read'
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
  return runSeeds(dir, runDir(dir, config.id), config, false, cb)
}

/** Continues an interrupted (or cancelled / failed) run from its checkpoints. */
export async function resumeStudyRun(study: string, id: string, cb: RunCallbacks = {}): Promise<RunSummary> {
  const summary = await runSummary(study, id)
  if (summary.status === 'done') throw new Error(`run ${id} has finished; nothing to resume`)
  if (summary.status === 'running') throw new Error(`run ${id} is still running (process ${(await readRunStatus(runDir(study, id)))?.pid})`)
  const config = await readRunConfig(study, id)
  cb.onCreated?.(id)
  return runSeeds(study, runDir(study, id), config, true, cb)
}

/**
 * Trains the run prepared in `dir` (a sweep cell: config.json, and subjects.tsv when it has its
 * own labelling), or continues it from its checkpoints. Refuses a run that has finished or is
 * still running.
 */
export async function trainPreparedRun(study: string, dir: string, cb: RunCallbacks = {}): Promise<RunSummary> {
  const summary = await runFolderSummary(dir)
  if (summary.status === 'done') throw new Error(`the run in ${dir} has finished; nothing to train`)
  if (summary.status === 'running') throw new Error(`the run in ${dir} is still running (${summary.message ?? 'status.json says so'})`)
  const config = await readRunConfigIn(dir)
  cb.onCreated?.(config.id)
  return runSeeds(study, dir, config, true, cb)
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
async function trainSeed(study: string, dir: string, config: RunConfig, k: number, resume: boolean, cb: RunCallbacks): Promise<RunResult> {
  const seed = config.seeds[k]!
  const sd = await ensureSeedDir(dir, seed)
  // A run trains on the split it was made on; runs from before runs kept it use the study's. A
  // run with its own labelling (a sweep cell) trains on its visible subjects and its own split.
  const splitFile = await runSplitFile(dir)
  const labelling = (await readRunLabelling(dir, config)) ?? undefined
  let modalities: string[] = []
  const handle = startTrainingRun(
    {
      kind: 'study',
      params: { study, preset: config.preset, seed, ...(splitFile ? { splitFile } : {}), ...(labelling ? { labelling } : {}) },
      train: { ...config.train, seed },
      runDir: sd,
      resume,
      progressIntervalMs: 500
    },
    {
      onEvent: (e) => {
        if (e.type === 'started') modalities = e.modalities
        else {
          const p = e.progress
          if (p.type === 'epoch') void appendEpochLine(dir, seed, epochLine(p, modalities)).catch(() => undefined)
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
export function writeFinishedRunTables(study: string, id: string): Promise<void> {
  return writeFinishedTablesIn(study, runDir(study, id))
}

async function writeFinishedTablesIn(study: string, dir: string): Promise<void> {
  const detail = await runFolderDetail(study, dir)
  await writeRunTables(dir, { predictions: predictionsTsv(detail.classNames, detail.predictions), metrics: metricsTsv(detail.metrics) })
}

async function runSeeds(study: string, dir: string, config: RunConfig, resume: boolean, cb: RunCallbacks): Promise<RunSummary> {
  const status: Omit<RunStatusFile, 'pid' | 'host'> = { status: 'running', message: null, startedAt: new Date().toISOString(), finishedAt: null }
  await writeRunStatus(dir, status)
  const finish = async (st: RunStatusFile['status'], message: string | null) => {
    await writeRunStatus(dir, { ...status, status: st, message, finishedAt: new Date().toISOString() })
  }
  try {
    for (let k = 0; k < config.seeds.length; k++) {
      const seed = config.seeds[k]!
      if (await hasSeedResult(dir, seed)) continue
      const result = await trainSeed(study, dir, config, k, resume, cb)
      if (result.status === 'cancelled') {
        await finish('cancelled', `cancelled during seed ${seed}, epoch ${result.epoch + 1}`)
        return runFolderSummary(dir)
      }
      await writeSeedResult(dir, seedResultFile(seed, config, result))
      resume = true // later seeds: resume if they have checkpoints from an earlier attempt
    }
    await writeFinishedTablesIn(study, dir)
    await finish('done', null)
  } catch (err) {
    await finish(cb.signal?.aborted ? 'cancelled' : 'failed', (err as Error).message).catch(() => undefined)
    throw err
  }
  return runFolderSummary(dir)
}
