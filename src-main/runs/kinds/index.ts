/**
 * Run kinds: `RunSpec.kind` -> a factory that builds the models and the data of a run inside the
 * training worker. Add a line here to train a new kind of run (e.g. 'study' for image cohorts).
 */
import { buildStudyRun } from './study'
import { buildTablesRun } from './tables'
import { buildGaussianSimRun } from './gaussian-sim'
import type { BuiltRun, FactoryContext } from './factory'

export type { BuiltRun, FactoryContext }

export type ModelFactory = (params: unknown, ctx: FactoryContext) => Promise<BuiltRun>

export const modelFactories: Record<string, ModelFactory> = {
  tables: async (params) => buildTablesRun(params),
  'gaussian-sim': async (params) => {
    const { models, data } = buildGaussianSimRun(params)
    return { models, data }
  },
  study: buildStudyRun
}
