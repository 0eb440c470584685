/**
 * The 'gaussian-sim' run kind: the paper's Gaussian simulation with one MLP per modality, built
 * the same way for the worker, the `simulate` command and the tests.
 */
import { z } from 'zod'
import { applyStandardisation, fitStandardisation } from '../../engine/tabular/standardise'
import { MlpModel } from '../../engine/tabular/mlp-model'
import { generateGaussianSim, simulationSplit, type GaussianSim } from '../../engine/tcgm/simulation'
import type { TrainData } from '../../engine/train/train-tcgm'
import type { ModalityModel } from '../../engine/train/modality-model'

export const gaussianSimParamsSchema = z.object({
  modalities: z.number().int().min(1),
  classes: z.number().int().min(2),
  dim: z.number().int().min(1),
  separation: z.number().min(0),
  n: z.number().int().min(2),
  labelRate: z.number().min(0).max(1),
  seed: z.number().int(),
  testFraction: z
    .number()
    .min(0)
    .max(0.9)
    .default(1 / 3),
  valFraction: z.number().min(0).max(0.9).default(0),
  hidden: z.array(z.number().int().min(1)).default([]),
  covariance: z.enum(['random', 'isotropic']).default('random')
})
export type GaussianSimRunParams = z.input<typeof gaussianSimParamsSchema>

export interface GaussianSimRun {
  models: ModalityModel[]
  data: TrainData
  sim: GaussianSim
  /** Standardised features the models see, per modality [n, dim]. */
  features: Float32Array[]
}

export function buildGaussianSimRun(raw: unknown): GaussianSimRun {
  const parsed = gaussianSimParamsSchema.safeParse(raw)
  if (!parsed.success) throw new Error(`gaussian-sim parameters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const p = parsed.data
  const sim = generateGaussianSim({
    modalities: p.modalities,
    classes: p.classes,
    dim: p.dim,
    separation: p.separation,
    n: p.n,
    seed: p.seed,
    covariance: p.covariance
  })
  const { split, visible } = simulationSplit(sim.labels, p.classes, {
    labelRate: p.labelRate,
    testFraction: p.testFraction,
    valFraction: p.valFraction,
    seed: p.seed
  })
  const trainRows = split.flatMap((s, i) => (s === 'train' ? [i] : []))
  const features = sim.features.map((x) => applyStandardisation(x, p.dim, fitStandardisation(x, p.dim, trainRows)))
  const models = features.map(
    (x, m) => new MlpModel({ modality: `m${m + 1}`, numClasses: p.classes, features: x, numFeatures: p.dim, hidden: p.hidden, seed: p.seed * 1009 + m + 1 })
  )
  const data: TrainData = {
    numSubjects: p.n,
    labels: visible,
    available: sim.labels.map(() => new Array<boolean>(p.modalities).fill(true)),
    split,
    trueLabels: sim.labels,
    knownPosteriors: { modalities: sim.bayes.modalities, aggregator: sim.bayes.joint }
  }
  return { models, data, sim, features }
}
