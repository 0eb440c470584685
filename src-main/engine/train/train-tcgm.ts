/**
 * TRAINTCGM: the training loop of the paper (Algorithm 1) over one `ModalityModel` per modality,
 * whatever the classifiers are.
 *
 * Each epoch: for every modality, CE steps over batches of its labelled training subjects
 * (learning rate gamma_l = lrLabelled); then, once the CE warm-up is over and method = 'tcgm', TC
 * steps over batches of the training subjects (labelled and unlabelled) that have every modality,
 * updating all classifiers together with the gradient of -TCg (gamma_u = lrUnlabelled).
 * After each epoch: validation (per modality and aggregator), model selection, an atomic
 * checkpoint. A run resumes from the checkpoint bit for bit; an AbortSignal stops it before the
 * next step.
 *
 * Subjects are 0-based rows; posteriors are row-major [numSubjects, C].
 */
import { join } from 'node:path'
import { createLogger } from '../../log'
import { aggregateRows } from '../tcgm/aggregator'
import { estimatePrior, uniformPrior, type Prior } from '../tcgm/prior'
import { tcGainAndGrad } from '../tcgm/tc-gain'
import { readCheckpoint, writeCheckpoint } from './checkpoint'
import { resolveTrainConfig, type TrainConfig } from '../../domain/train-config'
import { argmaxRow, classificationMetrics, meanAbsPosteriorDifference, type ClassificationMetrics } from './metrics'
import type { ModalityModel, ModelState } from './modality-model'
import { Rng, type RngState } from '../../domain/random/sfc32'

const log = createLogger('train')

export type Split = 'train' | 'val' | 'test'

export interface TrainData {
  numSubjects: number
  /** Labels visible to the run (0-based class or null = unlabelled), one per subject. */
  labels: (number | null)[]
  /** available[subject][modality]: whether the subject has that modality. */
  available: boolean[][]
  split: Split[]
  /** For evaluation only (never used for training or model selection). */
  trueLabels?: (number | null)[]
  subjectIds?: string[]
  /** Known posteriors (simulations): [N, C] per modality and for the aggregator, for calibration. */
  knownPosteriors?: { modalities?: Float64Array[]; aggregator?: Float64Array }
}

export interface SplitEvaluation {
  /** Labelled subjects evaluated. */
  n: number
  /** Per modality (null when no labelled subject of the split has it). */
  modalities: (ClassificationMetrics | null)[]
  aggregator: ClassificationMetrics | null
  /** Mean |p - q| to the known posteriors over all subjects of the split (when known). */
  calibration?: { modalities: (number | null)[]; aggregator: number | null }
}

export type Phase = 'warmup' | 'tcgm' | 'ce'

export interface TrainProgress {
  type: 'step' | 'epoch'
  phase: Phase
  /** 0-based index of the current epoch. */
  epoch: number
  epochs: number
  /** Steps done in this epoch. */
  step: number
  stepsInEpoch: number
  /** Mean CE loss per modality over this epoch's steps so far (null: no labelled batch). */
  ceLoss: (number | null)[]
  /** Mean TC gain over this epoch's TC steps so far (null: none). */
  tcGain: number | null
  /** With type 'epoch': validation metrics computed with the visible labels. */
  val?: SplitEvaluation
  elapsedSeconds: number
  etaSeconds: number | null
}

export interface EpochRecord {
  epoch: number
  phase: Phase
  ceLoss: (number | null)[]
  tcGain: number | null
  /** Selection score on validation (NaN when no validation). */
  score: number
  seconds: number
}

export interface TrainResult {
  config: TrainConfig
  modalities: string[]
  numClasses: number
  prior: number[]
  /** 0-based epoch whose model gave the posteriors. */
  selectedEpoch: number
  epochsRun: number
  /** [N, C] per modality (NaN rows where the subject lacks the modality) and for the aggregator. */
  posteriors: { modalities: Float32Array[]; aggregator: Float64Array }
  /** Aggregator argmax per subject. */
  predicted: number[]
  /** Metrics per split with trueLabels when given, else the visible labels. */
  evaluation: Partial<Record<Split, SplitEvaluation>>
  history: EpochRecord[]
  seconds: number
}

