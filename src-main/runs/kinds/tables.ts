/**
 * The 'tables' run kind: one feature table per modality plus a labels table -> one MLP per
 * modality and the TrainData of the loop.
 *
 * Subjects are the union of the tables' participant_ids (in order of first appearance); a subject
 * missing from a table lacks that modality. Labelled subjects are split (stratified, seeded) into
 * train and validation; unlabelled subjects are training subjects for the TC steps. Features are
 * standardised with the training subjects' means and deviations.
 */
import { z } from 'zod'
import { Rng } from '../../domain/random/sfc32'
import type { TrainData } from '../../engine/train/train-tcgm'
import { MlpModel } from '../../engine/tabular/mlp-model'
import { applyStandardisation, fitStandardisation } from '../../engine/tabular/standardise'
import { classNamesOf, readFeatureTable, readLabelsTable } from './feature-tables'

export const tablesParamsSchema = z.object({
  modalities: z.array(z.object({ name: z.string().min(1), file: z.string().min(1) })).min(1),
  labelsFile: z.string().min(1),
  hidden: z.array(z.number().int().min(1)).default([]),
  /** Fraction of the labelled subjects held out for validation (per class, at least one when the class has 2+). */
  valFraction: z.number().min(0).max(0.9).default(0.2),
  seed: z.number().int().default(0),
  /** Optional explicit class order (names as in the labels file). */
  classNames: z.array(z.string()).optional()
})
export type TablesRunParams = z.input<typeof tablesParamsSchema>

export interface TablesRun {
  models: MlpModel[]
  data: TrainData
  subjectIds: string[]
  classNames: string[]
}

export function buildTablesRun(raw: unknown): TablesRun {
  const parsed = tablesParamsSchema.safeParse(raw)
  if (!parsed.success) throw new Error(`tables parameters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const p = parsed.data
  const names = p.modalities.map((m) => m.name)
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  if (dup) throw new Error(`tables: modality '${dup}' is given twice`)
  const tables = p.modalities.map((m) => readFeatureTable(m.file))
  const labelsTable = readLabelsTable(p.labelsFile)

  const subjectIds: string[] = []
  const rowOf = new Map<string, number>()
  for (const t of tables) for (const id of t.ids) if (!rowOf.has(id)) rowOf.set(id, subjectIds.push(id) - 1)
  const unknown = [...labelsTable.labels.keys()].filter((id) => !rowOf.has(id))
  if (unknown.length) {
    throw new Error(
      `${p.labelsFile}: ${unknown.length} participant_id(s) are in no feature table: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`
    )
  }
  const classNames = p.classNames ?? classNamesOf(labelsTable.labels.values())
  if (classNames.length < 2) throw new Error(`${p.labelsFile}: needs at least 2 classes among the labels, found [${classNames.join(', ')}]`)
  const C = classNames.length
  const N = subjectIds.length
  const labels: (number | null)[] = subjectIds.map((id) => {
    const t = labelsTable.labels.get(id) ?? ''
    if (t === '') return null
    const c = classNames.indexOf(t)
    if (c < 0) throw new Error(`${p.labelsFile}: label '${t}' of '${id}' is not one of the classes [${classNames.join(', ')}]`)
    return c
  })

  // Stratified, seeded validation hold-out among the labelled subjects.
  const rng = new Rng(p.seed ^ 0x7ab1e5)
  const split: TrainData['split'] = new Array(N).fill('train')
  for (let c = 0; c < C; c++) {
    const rows = rng.shuffle(labels.flatMap((y, i) => (y === c ? [i] : [])))
    const k = rows.length >= 2 ? Math.min(rows.length - 1, Math.max(1, Math.round(p.valFraction * rows.length))) : 0
    if (p.valFraction > 0) rows.slice(0, k).forEach((i) => (split[i] = 'val'))
  }
  const trainRows = split.flatMap((s, i) => (s === 'train' ? [i] : []))

  const available = subjectIds.map(() => new Array<boolean>(tables.length).fill(false))
  const models = tables.map((t, m) => {
    const D = t.columns.length
    const x = new Float64Array(N * D).fill(NaN)
    t.ids.forEach((id, r) => {
      const row = rowOf.get(id)!
      available[row]![m] = true
      x.set(t.values.subarray(r * D, (r + 1) * D), row * D)
    })
    const fitRows = trainRows.filter((i) => available[i]![m])
    if (fitRows.length < 2) throw new Error(`${t.file}: only ${fitRows.length} training subject(s) have this modality; cannot standardise`)
    return new MlpModel({
      modality: p.modalities[m]!.name,
      numClasses: C,
      features: applyStandardisation(x, D, fitStandardisation(x, D, fitRows)),
      numFeatures: D,
      hidden: p.hidden,
      seed: p.seed * 1009 + m + 1
    })
  })
  return { models, data: { numSubjects: N, labels, available, split, subjectIds }, subjectIds, classNames }
}
