/**
 * What a researcher chooses for a training run (method, network preset, seeds, epochs,
 * hyperparameters) and what the app uses when they leave a choice alone: one definition of each
 * default, read by the engine, the CLI and (through the API's `training.defaults`) the window.
 */
import { z } from 'zod'
import { Method } from './method'
import { defaultTrainConfig } from './train-config'

/** Epochs of a run when not given: the setting the README's accuracy table was measured with. */
export const DEFAULT_EPOCHS = 30

/** What a run uses when the researcher chooses nothing (CLI and window alike). */
export const TRAINING_DEFAULTS = { method: 'tcgm', preset: 'tiny', seeds: 1, epochs: DEFAULT_EPOCHS } as const

/** Network presets of the image models (their architectures: engine/model/config.ts). */
export const MODEL_PRESET_IDS = ['tiny', 'small', 'paper'] as const
export const ModelPresetId = z.enum(MODEL_PRESET_IDS)
export type ModelPresetId = z.infer<typeof ModelPresetId>

/** Which epoch's model a run keeps. */
export const SelectBy = z.enum(['auto', 'balancedAccuracy', 'accuracy', 'auc', 'last'])
export type SelectBy = z.infer<typeof SelectBy>

export const Hyperparameters = z.object({
  /** Learning rate of the supervised (CE) steps, gamma_l. */
  lrLabelled: z.number().positive().max(1).optional(),
  /** Learning rate of the TC steps, gamma_u. */
  lrUnlabelled: z.number().positive().max(1).optional(),
  batchSize: z.number().int().min(2).max(512).optional(),
  /** CE warm-up epochs before the first TC step. */
  warmupEpochs: z.number().int().min(0).max(1000).optional(),
  /** Which epoch's model is kept: best on validation by a metric, the last one, or 'auto' (the
   *  default): balanced accuracy when validation has enough visible labels, else the last epoch. */
  selectBy: SelectBy.optional()
})
export type Hyperparameters = z.infer<typeof Hyperparameters>
export type NumericHyperparameter = Exclude<keyof Hyperparameters, 'selectBy'>

export const TrainingOptions = z.object({
  method: Method,
  /** Image model preset, e.g. 'tiny', 'small', 'paper' (engine/model/config.ts). */
  preset: z.string().min(1).max(40),
  seeds: z.number().int().min(1).max(20),
  /** First seed; seeds run firstSeed, firstSeed+1, ... */
  firstSeed: z.number().int().min(0).optional(),
  epochs: z.number().int().min(1).max(10000).optional(),
  hyperparameters: Hyperparameters.optional()
})
export type TrainingOptions = z.infer<typeof TrainingOptions>

/** What a run uses for hyperparameters the user leaves alone. */
export const HYPERPARAMETER_DEFAULTS = {
  lrLabelled: defaultTrainConfig.lrLabelled,
  lrUnlabelled: defaultTrainConfig.lrUnlabelled,
  batchSize: defaultTrainConfig.batchSize,
  selectBy: 'auto'
} as const satisfies Partial<Record<keyof Hyperparameters, unknown>>

/** Below this many visible validation labels in some class, choosing an epoch on validation
 *  is mostly noise (one subject moves a class's recall by 10 points or more, and the best of 30
 *  noisy scores is optimistic): selectBy 'auto' then keeps the last epoch. */
export const MIN_VAL_LABELS_FOR_SELECTION = 10

/** CE warm-up epochs when not given: a third of the epochs (at least one epoch of TC steps). */
export function defaultWarmupEpochs(epochs: number): number {
  return Math.min(Math.round(epochs / 3), Math.max(0, epochs - 1))
}

/** The training form as the window draws it: every choice with its default and a one-line
 *  explanation. Served by `training.defaults`, so the window holds no copy of any default. */