export interface TrainOptions {
  signal?: AbortSignal
  onProgress?: (p: TrainProgress) => void
  /** Where loop.ckpt (every epoch) and best-models.ckpt (on each improvement) are written. */
  checkpointDir?: string
  /** Continue from checkpointDir/loop.ckpt when it exists. */
  resume?: boolean
}

export class TrainingCancelledError extends Error {
  readonly cancelled = true
  constructor(readonly epoch: number) {
    super(`training cancelled during epoch ${epoch}`)
    this.name = 'TrainingCancelledError'
  }
}

interface LoopCheckpoint {
  kind: 'tcgm-loop'
  configKey: string
  modalities: string[]
  numSubjects: number
  nextEpoch: number
  rng: RngState
  warmupDone: boolean
  /** The selected epoch so far; its model states are in best-models.ckpt. */
  best: { epoch: number; score: number } | null
  history: EpochRecord[]
  models: ModelState[]
  elapsedSeconds: number
}

export const LOOP_CHECKPOINT = 'loop.ckpt'
export const BEST_MODELS_CHECKPOINT = 'best-models.ckpt'
/** The models that gave the run's posteriors (the selected epoch's, with the normalisation
 *  statistics refreshed as they were for those predictions), written when the loop ends. */
export const SELECTED_MODELS_CHECKPOINT = 'selected-models.ckpt'

/** Contents of SELECTED_MODELS_CHECKPOINT: one state per modality, in `modalities` order. */
export interface SelectedModelsCheckpoint {
  kind: 'tcgm-selected-models'
  epoch: number
  modalities: string[]
  models: ModelState[]
}

interface BestModelsCheckpoint {
  kind: 'tcgm-best-models'
  epoch: number
  score: number
  models: ModelState[]
}

/** The config fields that must match for a resume (epochs may grow, eval batch may change). */
function configKey(c: TrainConfig): string {
  const { epochs: _e, evalBatchSize: _b, ...rest } = c
  return JSON.stringify(rest)
}

function checkData(models: readonly ModalityModel[], data: TrainData): number {
  const N = data.numSubjects
  const M = models.length
  if (M < 1) throw new Error('trainTcgm: no models')
  const C = models[0]!.numClasses
  models.forEach((m) => {
    if (m.numClasses !== C) throw new Error(`trainTcgm: model '${m.modality}' has ${m.numClasses} classes, '${models[0]!.modality}' has ${C}`)
  })
  if (data.labels.length !== N) throw new Error(`trainTcgm: ${data.labels.length} labels for ${N} subjects`)
  if (data.split.length !== N) throw new Error(`trainTcgm: ${data.split.length} split entries for ${N} subjects`)
  if (data.available.length !== N) throw new Error(`trainTcgm: ${data.available.length} availability rows for ${N} subjects`)
  data.available.forEach((row, i) => {
    if (row.length !== M) throw new Error(`trainTcgm: availability row ${i} has ${row.length} entries for ${M} modalities`)
  })
  const checkLabels = (name: string, ls: (number | null)[]): void => {
    if (ls.length !== N) throw new Error(`trainTcgm: ${name} has ${ls.length} entries for ${N} subjects`)
    ls.forEach((y, i) => {
      if (y !== null && !(Number.isInteger(y) && y >= 0 && y < C)) throw new Error(`trainTcgm: ${name}[${i}] = ${y} is not a class in 0..${C - 1}`)
    })
  }
  checkLabels('labels', data.labels)
  if (data.trueLabels) checkLabels('trueLabels', data.trueLabels)
  data.split.forEach((s, i) => {
    if (s !== 'train' && s !== 'val' && s !== 'test') throw new Error(`trainTcgm: split[${i}] = ${String(s)} is not train/val/test`)
  })
  return C
}

