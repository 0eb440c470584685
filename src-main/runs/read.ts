/**
 * Reading a run back: its summary (status, with a run whose writer is gone reported as
 * interrupted), the study's list of runs, and the detail the results view, the viewer and the
 * export use (curves, metrics over seeds, predictions averaged over seeds, confusion, ROC).
 * The `...Folder...` forms read a run by its folder's path (a sweep cell's, runs/sweeps/).
 */
import type { MetricsRow, PredictionRow, RunDetail, RunSummary } from '../domain/runs'
import type { RunConfig } from '../domain/run-config'
import { type ClassificationMetrics, summariseOverSeeds } from '../engine/train/metrics'
import { createLogger } from '../log'
import { pidAlive } from '../study/lock'
import { loadStudy } from '../study/study'
import {
  type SeedResultFile,
  readEpochLines,
  readRunConfigIn,
  readRunLabelling,
  readRunStatus,
  readSeedResults,
  runDir,
  runIds,
  runSplitAssignmentIn,
  writtenElsewhere
} from './folder'

const log = createLogger('runs')

function summaryOf(config: RunConfig, st: Awaited<ReturnType<typeof readRunStatus>>, testAccuracy: number | null): RunSummary {
  let status: RunSummary['status'] = st?.status ?? 'interrupted'
  // A writer on another machine (a cluster's compute node) cannot be checked from here.
  const elsewhere = st !== null && writtenElsewhere(st)
  if (status === 'running' && st && !elsewhere && !pidAlive(st.pid)) status = 'interrupted'
  return {
    id: config.id,
    method: config.method,
    preset: config.preset,
    seeds: config.seeds.length,
    epochs: config.epochs,
    status,
    createdAt: config.createdAt,
    finishedAt: st?.finishedAt ?? null,
    testAccuracy: status === 'done' ? testAccuracy : null,
    message:
      status === 'interrupted'
        ? 'the training process stopped without finishing; resume continues from the last checkpoint'
        : status === 'running' && elsewhere
          ? `running on ${st!.host} (process ${st!.pid})`
          : (st?.message ?? null)
  }
}

function meanTestAccuracy(results: readonly SeedResultFile[]): number | null {
  const accs = results.map((r) => r.evaluation.test?.aggregator?.accuracy).filter((x): x is number => typeof x === 'number')
  return accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : null
}

/** @throws naming config.json when it cannot be read */
export function runSummary(study: string, id: string): Promise<RunSummary> {
  return runFolderSummary(runDir(study, id))
}

/** The summary of the run in `dir` (a study's run or a sweep cell). @throws naming config.json when it cannot be read */
export async function runFolderSummary(dir: string): Promise<RunSummary> {
  const config = await readRunConfigIn(dir)
  const st = await readRunStatus(dir)
  const done = st?.status === 'done'
  return summaryOf(config, st, done ? meanTestAccuracy(await readSeedResults(dir, config)) : null)
}

/** The study's runs, newest first; a run that cannot be read is left out (and logged). */
export async function listRuns(study: string): Promise<RunSummary[]> {
  const out: RunSummary[] = []
  for (const id of await runIds(study)) {
    try {
      out.push(await runSummary(study, id))
    } catch (err) {
      log.warn(`run ${id} left out of the list: ${(err as Error).message}`)
    }
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
}

/** One model's metrics on one split, mean and std over seeds (a run's metrics table; a sweep's over a group's seeds). */
export function metricsRow(model: string, split: 'train' | 'val' | 'test', list: ClassificationMetrics[]): MetricsRow {
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

async function curvesOf(dir: string, config: RunConfig): Promise<RunDetail['curves']> {
  const curves: RunDetail['curves'] = []
  for (const seed of config.seeds) {
    const points = (await readEpochLines(dir, seed)).map((e) => {
      const ce = e.ceLoss.filter((x): x is number => x !== null)
      return { epoch: e.epoch, ceLoss: ce.length ? ce.reduce((a, b) => a + b, 0) / ce.length : null, tcGain: e.tcGain, val: e.val }
    })
    curves.push({ seed, points })
  }
  return curves
}

function metricsOf(results: readonly SeedResultFile[]): MetricsRow[] {
  const metrics: MetricsRow[] = []
  const modalities = results[0]?.modalities ?? []
  for (const split of ['val', 'test'] as const) {
    for (let m = -1; m < modalities.length; m++) {
      const list = results
        .map((r) => (m < 0 ? r.evaluation[split]?.aggregator : r.evaluation[split]?.modalities[m]))
        .filter((x): x is ClassificationMetrics => Boolean(x))
      if (list.length) metrics.push(metricsRow(m < 0 ? 'aggregator' : modalities[m]!, split, list))
    }
  }
  return metrics
}

/**
 * Each subject's posteriors averaged over the seeds, with its split (the run's own) and labels
 * from the study; a run with its own labelling (a sweep cell) shows its own split, and the known
 * labels of the subjects it did not train on as hidden.
 */
async function predictionsOf(study: string, dir: string, config: RunConfig, results: readonly SeedResultFile[]): Promise<PredictionRow[]> {
  if (!results.length) return []
  const s = await loadStudy(study)
  const classNames = config.classNames
  const C = classNames.length
  const modalities = results[0]!.modalities
  const own = await readRunLabelling(dir, config)
  const ownVisible = new Set(own?.visible ?? [])
  const splits = own?.split ?? (await runSplitAssignmentIn(dir, s.file.splits?.assignment))
  const known = (pid: string) => s.labels.get(pid) ?? s.hidden.get(pid) ?? null
  const sessions = new Map(s.file.subjects.map((x) => [x.id, x.sessionId]))
  return results[0]!.subjectIds.map((pid, i) => {
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
    return {
      participantId: pid,
      sessionId: sessions.get(pid) ?? 'ses-M00',
      split: (splits[pid] as PredictionRow['split']) ?? null,
      trueLabel: own ? (ownVisible.has(pid) ? known(pid) : null) : (s.labels.get(pid) ?? null),
      hiddenLabel: own ? (ownVisible.has(pid) ? null : known(pid)) : s.labels.has(pid) ? null : (s.hidden.get(pid) ?? null),
      predictedLabel: classNames[predicted] ?? String(predicted),
      aggregator,
      modalities: mods
    }
  })
}

/** Everything the results view and the export need about one run. */
export function getRunDetail(study: string, id: string): Promise<RunDetail> {
  return runFolderDetail(study, runDir(study, id))
}

/** The detail of the run in `dir` (a study's run or a sweep cell) of `study`. */
export async function runFolderDetail(study: string, dir: string): Promise<RunDetail> {
  const config = await readRunConfigIn(dir)
  const st = await readRunStatus(dir)
  const results = await readSeedResults(dir, config)
  const summary = summaryOf(config, st, meanTestAccuracy(results))
  const classNames = config.classNames
  const C = classNames.length
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0))
  for (const r of results) r.evaluation.test?.aggregator?.confusion.forEach((row, a) => row.forEach((v, b) => (confusion[a]![b]! += v)))
  const firstTest = results[0]?.evaluation.test?.aggregator
  const curve = firstTest?.roc[0]
  const roc =
    C === 2 && curve ? { fpr: curve.map((p) => p.fpr), tpr: curve.map((p) => p.tpr), auc: Number.isFinite(firstTest.auc) ? firstTest.auc : null } : null
  return {
    summary,
    config: config as unknown as Record<string, unknown>,
    classNames,
    curves: await curvesOf(dir, config),
    metrics: metricsOf(results),
    predictions: await predictionsOf(study, dir, config, results),
    confusion,
    roc
  }
}