export const TrainingCatalogue = z.object({
  defaults: z.object({ method: Method, preset: z.string(), seeds: z.number().int(), epochs: z.number().int() }),
  presets: z.array(z.object({ id: z.string(), title: z.string(), help: z.string() })),
  hyperparameters: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      help: z.string(),
      /** null: derived from other choices (the help says how). */
      default: z.number().nullable(),
      step: z.number(),
      min: z.number(),
      max: z.number(),
      integer: z.boolean()
    })
  ),
  selectBy: z.object({ default: SelectBy, choices: z.array(z.object({ id: SelectBy, title: z.string() })) }),
  minValLabelsForSelection: z.number().int(),
  demoVisibleRate: z.number()
})
export type TrainingCatalogue = z.infer<typeof TrainingCatalogue>

const PRESET_TEXT: Record<ModelPresetId, { title: string; help: string }> = {
  tiny: {
    title: 'Tiny',
    help: "A very small 3D network: the demo trains in minutes on a CPU; the README's accuracy on the demo was measured with it at 30 epochs. With a few epochs it is only a quick look."
  },
  small: { title: 'Small', help: 'A compact 3D DenseNet: useful results on a CPU in under an hour for a small cohort.' },
  paper: { title: 'Paper (DenseNet, GPU)', help: 'The 3D DenseNet of the TCGM paper (blocks 6-12-24-16): needs a GPU for cohorts of hundreds.' }
}

const HYPERPARAMETER_TEXT: Record<
  NumericHyperparameter,
  { title: string; help: string; default: number | null; step: number; min: number; max: number; integer: boolean }
> = {
  lrLabelled: {
    title: 'Learning rate, labelled steps',
    help: 'How far each supervised (cross-entropy) step moves the weights. Paper: 0.001.',
    default: HYPERPARAMETER_DEFAULTS.lrLabelled,
    step: 0.0001,
    min: 0.00001,
    max: 1,
    integer: false
  },
  lrUnlabelled: {
    title: 'Learning rate, TC steps',
    help: 'Step size of the agreement (total correlation) steps over all subjects. Paper: 0.001.',
    default: HYPERPARAMETER_DEFAULTS.lrUnlabelled,
    step: 0.0001,
    min: 0.00001,
    max: 1,
    integer: false
  },
  batchSize: {
    title: 'Batch size',
    help: 'Subjects per supervised step; agreement steps take twice as many. Larger is smoother but needs more memory. Paper: 12.',
    default: HYPERPARAMETER_DEFAULTS.batchSize,
    step: 1,
    min: 2,
    max: 512,
    integer: true
  },
  warmupEpochs: {
    title: 'Warm-up epochs',
    help: 'Supervised epochs before the agreement steps start, so the classes cannot swap. Empty: a third of the epochs.',
    default: null,
    step: 1,
    min: 0,
    max: 1000,
    integer: true
  }
}

/** The catalogue `training.defaults` answers with. */
export function trainingCatalogue(demoVisibleRate: number): TrainingCatalogue {
  return {
    defaults: { ...TRAINING_DEFAULTS },
    presets: MODEL_PRESET_IDS.map((id) => ({ id, ...PRESET_TEXT[id] })),
    hyperparameters: (Object.keys(HYPERPARAMETER_TEXT) as NumericHyperparameter[]).map((key) => ({ key, ...HYPERPARAMETER_TEXT[key] })),
    selectBy: {
      default: HYPERPARAMETER_DEFAULTS.selectBy,
      choices: [
        { id: 'auto', title: `Automatic (validation balanced accuracy with ${MIN_VAL_LABELS_FOR_SELECTION}+ labels per class, else the last epoch)` },
        { id: 'balancedAccuracy', title: 'Validation balanced accuracy' },
        { id: 'accuracy', title: 'Validation accuracy' },
        { id: 'auc', title: 'Validation AUC' },
        { id: 'last', title: 'The last epoch' }
      ]
    },
    minValLabelsForSelection: MIN_VAL_LABELS_FOR_SELECTION,
    demoVisibleRate
  }
}