/** Near-equal consecutive batches covering `idx` (no tiny last batch). */
function batches(idx: readonly number[], size: number): number[][] {
  if (idx.length === 0) return []
  const nb = Math.ceil(idx.length / size)
  const out: number[][] = []
  for (let b = 0; b < nb; b++) out.push(idx.slice(Math.floor((b * idx.length) / nb), Math.floor(((b + 1) * idx.length) / nb)))
  return out
}

/** Log-posteriors of `rows` for every modality, placed in [N, C] arrays (NaN elsewhere). */
async function predictRows(
  models: readonly ModalityModel[],
  data: TrainData,
  rows: readonly number[],
  C: number,
  chunk: number,
  into?: Float32Array[]
): Promise<Float32Array[]> {
  const N = data.numSubjects
  const out = into ?? models.map(() => new Float32Array(N * C).fill(NaN))
  for (let m = 0; m < models.length; m++) {
    const mine = rows.filter((i) => data.available[i]![m])
    for (let s = 0; s < mine.length; s += chunk) {
      const part = mine.slice(s, s + chunk)
      const lp = await models[m]!.predictLogProbs(part)
      part.forEach((row, k) => out[m]!.set(lp.subarray(k * C, (k + 1) * C), row * C))
    }
  }
  return out
}

function toProbs(logProbs: Float32Array): Float64Array {
  return Float64Array.from(logProbs, Math.exp)
}

/** Metrics of one split from log-posteriors, with the given labels. */
export function evaluateSplit(
  logProbs: readonly Float32Array[],
  data: TrainData,
  prior: Prior,
  C: number,
  split: Split,
  labels: readonly (number | null)[]
): SplitEvaluation {
  const rows = data.split.flatMap((s, i) => (s === split ? [i] : []))
  const labelled = rows.filter((i) => labels[i] !== null)
  const pick = (probs: ArrayLike<number>, rs: number[]): Float64Array => {
    const out = new Float64Array(rs.length * C)
    rs.forEach((r, k) => {
      for (let c = 0; c < C; c++) out[k * C + c] = probs[r * C + c]!
    })
    return out
  }
  const agg = aggregateRows(logProbs, data.numSubjects, prior.logP, (i, m) => data.available[i]![m]! && data.split[i] === split)
  const modalities = logProbs.map((lp, m) => {
    const rs = labelled.filter((i) => data.available[i]![m])
    return rs.length
      ? classificationMetrics(
          pick(toProbs(lp), rs),
          rs.map((i) => labels[i]!),
          C
        )
      : null
  })
  const aggregator = labelled.length
    ? classificationMetrics(
        pick(agg, labelled),
        labelled.map((i) => labels[i]!),
        C
      )
    : null
  const ev: SplitEvaluation = { n: labelled.length, modalities, aggregator }
  const known = data.knownPosteriors
  if (known && rows.length) {
    ev.calibration = {
      modalities: logProbs.map((lp, m) => {
        const k = known.modalities?.[m]
        const rs = rows.filter((i) => data.available[i]![m])
        return k && rs.length ? meanAbsPosteriorDifference(toProbs(lp), k, C, rs) : null
      }),
      aggregator: known.aggregator ? meanAbsPosteriorDifference(agg, known.aggregator, C, rows) : null
    }
  }
  return ev
}

function selectionScore(ev: SplitEvaluation | undefined, metric: TrainConfig['selectionMetric']): number {
  const a = ev?.aggregator
  if (!a) return NaN
  if (metric === 'aggregator-accuracy') return a.accuracy
  if (metric === 'aggregator-auc') return a.auc
  return a.balancedAccuracy
}

/** The subjects (0-based rows) each part of the loop works on. */
interface LoopRows {
  train: number[]
  val: number[]
  labelledTrain: number[]
  /** Per modality: the labelled training subjects that have it (CE steps). */
  ceRows: number[][]
  /** Training subjects with every modality (TC steps). */
  tcRows: number[]
  /** Per modality: the subjects whose inference-mode statistics (BN running statistics) are
   *  recomputed before an inference pass that follows training steps. The CE baseline sees
   *  labelled subjects only (TCGM.md: "labelled data only"), so its statistics come from its
   *  labelled training subjects; TCGM may use every training subject. */
  normStatsRows: number[][]
  /** Whether validation selects the epoch (else the last epoch's models give the posteriors). */
  selectOnVal: boolean
}

