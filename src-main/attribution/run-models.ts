/**
 * Where a finished run keeps the models behind its exported predictions, per seed:
 *   runs/<id>/seed-<s>/checkpoints/selected-models.ckpt   the selected epoch's models, with the
 *       normalisation statistics they predicted with (written at the end of training since the
 *       attribution maps exist);
 *   runs/<id>/seed-<s>/checkpoints/best-models.ckpt       older runs, when validation selected an
 *       epoch before the last;
 *   runs/<id>/seed-<s>/checkpoints/loop.ckpt              older runs otherwise (the last epoch).
 * result.json says which epoch was selected and the order of the modalities in the checkpoints.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { readRunConfig, readSeedResult, runDir, seedDir } from '../runs/folder'
import { listRuns, runSummary } from '../runs/read'
import { BEST_MODELS_CHECKPOINT, LOOP_CHECKPOINT, SELECTED_MODELS_CHECKPOINT } from '../engine/train/train-tcgm'

export type ModelSource = 'selected-models' | 'best-models' | 'loop'

export interface SeedModel {
  seed: number
  /** Absolute path of the checkpoint holding the seed's models. */
  file: string
  source: ModelSource
  /** 0-based epoch whose models gave the exported predictions. */
  selectedEpoch: number
  /** Position of the modality in the checkpoint's model list. */
  modalityIndex: number
  /** Identity of the file, for cache keys. */
  size: number
  mtimeMs: number
}

export interface RunModels {
  runId: string
  classNames: string[]
  preset: string
  /** One entry per seed of the run, in seed order. */
  seeds: SeedModel[]
}

/** The newest finished run of a study. @throws when there is none */
export async function newestFinishedRun(studyDir: string): Promise<string> {
  const done = (await listRuns(studyDir)).find((r) => r.status === 'done')
  if (!done) throw new Error(`${studyDir}: no finished training run; train one before computing attribution maps`)
  return done.id
}

/**
 * The models of `modality` selected by a finished run, one per seed.
 * @throws naming the run for an unknown or unfinished run, a run without that modality, and a
 *         missing model file (naming the file)
 */
export async function runModelsFor(studyDir: string, runId: string, modality: string): Promise<RunModels> {
  const dir = runDir(studyDir, runId)
  if (
    !/^[\w.-]+$/.test(runId) ||
    !(await fsp.stat(join(dir, 'config.json')).then(
      () => true,
      () => false
    ))
  ) {
    throw new Error(`run '${runId}' is not a run of ${studyDir} (no ${join(dir, 'config.json')})`)
  }
  const summary = await runSummary(studyDir, runId)
  if (summary.status !== 'done') throw new Error(`run ${runId} is ${summary.status}, not finished: attribution maps need a finished run`)
  const config = await readRunConfig(studyDir, runId)
  const seeds: SeedModel[] = []
  for (const seed of config.seeds) {
    const result = await readSeedResult(studyDir, runId, seed)
    const modalityIndex = result.modalities.indexOf(modality)
    if (modalityIndex < 0) throw new Error(`run ${runId} has no ${modality} model (its models: ${result.modalities.join(', ') || 'none'})`)
    const ckpt = (name: string) => join(seedDir(studyDir, runId, seed), 'checkpoints', name)
    const candidates: [ModelSource, string][] = [['selected-models', ckpt(SELECTED_MODELS_CHECKPOINT)]]
    // Older runs: the selected epoch's models are in best-models.ckpt when validation chose an
    // earlier epoch, else in the last epoch's loop.ckpt.
    if (result.selectedEpoch !== config.epochs - 1) candidates.push(['best-models', ckpt(BEST_MODELS_CHECKPOINT)])
    else candidates.push(['loop', ckpt(LOOP_CHECKPOINT)])
    let found: SeedModel | null = null
    for (const [source, file] of candidates) {
      const st = await fsp.stat(file).catch(() => null)
      if (st?.isFile()) {
        found = { seed, file, source, selectedEpoch: result.selectedEpoch, modalityIndex, size: st.size, mtimeMs: st.mtimeMs }
        break
      }
    }
    if (!found) throw new Error(`run ${runId} seed ${seed}: the model files are missing (looked for ${candidates.map(([, f]) => f).join(' and ')})`)
    seeds.push(found)
  }
  if (seeds.length === 0) throw new Error(`run ${runId} has no seeds`)
  return { runId, classNames: config.classNames, preset: config.preset, seeds }
}
