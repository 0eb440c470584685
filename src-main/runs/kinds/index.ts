/**
 * Run kinds: `RunSpec.kind` -> a factory that builds the models and the data of a run inside the
 * training worker. Add a line here to train a new kind of run (e.g. 'study' for image cohorts).
 */
import type { Logger } from '../../log'
import { buildStudyRun } from './study'
import { buildTablesRun } from './tables'
import type { ModalityModel } from '../../engine/train/modality-model'
import { buildGaussianSimRun } from './gaussian-sim'
import type { TrainData } from '../../engine/train/train-tcgm'

export interface FactoryContext {
  runDir: string
  signal: AbortSignal
  log: Logger
}

export interface BuiltRun {
  models: ModalityModel[]
  data: TrainData
  /** One id per subject row, carried into the result (predictions files). */
  subjectIds?: string[]
  classNames?: string[]
}

export type ModelFactory = (params: unknown, ctx: FactoryContext) => Promise<BuiltRun>

export const modelFactories: Record<string, ModelFactory> = {
  tables: async (params) => buildTablesRun(params),
  'gaussian-sim': async (params) => {
    const { models, data } = buildGaussianSimRun(params)
    return { models, data }
  },
  study: buildStudyRun
}