function loopRows(data: TrainData, config: TrainConfig, M: number): LoopRows {
  const train = data.split.flatMap((s, i) => (s === 'train' ? [i] : []))
  const val = data.split.flatMap((s, i) => (s === 'val' ? [i] : []))
  const labelledTrain = train.filter((i) => data.labels[i] !== null)
  const ceRows = Array.from({ length: M }, (_, m) => labelledTrain.filter((i) => data.available[i]![m]))
  const tcRows = train.filter((i) => data.available[i]!.every(Boolean))
  const valLabelled = val.filter((i) => data.labels[i] !== null)
  const normStatsRows = ceRows.map((rows, m) => (config.method === 'ce' ? rows : train.filter((i) => data.available[i]![m])))
  return { train, val, labelledTrain, ceRows, tcRows, normStatsRows, selectOnVal: config.selectionMetric !== 'last' && valLabelled.length > 0 }
}

/** @throws when the method cannot run on these data. */
function checkMethod(config: TrainConfig, M: number, rows: LoopRows): void {
  if (config.method === 'ce' && rows.labelledTrain.length === 0) throw new Error('trainTcgm: the CE baseline needs labelled training subjects, there are none')
  if (config.method === 'tcgm' && M < 2) throw new Error(`trainTcgm: TCGM needs at least 2 modalities, got ${M}`)
  if (config.method === 'tcgm' && config.tcBatchSize < M)
    throw new Error(`trainTcgm: tcBatchSize ${config.tcBatchSize} is smaller than the number of modalities ${M}`)
}

/** The class prior from the labelled training subjects (uniform without any). */
function trainingPrior(config: TrainConfig, data: TrainData, rows: LoopRows, C: number): Prior {
  if (!rows.labelledTrain.length) return uniformPrior(C)
  return estimatePrior(
    rows.labelledTrain.map((i) => data.labels[i]!),
    C,
    {
      pseudoCount: config.priorPseudoCount,
      ...(config.priorMinProbability !== null ? { minProbability: config.priorMinProbability } : {})
    }
  )
}

/** What the loop carries from one epoch to the next (and through loop.ckpt across a resume). */
interface LoopState {
  rng: Rng
  nextEpoch: number
  warmupDone: boolean
  best: LoopCheckpoint['best']
  /** States of the best epoch's models, kept in memory when this process reached it (after a
   *  resume they are read back from best-models.ckpt at the end). */
  bestStates: ModelState[] | null
  history: EpochRecord[]
  /** Seconds spent by the processes before a resume. */
  priorElapsed: number
}

/** A fresh state, or the one of `ckptPath` when resuming (the models get their states back).
 *  @throws when the checkpoint is of another kind, configuration or dataset */
async function initialState(
  models: readonly ModalityModel[],
  data: TrainData,
  config: TrainConfig,
  rows: LoopRows,
  ckptPath: string | null,
  resume: boolean
): Promise<LoopState> {
  const state: LoopState = {
    rng: new Rng(config.seed),
    nextEpoch: 0,
    warmupDone: rows.labelledTrain.length === 0, // nothing to warm up on: clustering mode
    best: null,
    bestStates: null,
    history: [],
    priorElapsed: 0
  }
  const ck = resume && ckptPath ? readCheckpoint<LoopCheckpoint>(ckptPath) : null
  if (!ck) return state
  if (ck.kind !== 'tcgm-loop') throw new Error(`trainTcgm: ${ckptPath} is not a training-loop checkpoint`)
  if (ck.configKey !== configKey(config)) throw new Error(`trainTcgm: ${ckptPath} was written with another configuration; start a new run instead of resuming`)
  if (ck.numSubjects !== data.numSubjects || ck.modalities.join('\t') !== models.map((m) => m.modality).join('\t')) {
    throw new Error(`trainTcgm: ${ckptPath} is for ${ck.numSubjects} subjects and modalities [${ck.modalities.join(', ')}], not this dataset`)
  }
  for (let m = 0; m < models.length; m++) await models[m]!.setState(ck.models[m]!)
  return {
    ...state,
    rng: new Rng(ck.rng),
    nextEpoch: ck.nextEpoch,
    warmupDone: ck.warmupDone,
    best: ck.best,
    history: ck.history,
    priorElapsed: ck.elapsedSeconds
  }
}

