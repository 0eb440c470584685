/**
 * The 'study' run kind: builds, inside the training worker, one image classifier per modality
 * (each in its own process) over the study's cached hippocampal crops, and the TrainData (visible labels, splits,
 * available modalities, evaluation labels).
 *
 * Rows are the study's subjects in study.json order (0-based). A subject without a modality gets
 * a zero crop for that model, never used: `available` is false there, and the loop and the
 * aggregator use only the modalities a subject has. A scan flagged by registration QC and not
 * accepted counts as missing.
 * Evaluation labels (`trueLabels`) are the visible labels plus the labels hidden by a simulated
 * label rate; the loop never trains or selects on them.
 * A run with its own labelling (a sweep cell, runs/run-labelling.ts) trains on the known labels
 * of its visible subjects and uses its own split; the study's labels and split are not read then.
 */
import { z } from 'zod'
import { createRemoteImageModalityModel } from '../../engine/model/remote-model'
import type { ModalityModel } from '../../engine/train/modality-model'
import type { BuiltRun, FactoryContext } from './factory'
import type { TrainData } from '../../engine/train/train-tcgm'
import { readCacheCrops } from '../../study/cache'
import { promises as fsp } from 'node:fs'
import { Splits, type SplitName, usableForTraining } from '../../study/schema'
import { loadStudy } from '../../study/study'
import { RunLabelling } from '../run-labelling'

export const MODALITIES = ['smri', 'pet'] as const

export const studyRunParams = z.object({
  /** Absolute study folder. */
  study: z.string().min(1),
  preset: z.string().min(1),
  /** Seeds the models' weights and augmentation. */
  seed: z.number().int(),
  modalities: z
    .array(z.enum(MODALITIES))
    .min(1)
    .default([...MODALITIES]),
  /** The run's own split (runs/<id>/split.json, saved when it started); without it, the study's
   *  current split. With it, subjects the run's split does not hold are left out of the run. */
  splitFile: z.string().min(1).optional(),
  /** The run's own visible subjects and split instead of the study's (a sweep cell); wins over splitFile. */
  labelling: RunLabelling.optional()
})
export type StudyRunParams = z.input<typeof studyRunParams>

export interface StudyTrainingData {
  data: TrainData
  subjectIds: string[]
  classNames: string[]
  modalities: Array<(typeof MODALITIES)[number]>
  crops: Array<{ dims: [number, number, number]; channels: number; samples: Float32Array[] }>
}

/** Reads labels, splits and crops of a study into the arrays the loop and the models take. */
export async function loadStudyTrainingData(params: StudyRunParams, signal?: AbortSignal): Promise<StudyTrainingData> {
  const p = studyRunParams.parse(params)
  const s = await loadStudy(p.study)
  if (s.file.subjects.length === 0) throw new Error(`study ${s.dir} has no subjects; import a cohort first`)
  const own = p.labelling ? { assignment: p.labelling.split } : p.splitFile ? await readRunSplit(p.splitFile) : null
  const splits = own ?? s.file.splits
  if (!splits) throw new Error(`study ${s.dir} has no train/validation/test split; make one first (splits.make)`)
  const subjects = own ? s.file.subjects.filter((x) => splits.assignment[x.id]) : s.file.subjects
  const unsplit = subjects.filter((x) => !splits.assignment[x.id]).map((x) => x.id)
  if (unsplit.length)
    throw new Error(
      `${unsplit.length} subject(s) were imported after the split (${unsplit.slice(0, 3).join(', ')}...); place them into the split or make a new one (Train view)`
    )
  const classNames = s.file.settings.classNames
  const classIndex = (l: string | undefined) => (l === undefined ? null : classNames.indexOf(l) >= 0 ? classNames.indexOf(l) : null)
  const modalities = p.modalities.filter((m) => subjects.some((x) => usableForTraining(x.scans[m])))
  if (modalities.length === 0) throw new Error(`study ${s.dir}: no preprocessed scans for ${p.modalities.join(', ')}`)

  const crops: StudyTrainingData['crops'] = []
  for (const m of modalities) {
    const samples: Float32Array[] = new Array(subjects.length)
    let dims: [number, number, number] | null = null
    for (let i = 0; i < subjects.length; i++) {
      if (signal?.aborted) throw signal.reason ?? new Error('cancelled')
      // A scan flagged by registration QC stays out until the researcher accepts it.
      const scan = subjects[i]!.scans[m]
      if (!usableForTraining(scan)) continue
      const key = scan.cacheKey
      const c = await readCacheCrops(s.dir, key)
      if (dims && dims.join() !== c.dims.join())
        throw new Error(`${subjects[i]!.id} ${m}: crop ${c.dims.join('x')} differs from ${dims.join('x')} of the other subjects; re-import with one setting`)
      dims = c.dims
      samples[i] = c.data
    }
    const size = 2 * dims![0] * dims![1] * dims![2]
    for (let i = 0; i < subjects.length; i++) samples[i] ??= new Float32Array(size)
    crops.push({ dims: dims!, channels: 2, samples })
  }
  const ownVisible = p.labelling ? new Set(p.labelling.visible) : null
  const trainsOn = (id: string) => (ownVisible ? ownVisible.has(id) : s.labels.has(id))
  const data: TrainData = {
    numSubjects: subjects.length,
    labels: subjects.map((x) => classIndex(trainsOn(x.id) ? (s.labels.get(x.id) ?? s.hidden.get(x.id)) : undefined)),
    available: subjects.map((x) => modalities.map((m) => usableForTraining(x.scans[m]))),
    split: subjects.map((x) => splits.assignment[x.id] as SplitName),
    trueLabels: subjects.map((x) => classIndex(s.labels.get(x.id) ?? s.hidden.get(x.id))),
    subjectIds: subjects.map((x) => x.id)
  }
  return { data, subjectIds: data.subjectIds!, classNames, modalities, crops }
}

/** A run's saved split. @throws naming the file when it cannot be read */
export async function readRunSplit(file: string): Promise<Splits> {
  try {
    return Splits.parse(JSON.parse(await fsp.readFile(file, 'utf8')))
  } catch (err) {
    throw new Error(`cannot read the run's split ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** The factory of model-factories.ts for kind 'study'. */
export async function buildStudyRun(params: unknown, ctx: FactoryContext): Promise<BuiltRun> {
  const p = studyRunParams.parse(params)
  const t = await loadStudyTrainingData(p, ctx.signal)
  // One process per modality: the TC step's forward and backward passes of the networks run at
  // once; each process splits its network over its share of the cores (data-parallel replicas).
  const settled = await Promise.allSettled(
    t.modalities.map((modality, m) =>
      createRemoteImageModalityModel({
        modality,
        numClasses: t.classNames.length,
        preset: p.preset,
        crops: t.crops[m]!,
        seed: p.seed * 1009 + m + 1,
        networks: t.modalities.length
      })
    )
  )
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    // Do not leave the other modality's worker running.
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.dispose().catch(() => undefined) : undefined)))
    throw failed.reason
  }
  const models: ModalityModel[] = settled.map((r) => (r as PromiseFulfilledResult<ModalityModel>).value)
  ctx.log.info(`study run: ${t.subjectIds.length} subjects, modalities ${t.modalities.join(', ')}, preset ${p.preset}`)
  return { models, data: t.data, subjectIds: t.subjectIds, classNames: t.classNames }
}
