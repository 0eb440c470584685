/**
 * Everything the viewer shows for one subject, from the study folder: both scans run through
 * the same preprocessing as training (full MNI 2 mm volumes after the intensity steps), the
 * hippocampal boxes on that grid, the cohort's hippocampal measures by group, and the latest
 * run's verdicts.
 */
import type { CohortMeasure, HippocampalBox, ModelVerdict, ViewerSubject } from '../domain/viewer-records'
import { preprocessScan, type PreprocessSettings } from '../preprocessing/preprocess'
import type { Volume } from '../volume/types'
import { HIPPOCAMPUS_BOXES, boxToVoxelRange, type MniBox } from '../roi/boxes'
import { preprocessSettingsFor } from '../study/import/preprocess'
import { studyTransformStore } from '../study/transform-cache'
import { getRunDetail, listRuns } from '../runs/read'
import type { SubjectRecord } from '../study/schema'
import { loadStudy, type StudyState } from '../study/study'
import { volumeToPayload, type PayloadMeaning } from './payload'
import type { Modality } from '../domain/modality'
import { registrationT1For } from '../domain/input-kind'

/** What the values of a preprocessed volume mean, for titles and the colour bar. */
export function payloadMeaning(settings: PreprocessSettings, steps: readonly string[]): PayloadMeaning {
  if (settings.input?.kind === 't1-weighted') return { quantity: 'T1 intensity, robust z-score in the brain', units: 'z' }
  if (settings.modality === 'pet') {
    const suv = steps.some((s) => /^SUV\b(?!R)/.test(s) && !/not computed/.test(s))
    return { quantity: `SUVR (${settings.petReference}${suv ? ', from SUV' : ''})`, units: 'SUVR' }
  }
  switch (settings.smriIntensity) {
    case 'gm-proportional':
      return { quantity: 'Grey matter, proportionally scaled', units: 'a.u.' }
    case 'gm-raw':
      return { quantity: 'Grey-matter probability', units: 'p' }
    case 't1-zscore':
      return { quantity: 'T1 intensity, z-scored in the brain', units: 'z' }
  }
}

/** The hippocampal boxes on a volume's grid: MNI mm corners and voxel ranges clipped to the grid. */
export function boxesOnGrid(grid: Pick<Volume, 'dims' | 'affine'>): HippocampalBox[] {
  const sides: ['left' | 'right', MniBox][] = [
    ['left', HIPPOCAMPUS_BOXES.left],
    ['right', HIPPOCAMPUS_BOXES.right]
  ]
  return sides.map(([side, box]) => {
    const ranges = boxToVoxelRange(box, grid as Volume)
    const clip = (v: number, a: number) => Math.min(grid.dims[a] - 1, Math.max(0, v))
    return {
      side,
      mmMin: [box.x[0], box.y[0], box.z[0]],
      mmMax: [box.x[1], box.y[1], box.z[1]],
      voxelMin: [clip(ranges[0][0], 0), clip(ranges[1][0], 1), clip(ranges[2][0], 2)],
      voxelMax: [clip(ranges[0][1], 0), clip(ranges[1][1], 1), clip(ranges[2][1], 2)]
    }
  })
}

/**
 * The group a subject counts in for the cohort distributions: its visible label, else none.
 * Neither hidden labels nor the source metadata's diagnosis are used: for a subject whose label
 * is hidden for evaluation, the source group is that hidden diagnosis.
 */
export function cohortGroup(state: Pick<StudyState, 'labels'>, subject: Pick<SubjectRecord, 'id'>): string | null {
  return state.labels.get(subject.id) ?? null
}

/** What each measure is, in words the viewer shows beside the value. */
const MEASURE_MEANING = {
  hippocampalGmMl:
    'Grey matter inside the two hippocampal boxes (left + right), summed over their voxels: the grey-matter probability of each 2 mm voxel times its volume, before proportional scaling.',
  hippocampalMeanSuvr: 'Mean PET SUVR inside the two hippocampal boxes (left + right).'
} as const