/** One epoch's running sums, for progress events and the epoch record. */
interface EpochTally {
  epoch: number
  phase: Phase
  ceSum: number[]
  ceCount: number[]
  tcSum: number
  tcCount: number
  /** Steps done in this epoch, of stepsInEpoch. */
  step: number
  stepsInEpoch: number
}

const meanCeLoss = (t: EpochTally): (number | null)[] => t.ceSum.map((s, m) => (t.ceCount[m] ? s / t.ceCount[m]! : null))
const meanTcGain = (t: EpochTally): number | null => (t.tcCount ? t.tcSum / t.tcCount : null)

/** One run of the loop: its inputs, its state, and the clocks of its progress reports. */
class TcgmLoop {
  private readonly M: number
  private readonly N: number
  private readonly ckptPath: string | null
  /** TC batches of at least M subjects per epoch, and CE batches per epoch (all modalities). */
  private readonly tcBatchCount: number
  private readonly ceBatchCount: number
  /** Whether the models took training steps since their inference-mode statistics were refreshed. */
  private normStatsStale = true
  private stepsDoneHere = 0
  private readonly runStart = Date.now()
  private lastYield = Date.now()

  private readonly models: readonly ModalityModel[]
  private readonly data: TrainData
  private readonly config: TrainConfig
  private readonly opts: TrainOptions
  private readonly C: number
  private readonly rows: LoopRows
  private readonly prior: Prior

  constructor(
    inputs: {
      models: readonly ModalityModel[]
      data: TrainData
      config: TrainConfig
      opts: TrainOptions
      C: number
      rows: LoopRows
      prior: Prior
      ckptPath: string | null
    },
    private readonly state: LoopState,
    /** When trainTcgm was called (Date.now()). */
    private readonly started: number
  ) {
    const { models, data, config, rows } = inputs
    this.models = models
    this.data = data
    this.config = config
    this.opts = inputs.opts
    this.C = inputs.C
    this.rows = rows
    this.prior = inputs.prior
    this.ckptPath = inputs.ckptPath
    const M = (this.M = models.length)
    this.N = data.numSubjects
    this.tcBatchCount = rows.tcRows.length >= M ? batches(rows.tcRows, config.tcBatchSize).filter((b) => b.length >= M).length : 0
    if (config.method === 'tcgm' && this.tcBatchCount === 0) {
      log.warn(`only ${rows.tcRows.length} training subject(s) have all ${M} modalities (at least ${M} needed): no TC steps, this run is CE only`)
    }
    this.ceBatchCount = rows.ceRows.reduce((a, r) => a + Math.ceil(r.length / config.batchSize), 0)
  }

  async run(): Promise<TrainResult> {
    for (let epoch = this.state.nextEpoch; epoch < this.config.epochs; epoch++) await this.runEpoch(epoch)
    return this.finish()
  }

  private elapsed(): number {
    return this.state.priorElapsed + (Date.now() - this.started) / 1000
  }

  private async refreshNormStats(): Promise<void> {
    if (!this.normStatsStale) return
    await Promise.all(
      this.models.map((mdl, m) => {
        const rows = this.rows.normStatsRows[m]!
        return mdl.refreshNormStats && rows.length ? mdl.refreshNormStats(rows) : undefined
      })
    )
    this.normStatsStale = false
  }

