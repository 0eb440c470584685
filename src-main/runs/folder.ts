/**
 * The run folder of a study: runs/<id>/ holds
 *   config.json           what the run was made with (domain/run-config.ts; read by config-file.ts)
 *   split.json            the study's split the run was made on (a later re-split changes neither
 *                         its resume nor its results; runs from before it have none)
 *   status.json           running / done / failed / cancelled, with the writer's pid
 *   seed-<s>/             one engine run per seed: checkpoints/ (resume), progress.jsonl
 *                         (one line per epoch), result.json (posteriors, metrics, history)
 *   predictions.tsv       at the end of training: ClinicaDL's columns, mean over seeds (tables.ts)
 *   metrics.tsv           at the end of training: every model and split, mean and std over seeds
 *   subjects.tsv          only in a run with its own labelling (a sweep cell, run-labelling.ts)
 * This module knows the paths and reads and writes these files; nothing else spells them.
 * A run folder usually sits in the study's runs/ (runDir); a sweep's cells are run folders of the
 * same layout inside the sweep's folder (runs/sweeps/folder.ts). So the functions below take the
 * run folder's path; those taking (study, id) are for a study's own runs.
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { RunConfig } from '../domain/run-config'
import type { RunSummary } from '../domain/runs'
import { describeReadError } from '../files/read-error'
import type { SplitEvaluation, TrainResult } from '../engine/train/train-tcgm'
import { appendLinesDurable, ensureDir, writeFileAtomic } from '../study/atomic'
import type { Splits } from '../study/schema'
import { parseRunConfig } from './config-file'
import { RUN_SUBJECTS_TSV, type RunLabelling, readRunSubjects } from './run-labelling'

export const RUNS_DIR = 'runs'
const CONFIG_JSON = 'config.json'
const STATUS_JSON = 'status.json'
const RESULT_JSON = 'result.json'
const PROGRESS_JSONL = 'progress.jsonl'
export const PREDICTIONS_TSV = 'predictions.tsv'
export const METRICS_TSV = 'metrics.tsv'
export const RUN_SPLIT = 'split.json'

export interface RunStatusFile {
  status: RunSummary['status']
  message: string | null
  pid: number
  /** The machine of the writer (on a cluster, a compute node): pid is only checked there. */
  host?: string
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

/** One line of a seed's progress.jsonl. */
export interface EpochLine {
  epoch: number
  phase: string
  ceLoss: Array<number | null>
  tcGain: number | null
  val: Record<string, number>
}

export const runDir = (study: string, id: string) => join(study, RUNS_DIR, id)
export const seedDir = (study: string, id: string, seed: number) => seedDirIn(runDir(study, id), seed)
const seedDirIn = (dir: string, seed: number) => join(dir, `seed-${seed}`)

