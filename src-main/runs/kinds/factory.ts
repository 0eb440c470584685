/** What a run kind's factory receives inside the training worker, and what it builds. */
import type { Logger } from '../../log'
import type { ModalityModel } from '../../engine/train/modality-model'
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
