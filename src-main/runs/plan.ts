/**
 * Planning a run from a study: the checks before training (visible labels, a split), the
 * engine configuration from the researcher's options, and the config.json that records what the
 * run is made with (app, backend, preprocessing, every engine setting, split, seeds); a sweep
 * cell's config.json is made here too (runConfigFor, from runs/sweeps/folder.ts).
 */
import { createHash } from 'node:crypto'
import { name as appName, version as appVersion } from '../../package.json'
import { RUN_FORMAT_VERSION, type RunConfig } from '../domain/run-config'
import { MODALITIES } from '../domain/modality'
import { resolveTrainConfig, type TrainConfig } from '../domain/train-config'
import { DEFAULT_EPOCHS, HYPERPARAMETER_DEFAULTS, MIN_VAL_LABELS_FOR_SELECTION, defaultWarmupEpochs, type TrainingOptions } from '../domain/training'
import { describeBackends } from '../engine/backend/candidates'
import { preprocessSettingsHash } from '../preprocessing/preprocess'
import { preprocessSettingsFor } from '../study/import/preprocess'
import type { SplitName } from '../domain/study-settings'
import type { Splits } from '../study/schema'
import { type StudyState, loadStudy, makeStudySplits } from '../study/study'
import { RUN_SPLIT, newRunId } from './folder'

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

/** A short, stable hash of a split's assignment (ids sorted). */
export function splitHash(assignment: Splits['assignment']): string {
  const lines = Object.keys(assignment)
    .sort()
    .map((id) => `${id}\t${assignment[id]}\n`)
  return createHash('sha256').update(lines.join('')).digest('hex').slice(0, 16)
}

function splitCounts(assignment: Splits['assignment']): Record<SplitName, number> {
  const counts = { train: 0, val: 0, test: 0 }
  for (const v of Object.values(assignment)) counts[v]++
  return counts
}

function recordedPreprocessing(s: StudyState): NonNullable<RunConfig['preprocessing']> {
  const out: NonNullable<RunConfig['preprocessing']> = {}
  for (const m of MODALITIES) {
    const settings = preprocessSettingsFor(m, s.file.settings)
    out[m] = { settings: { ...settings }, hash: preprocessSettingsHash(settings) }
  }
  return out
}

/** What a run is planned on: the study's split (a sweep cell: its own), its seed and where it is kept beside config.json. */
export interface PlannedSplit {
  seed: number
  fractions: Splits['fractions']
  createdAt: string
  assignment: Splits['assignment']
  file: string
}

/**
 * The config.json of a run of `s` (a study's run, or a sweep cell with its own labelling):
 * `valLabelsPerClass` counts the labels the run sees in its validation split (for selectBy
 * 'auto'); `backend` is describeBackends() of this machine.
 */
export function runConfigFor(
  s: StudyState,
  a: {
    id: string
    createdAt: string
    options: TrainingOptions
    valLabelsPerClass: readonly number[]
    split: PlannedSplit
    backend: RunConfig['backend']
    labelling?: RunConfig['labelling']
  }
): RunConfig {
  const o = a.options
  const epochs = o.epochs ?? DEFAULT_EPOCHS
  const first = o.firstSeed ?? 0
  return {
    formatVersion: RUN_FORMAT_VERSION,
    id: a.id,
    app: { name: appName, version: appVersion },
    createdAt: a.createdAt,
    method: o.method,
    preset: o.preset,
    seeds: Array.from({ length: o.seeds }, (_, k) => first + k),
    epochs,
    classNames: s.file.settings.classNames,
    hyperparameters: o.hyperparameters ?? {},
    train: resolveTrainConfig(engineConfigFor(o, epochs, a.valLabelsPerClass)),
    backend: a.backend,
    preprocessing: recordedPreprocessing(s),
    split: {
      seed: a.split.seed,
      fractions: a.split.fractions,
      createdAt: a.split.createdAt,
      hash: splitHash(a.split.assignment),
      counts: splitCounts(a.split.assignment),
      file: a.split.file
    },
    ...(a.labelling ? { labelling: a.labelling } : {})
  }
}

/**
 * Checks that the study can train (visible labels; makes the split when there is none) and
 * returns the run's config.json.
 * @throws when the study has no visible labels
 */
export async function planStudyRun(study: string, options: TrainingOptions): Promise<{ dir: string; config: RunConfig; split: Splits }> {
  let s = await loadStudy(study)
  if (s.labels.size === 0) throw new Error(`study ${s.dir} has no visible labels: label some subjects (or import labels) before training`)
  if (!s.file.splits) {
    await makeStudySplits(study, options.firstSeed ?? 0)
    s = await loadStudy(study)
  }
  const splits = s.file.splits!
  const valCounts = s.file.settings.classNames.map((c) => [...s.labels].filter(([sid, l]) => l === c && splits.assignment[sid] === 'val').length)
  const config = runConfigFor(s, {
    id: newRunId(options.method),
    createdAt: new Date().toISOString(),
    options,
    valLabelsPerClass: valCounts,
    split: { ...splits, file: RUN_SPLIT },
    backend: await describeBackends()
  })
  return { dir: s.dir, config, split: splits }
}