export function newRunId(method: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${t}-${method}-${randomBytes(2).toString('hex')}`
}

async function readText(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
}

async function readJson<T>(file: string): Promise<T> {
  const text = await readText(file)
  try {
    return JSON.parse(text) as T
  } catch (err) {
    throw new Error(`cannot read ${file}: ${describeReadError(err)}`, { cause: err })
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n')
}

const exists = (file: string): Promise<boolean> =>
  fsp.stat(file).then(
    () => true,
    () => false
  )

/** A run's config.json, migrated to the current format. @throws naming the file and why it cannot be read */
export function readRunConfig(study: string, id: string): Promise<RunConfig> {
  return readRunConfigIn(runDir(study, id))
}

/** The config.json of the run in `dir`, migrated to the current format. @throws naming the file and why it cannot be read */
export async function readRunConfigIn(dir: string): Promise<RunConfig> {
  const file = join(dir, CONFIG_JSON)
  return parseRunConfig(file, await readText(file)).config
}

/** Writes the config.json of the run in `dir` (last when preparing a run: a folder with a config is a run). */
export async function writeRunConfig(dir: string, config: RunConfig): Promise<void> {
  await writeJson(join(dir, CONFIG_JSON), config)
}

/** Creates the run folder with its split.json and config.json (last: a folder with a config is a run). */
export async function createRunFolder(study: string, config: RunConfig, split: Splits): Promise<void> {
  await ensureDir(runDir(study, config.id))
  await writeJson(join(runDir(study, config.id), RUN_SPLIT), split)
  await writeRunConfig(runDir(study, config.id), config)
}

/** The run's own split.json, or null for a run made before runs kept their split (or a run with its own labelling). */
export async function runSplitFile(dir: string): Promise<string | null> {
  const file = join(dir, RUN_SPLIT)
  return (await exists(file)) ? file : null
}

/** The assignment a run used: its own saved split, else (older runs) the study's current one. */
export function runSplitAssignment(study: string, id: string, current: Record<string, string> | undefined): Promise<Record<string, string>> {
  return runSplitAssignmentIn(runDir(study, id), current)
}

export async function runSplitAssignmentIn(dir: string, current: Record<string, string> | undefined): Promise<Record<string, string>> {
  const own = await fsp.readFile(join(dir, RUN_SPLIT), 'utf8').then(
    (t) => (JSON.parse(t) as { assignment?: Record<string, string> } | null)?.assignment,
    () => undefined
  )
  return own ?? current ?? {}
}

/** The run's own labelling (subjects.tsv), or null for a run on the study's labels. @throws naming the file when it cannot be read */
export function readRunLabelling(dir: string, config: RunConfig): Promise<RunLabelling | null> {
  return config.labelling ? readRunSubjects(join(dir, RUN_SUBJECTS_TSV)) : Promise.resolve(null)
}

/** Whether the run in `dir` has started training (it has a status.json); a prepared sweep cell has not. */
export function runStarted(dir: string): Promise<boolean> {
  return exists(join(dir, STATUS_JSON))
}

/** The run's status.json, or null when there is none (the writer stopped before writing it). */
export function readRunStatus(dir: string): Promise<RunStatusFile | null> {
  return readJson<RunStatusFile>(join(dir, STATUS_JSON)).catch(() => null)
}

/** Writes status.json, naming this process and this machine as the writer. */
export async function writeRunStatus(dir: string, status: Omit<RunStatusFile, 'pid' | 'host'>): Promise<void> {
  await writeJson(join(dir, STATUS_JSON), { ...status, pid: process.pid, host: hostname() } satisfies RunStatusFile)
}

/** Whether a status.json's writer ran on another machine (a cluster's compute node): its pid cannot be checked from here. */
export const writtenElsewhere = (st: RunStatusFile): boolean => st.host !== undefined && st.host !== hostname()

/** One seed's result.json. @throws naming the file when it cannot be read */
export function readSeedResult(study: string, id: string, seed: number): Promise<SeedResultFile> {
  return readSeedResultIn(runDir(study, id), seed)
}

function readSeedResultIn(dir: string, seed: number): Promise<SeedResultFile> {
  return readJson<SeedResultFile>(join(seedDirIn(dir, seed), RESULT_JSON))
}

export function hasSeedResult(dir: string, seed: number): Promise<boolean> {
  return exists(join(seedDirIn(dir, seed), RESULT_JSON))
}

/** Creates a seed's folder; returns its path (the worker's runDir). */
export async function ensureSeedDir(dir: string, seed: number): Promise<string> {
  const sd = seedDirIn(dir, seed)
  await ensureDir(sd)
  return sd
}

export async function writeSeedResult(dir: string, result: SeedResultFile): Promise<void> {
  await writeJson(join(seedDirIn(dir, result.seed), RESULT_JSON), result)
}

/** The finished seeds' results of the run in `dir`, in seed order. */
export async function readSeedResults(dir: string, config: RunConfig): Promise<SeedResultFile[]> {
  const out: SeedResultFile[] = []
  for (const seed of config.seeds) if (await hasSeedResult(dir, seed)) out.push(await readSeedResultIn(dir, seed))
  return out
}

export async function appendEpochLine(dir: string, seed: number, line: EpochLine): Promise<void> {
  await appendLinesDurable(join(seedDirIn(dir, seed), PROGRESS_JSONL), [JSON.stringify(line)])
}

/** A seed's epoch lines in epoch order; a resumed epoch replaces its earlier line, a torn last line is ignored. */
export async function readEpochLines(dir: string, seed: number): Promise<EpochLine[]> {
  const text = await fsp.readFile(join(seedDirIn(dir, seed), PROGRESS_JSONL), 'utf8').catch(() => '')
  const byEpoch = new Map<number, EpochLine>()
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const e = JSON.parse(line) as EpochLine
      byEpoch.set(e.epoch, e)
    } catch {
      // a torn last line after a kill
    }
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)
}

/** The ids of the study's run folders (hidden entries left out). */
export async function runIds(study: string): Promise<string[]> {
  const names = await fsp.readdir(join(study, RUNS_DIR)).catch(() => [] as string[])
  return names.filter((n) => !n.startsWith('.'))
}

export async function writeRunTables(dir: string, tables: { predictions: string; metrics: string }): Promise<void> {
  await writeFileAtomic(join(dir, PREDICTIONS_TSV), tables.predictions)
  await writeFileAtomic(join(dir, METRICS_TSV), tables.metrics)
}

/** The tables written at the end of training, or null for a run without them (unfinished, or
 *  finished before runs wrote them). */
export async function savedRunTables(study: string, id: string): Promise<{ predictions: string; metrics: string } | null> {
  const predictions = join(runDir(study, id), PREDICTIONS_TSV)
  const metrics = join(runDir(study, id), METRICS_TSV)
  return (await exists(predictions)) && (await exists(metrics)) ? { predictions, metrics } : null
}