/** The cohort's hippocampal measures by visible label, and their range over every subject. */
export function cohortMeasures(state: Pick<StudyState, 'labels' | 'file'>, subjectValues: { gmMl: number | null; suvr: number | null }): CohortMeasure[] {
  const classNames = state.file.settings.classNames
  const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)
  const collect = (pick: (s: SubjectRecord) => number | null | undefined) =>
    classNames.map((name) => ({
      name,
      values: state.file.subjects
        .filter((s) => cohortGroup(state, s) === name)
        .map(pick)
        .filter(finite)
    }))
  const range = (pick: (s: SubjectRecord) => number | null | undefined): { min: number; max: number; n: number } | null => {
    const all = state.file.subjects.map(pick).filter(finite)
    return all.length ? { min: Math.min(...all), max: Math.max(...all), n: all.length } : null
  }
  const gm = (s: SubjectRecord) => s.scans.smri?.stats?.hippocampalGmMl
  const suvr = (s: SubjectRecord) => s.scans.pet?.stats?.hippocampalMeanSuvr
  return [
    {
      key: 'hippocampalGmMl',
      label: 'Hippocampal grey matter',
      description: MEASURE_MEANING.hippocampalGmMl,
      units: 'mL',
      subject: subjectValues.gmMl,
      cohortRange: range(gm),
      groups: collect(gm)
    },
    {
      key: 'hippocampalMeanSuvr',
      label: 'Hippocampal mean SUVR',
      description: MEASURE_MEANING.hippocampalMeanSuvr,
      units: 'SUVR',
      subject: subjectValues.suvr,
      cohortRange: range(suvr),
      groups: collect(suvr)
    }
  ]
}

/** Verdicts from per-model probabilities (classNames order); models in the order given. */
export function verdicts(classNames: readonly string[], models: Record<string, readonly number[]>): ModelVerdict[] {
  return Object.entries(models).map(([model, probabilities]) => {
    let best = 0
    for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c
    return { model, probabilities: [...probabilities], predicted: classNames[best] ?? String(best), confidence: probabilities[best] ?? 0 }
  })
}

export interface SubjectViewOptions {
  signal?: AbortSignal
  /** The run whose verdicts to show; default: the newest finished run. */
  runId?: string
}

/** A run's probabilities for one subject: the given run, else the newest finished one; null when none. */
export async function runPrediction(
  studyDir: string,
  subjectId: string,
  runId?: string
): Promise<{ runId: string; modalities: Record<string, number[]>; aggregator: number[] } | null> {
  const id = runId ?? (await listRuns(studyDir)).find((r) => r.status === 'done')?.id
  if (!id) return null
  const detail = await getRunDetail(studyDir, id)
  const row = detail.predictions.find((p) => p.participantId === subjectId)
  return row ? { runId: id, modalities: row.modalities, aggregator: row.aggregator } : null
}

/**
 * Builds the viewer's answer for one subject.
 * @throws Error naming the study folder for an unknown subject, and NiftiError naming the file
 *         for an unreadable or non-MNI scan.
 */
export async function buildSubjectView(studyDir: string, subjectId: string, opts: SubjectViewOptions = {}): Promise<ViewerSubject> {
  const state = await loadStudy(studyDir)
  const record = state.file.subjects.find((s) => s.id === subjectId)
  if (!record) throw new Error(`${state.dir}: no subject '${subjectId}' in the study`)
  if (!record.scans.smri && !record.scans.pet) throw new Error(`${state.dir}: subject '${subjectId}' has neither an sMRI nor a PET scan`)

  const prepare = async (modality: Modality) => {
    const scan = record.scans[modality]
    if (!scan) return null
    // The same settings as the study's import, so the viewer shows what the models saw.
    // A native scan is resampled through the registration the import kept in the study's cache.
    const input = scan.input ?? undefined
    const t1File = modality === 'pet' && input?.space === 'native' ? registrationT1For(record.scans.smri) : null
    const settings = preprocessSettingsFor(modality, state.file.settings, { input })
    const suv = scan.suv ? { injectedDoseBq: scan.suv.injectedDoseMBq * 1e6, bodyWeightKg: scan.suv.bodyWeightKg } : undefined
    const result = await preprocessScan(scan.path, settings, { signal: opts.signal, suv, t1File, transforms: studyTransformStore(state.dir) })
    return { result, payload: volumeToPayload(result.volume, modality, scan.path, payloadMeaning(settings, result.steps)) }
  }
  const [smri, pet] = await Promise.all([prepare('smri'), prepare('pet')])
  const reference = smri?.result.volume ?? pet!.result.volume

  const prediction = await runPrediction(state.dir, subjectId, opts.runId)
  // Which run was looked in, so the window can tell "no run has finished" from "not in that run".
  const consultedRunId = prediction?.runId ?? opts.runId ?? (await listRuns(state.dir)).find((r) => r.status === 'done')?.id ?? null
  const classNames = state.file.settings.classNames
  return {
    subject: subjectId,
    classNames,
    label: state.labels.get(subjectId) ?? null,
    smri: smri?.payload ?? null,
    pet: pet?.payload ?? null,
    boxes: boxesOnGrid(reference),
    measures: cohortMeasures(state, {
      gmMl: smri?.result.stats.hippocampalGmMl ?? null,
      suvr: pet?.result.stats.hippocampalMeanSuvr ?? null
    }),
    prediction: prediction
      ? { runId: prediction.runId, verdicts: verdicts(classNames, { ...prediction.modalities, aggregator: prediction.aggregator }) }
      : null,
    consultedRunId
  }
}