  /** Models may answer synchronously (small MLPs); yielding to the event loop (at most every
   *  5 ms, each yield costs) lets a worker receive its 'cancel' message and flush progress events. */
  private async checkAbort(epoch: number): Promise<void> {
    if (Date.now() - this.lastYield >= 5) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      this.lastYield = Date.now()
    }
    if (this.opts.signal?.aborted) throw new TrainingCancelledError(epoch)
  }

  private remainingSteps(t: EpochTally): number {
    const { config } = this
    const future = config.epochs - t.epoch - 1
    const tcFuture = config.method === 'tcgm' ? Math.max(0, future - Math.max(0, config.warmupEpochs - t.epoch - 1)) : 0
    return t.stepsInEpoch - t.step + future * this.ceBatchCount + tcFuture * this.tcBatchCount
  }

  private progress(t: EpochTally, type: 'step' | 'epoch', valEval?: SplitEvaluation): void {
    if (!this.opts.onProgress) return
    const perStep = this.stepsDoneHere ? (Date.now() - this.runStart) / 1000 / this.stepsDoneHere : null
    this.opts.onProgress({
      type,
      phase: t.phase,
      epoch: t.epoch,
      epochs: this.config.epochs,
      step: t.step,
      stepsInEpoch: t.stepsInEpoch,
      ceLoss: meanCeLoss(t),
      tcGain: meanTcGain(t),
      ...(valEval ? { val: valEval } : {}),
      elapsedSeconds: this.elapsed(),
      etaSeconds: perStep === null ? null : perStep * this.remainingSteps(t)
    })
  }

  /** Training steps, the warm-up test, validation and selection, the epoch record, the checkpoint. */
  private async runEpoch(epoch: number): Promise<void> {
    const { config, rows, state, M } = this
    const epochStart = Date.now()
    const doTc = config.method === 'tcgm' && state.warmupDone && this.tcBatchCount > 0
    const phase: Phase = config.method === 'ce' ? 'ce' : doTc ? 'tcgm' : 'warmup'
    // Batches are drawn first (CE per modality, then TC), so the result does not depend on timing.
    const ceBatches = rows.ceRows.map((r) => batches(state.rng.shuffle(r.slice()), config.batchSize))
    const tcBatches = doTc ? batches(state.rng.shuffle(rows.tcRows.slice()), config.tcBatchSize).filter((b) => b.length >= M) : []
    const stepsInEpoch = ceBatches.reduce((a, b) => a + b.length, 0) + tcBatches.length
    const tally: EpochTally = {
      epoch,
      phase,
      ceSum: new Array<number>(M).fill(0),
      ceCount: new Array<number>(M).fill(0),
      tcSum: 0,
      tcCount: 0,
      step: 0,
      stepsInEpoch
    }
    if (stepsInEpoch > 0) this.normStatsStale = true
    await this.ceSteps(tally, ceBatches)
    await this.tcSteps(tally, tcBatches)
    await this.checkAbort(epoch)
    if (!state.warmupDone && config.method === 'tcgm') state.warmupDone = await this.warmupReached(epoch)
    const { valEval, score } = await this.validateAndSelect(epoch)
    state.history.push({ epoch, phase, ceLoss: meanCeLoss(tally), tcGain: meanTcGain(tally), score, seconds: (Date.now() - epochStart) / 1000 })
    await this.writeLoopCheckpoint(epoch)
    this.progress(tally, 'epoch', valEval)
  }

  /** Supervised steps per modality (Algorithm 1, lines 3-5). The modalities' models are
   *  independent here, so their loops run concurrently: models living in their own processes
   *  then use one core each. */
  private async ceSteps(t: EpochTally, ceBatches: number[][][]): Promise<void> {
    await Promise.all(
      ceBatches.map(async (modalityBatches, m) => {
        for (const batch of modalityBatches) {
          await this.checkAbort(t.epoch)
          const loss = await this.models[m]!.ceStep(
            batch,
            batch.map((i) => this.data.labels[i]!),
            this.config.lrLabelled
          )
          t.ceSum[m] += loss
          t.ceCount[m]++
          t.step++
          this.stepsDoneHere++
          this.progress(t, 'step')
        }
      })
    )
  }

  /** TC steps over labelled + unlabelled subjects with every modality, all models together. */
  private async tcSteps(t: EpochTally, tcBatches: number[][]): Promise<void> {
    const { models } = this
    for (const batch of tcBatches) {
      await this.checkAbort(t.epoch)
      const logHs = await Promise.all(models.map((mdl) => mdl.tcForward(batch)))
      const { gain, grads } = tcGainAndGrad(logHs, batch.length, this.C, this.prior.logP)
      // The models descend on L_TC = -TCg.
      await Promise.all(
        models.map((mdl, m) =>
          mdl.tcBackward(
            grads[m]!.map((g) => -g),
            this.config.lrUnlabelled
          )
        )
      )
      t.tcSum += gain
      t.tcCount++
      t.step++
      this.stepsDoneHere++
      this.progress(t, 'step')
    }
  }

  /** Whether the CE warm-up is over after `epoch`: its epochs are done, or (with warmupAccuracy)
   *  every modality classifies its labelled training subjects well enough. */
  private async warmupReached(epoch: number): Promise<boolean> {
    const { config, data, C } = this
    if (epoch + 1 >= config.warmupEpochs || config.warmupAccuracy === null) return epoch + 1 >= config.warmupEpochs
    await this.refreshNormStats()
    const lp = await predictRows(this.models, data, this.rows.labelledTrain, C, config.evalBatchSize)
    return this.rows.ceRows.every((rows, m) => {
      if (!rows.length) return true
      const ok = rows.filter((i) => argmaxRow(lp[m]!, i, C) === data.labels[i]).length
      return ok / rows.length >= config.warmupAccuracy!
    })
  }

  /** Validation metrics and the selection score (NaN without validation); an epoch at least as
   *  good as the best so far becomes the best (ties keep the later epoch: after the warm-up
   *  TCGM usually ties then improves), its states written to best-models.ckpt. */
  private async validateAndSelect(epoch: number): Promise<{ valEval?: SplitEvaluation; score: number }> {
    const { config, state, opts } = this
    if (!this.rows.selectOnVal) return { score: NaN }
    await this.refreshNormStats()
    const lp = await predictRows(this.models, this.data, this.rows.val, this.C, config.evalBatchSize)
    const valEval = evaluateSplit(lp, this.data, this.prior, this.C, 'val', this.data.labels)
    const score = selectionScore(valEval, config.selectionMetric)
    if (!Number.isNaN(score) && (state.best === null || score >= state.best.score)) {
      state.best = { epoch, score }
      state.bestStates = await Promise.all(this.models.map((mdl) => mdl.getState()))
      if (opts.checkpointDir) {
        const bm: BestModelsCheckpoint = { kind: 'tcgm-best-models', epoch, score, models: state.bestStates }
        writeCheckpoint(join(opts.checkpointDir, BEST_MODELS_CHECKPOINT), bm)
      }
    }
    return { valEval, score }
  }

  private async writeLoopCheckpoint(epoch: number): Promise<void> {
    if (!this.ckptPath) return
    const { state, models } = this
    const ck: LoopCheckpoint = {
      kind: 'tcgm-loop',
      configKey: configKey(this.config),
      modalities: models.map((m) => m.modality),
      numSubjects: this.N,
      nextEpoch: epoch + 1,
      rng: state.rng.getState(),
      warmupDone: state.warmupDone,
      best: state.best,
      history: state.history,
      models: await Promise.all(models.map((mdl) => mdl.getState())),
      elapsedSeconds: this.elapsed()
    }
    writeCheckpoint(this.ckptPath, ck)
  }

  /** Brings back the models of the epoch validation selected, when it is not the last one
   *  (from memory, or from best-models.ckpt after a resume). @returns the selected epoch */
  private async restoreSelectedModels(): Promise<number> {
    const { config, state, opts } = this
    const best = state.best
    if (!this.rows.selectOnVal || !best || best.epoch === config.epochs - 1) return config.epochs - 1
    if (!state.bestStates) {
      const path = opts.checkpointDir ? join(opts.checkpointDir, BEST_MODELS_CHECKPOINT) : null
      const bm = path ? readCheckpoint<BestModelsCheckpoint>(path) : null
      if (!bm || bm.kind !== 'tcgm-best-models' || bm.epoch !== best.epoch) {
        throw new Error(
          `trainTcgm: the models of the selected epoch ${best.epoch} are not in ${path ?? '(no checkpoint folder)'}${bm ? ` (it holds epoch ${bm.epoch})` : ''}`
        )
      }
      state.bestStates = bm.models
    }
    for (let m = 0; m < this.M; m++) await this.models[m]!.setState(state.bestStates[m]!)
    // Its states were saved after their statistics were refreshed.
    this.normStatsStale = false
    return best.epoch
  }

  /** The selected models' posteriors for every subject (with selection 'last', or without
   *  validation, the final models'), the aggregator's, and the metrics of every split. */
  private async finish(): Promise<TrainResult> {
    const { models, data, config, C, N, prior, opts } = this
    const selectedEpoch = await this.restoreSelectedModels()
    await this.refreshNormStats()
    if (opts.checkpointDir) {
      // The exact models behind the posteriors below, for later inspection (attribution maps):
      // loop.ckpt's states may predate the final statistics refresh.
      const sm: SelectedModelsCheckpoint = {
        kind: 'tcgm-selected-models',
        epoch: selectedEpoch,
        modalities: models.map((m) => m.modality),
        models: await Promise.all(models.map((mdl) => mdl.getState()))
      }
      writeCheckpoint(join(opts.checkpointDir, SELECTED_MODELS_CHECKPOINT), sm)
    }
    const logProbs = await predictRows(
      models,
      data,
      Array.from({ length: N }, (_, i) => i),
      C,
      config.evalBatchSize
    )
    const aggregator = aggregateRows(logProbs, N, prior.logP, (i, m) => data.available[i]![m]!)
    const evalLabels = data.trueLabels ?? data.labels
    const evaluation: Partial<Record<Split, SplitEvaluation>> = {}
    for (const s of ['train', 'val', 'test'] as const) {
      if (data.split.includes(s)) evaluation[s] = evaluateSplit(logProbs, data, prior, C, s, evalLabels)
    }
    return {
      config,
      modalities: models.map((m) => m.modality),
      numClasses: C,
      prior: Array.from(prior.p),
      selectedEpoch,
      epochsRun: config.epochs,
      posteriors: { modalities: logProbs.map(toProbs).map((p) => Float32Array.from(p)), aggregator },
      predicted: Array.from({ length: N }, (_, i) => argmaxRow(aggregator, i, C)),
      evaluation,
      history: this.state.history,
      seconds: this.elapsed()
    }
  }
}

/**
 * Runs the loop. Resolves with the selected epoch's posteriors for every subject and metrics.
 * @throws TrainingCancelledError when `signal` aborts (the last epoch's checkpoint stays valid)
 */
export async function trainTcgm(
  models: readonly ModalityModel[],
  data: TrainData,
  partialConfig: Partial<TrainConfig>,
  opts: TrainOptions = {}
): Promise<TrainResult> {
  const config = resolveTrainConfig(partialConfig)
  const C = checkData(models, data)
  const started = Date.now()
  const rows = loopRows(data, config, models.length)
  checkMethod(config, models.length, rows)
  const prior = trainingPrior(config, data, rows, C)
  const ckptPath = opts.checkpointDir ? join(opts.checkpointDir, LOOP_CHECKPOINT) : null
  const state = await initialState(models, data, config, rows, ckptPath, opts.resume === true)
  return new TcgmLoop({ models, data, config, opts, C, rows, prior, ckptPath }, state, started).run()
}
