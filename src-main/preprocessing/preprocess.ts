/**
 * The one preprocessing pipeline from a scan (NIfTI file or DICOM series folder) to what the
 * classifiers and the viewer use, as named steps (volume, settings, context) -> volume plus a record
 * of what they did, composed by `runPipeline`; only `preprocessScan` reads files:
 * read -> NaN/Inf to 0 -> MNI 2 mm grid (a native scan registered to the MNI template, one
 * resampling; an MNI-space scan resampled as it is) -> the input kind checked against the values
 * -> intensity steps (grey-matter map: [0, 1] with proportional scaling; T1-weighted: robust
 * z-score in the brain mask; PET: SUV when known, then SUVR) -> hippocampus crops.
 * Every step is recorded in human-readable form with the output.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readScan } from '../readers'
import { type ScanInput, describeInput, legacyInput } from '../domain/input-kind'
import { NiftiError } from '../readers/nifti/errors'
import type { Volume } from '../volume/types'
import { cropHippocampi, type HippocampalCrops } from '../roi/crop'
import { HIPPOCAMPUS_BOXES, statsInBoxes, type ReferenceRegionName } from '../roi/boxes'
import { voxelVolumeMm3 } from '../volume/grid'
import { toMni2mm } from './resample'
import { clampGreyMatter, gmProportionalScaling, t1RobustZScoreInMask, t1ZScore, zeroNonFinite } from './intensity'
import { MAX_GM_VALUE, recogniseStructuralKind } from './input-kind'
import { type TransformStore, normaliseToMni } from './normalise'
import { DEFAULT_REGISTRATION, type RegistrationQc, type RegistrationSettings } from './registration'
import { loadMniTemplates } from './templates'
import { readPetSidecar, sidecarPath, toSuv, toSuvr, type SuvInputs } from './pet'
import type { Modality } from '../domain/modality'

/** Bumped whenever a change to this pipeline changes its output (part of settingsHash). */
export const PIPELINE_VERSION = 1

export interface PreprocessSettings {
  modality: Modality
  /** sMRI: grey-matter map with proportional scaling (default), grey matter as is, or a T1 z-scored in a brain mask. */
  smriIntensity: 'gm-proportional' | 'gm-raw' | 't1-zscore'
  /** PET: SUVR reference region (pons for FDG by default). */
  petReference: ReferenceRegionName
  /** Extra voxels on every side of the hippocampus boxes. */
  cropMargin: number
  /** Take a scan given as MNI space even when it does not look normalised (resampled by its world coordinates as it is). */
  allowNonMni: boolean
  /** What the file is (default: today's grey-matter map or PET in MNI space). */
  input?: ScanInput
  /** How a native-space scan is registered to MNI (default affine). */
  registration?: RegistrationSettings
}

export function defaultPreprocessSettings(modality: Modality): PreprocessSettings {
  return { modality, smriIntensity: 'gm-proportional', petReference: 'pons', cropMargin: 2, allowNonMni: false }
}

function inputOf(s: PreprocessSettings): ScanInput {
  return s.input ?? legacyInput(s.modality)
}

export interface PreprocessResult {
  /** The full MNI 2 mm grid after the intensity steps. */
  volume: Volume
  crops: HippocampalCrops
  /** What was done, in order. */
  steps: string[]
  stats: {
    /** Grey matter inside both hippocampus boxes, in mL (GM maps only, before proportional
     *  scaling): the sum of GM probability x voxel volume. The boxes (2 x 17x21x20 voxels)
     *  include surrounding cortex, so this tracks hippocampal atrophy, not the anatomical
     *  hippocampal volume (about 60 mL on the ICBM template). */
    hippocampalGmMl?: number
    /** Mean SUVR inside both hippocampus boxes (PET only). */
    hippocampalMeanSuvr?: number
    /** NaN/Inf voxels in the input (set to 0). */
    nonFiniteVoxels: number
  }
  /** What the scan was taken as. */
  input: ScanInput
  /** Registration QC of a native-space scan (null for MNI-space scans, which are not registered). */
  qc: RegistrationQc | null
  /** Stable hash of the settings and the pipeline version, for cache keys. */
  settingsHash: string
}

/** Stable short hash of the settings (keys sorted) and PIPELINE_VERSION. Today's inputs (a
 *  grey-matter map or PET in MNI space) hash as before input kinds existed, so their caches stay. */
export function preprocessSettingsHash(settings: PreprocessSettings): string {
  const input = inputOf(settings)
  const legacy = input.kind === legacyInput(settings.modality).kind && input.space === 'mni'
  const s: Record<string, unknown> = {
    ...settings,
    input: legacy ? undefined : input,
    registration: legacy || input.space === 'mni' ? undefined : (settings.registration ?? DEFAULT_REGISTRATION)
  }
  const canonical = JSON.stringify(
    Object.keys(s)
      .filter((k) => s[k] !== undefined)
      .sort()
      .map((k) => [k, s[k]])
  )
  return createHash('sha256').update(`v${PIPELINE_VERSION}:${canonical}`).digest('hex').slice(0, 16)
}

function checkSettings(s: PreprocessSettings): void {
  const bad = (what: string) => new Error(`preprocessScan: ${what}`)
  if (s.modality !== 'smri' && s.modality !== 'pet') throw bad(`modality must be 'smri' or 'pet', got '${s.modality}'`)
  if (!['gm-proportional', 'gm-raw', 't1-zscore'].includes(s.smriIntensity)) throw bad(`unknown smriIntensity '${s.smriIntensity}'`)
  if (s.petReference !== 'pons' && s.petReference !== 'cerebellum') throw bad(`petReference must be 'pons' or 'cerebellum', got '${s.petReference}'`)
  if (!Number.isInteger(s.cropMargin) || s.cropMargin < 0 || s.cropMargin > 64)
    throw bad(`cropMargin must be a whole number of voxels in 0..64, got ${s.cropMargin}`)
  const input = inputOf(s)
  if ((s.modality === 'pet') !== (input.kind === 'pet')) throw bad(`a ${input.kind} cannot feed the ${s.modality === 'pet' ? 'PET' : 'sMRI'} network`)
}

export interface PreprocessOptions {
  signal?: AbortSignal
  /** SUV inputs (e.g. from a manifest); otherwise a BIDS sidecar beside the file is used when it has them. */
  suv?: SuvInputs
  /** A native PET's subject's native T1-weighted scan (file or DICOM folder): the PET is registered to it. */
  t1File?: string | null
  /** The DICOM series to read when `file` is a folder holding several. */
  dicomSeries?: string | null
  /** Where registrations are kept between runs (the study's cache); none: registered every time. */
  transforms?: TransformStore
}

/** A scan read and with NaN/Inf set to 0, plus what was done. */
async function readClean(file: string, opts: PreprocessOptions): Promise<{ vol: Volume; header: MniHeader; steps: string[]; nonFinite: number }> {
  const img = await readScan(file, { signal: opts.signal, dicomSeries: opts.dicomSeries })
  const steps = [img.readStep]
  let vol: Volume = { dims: img.dims, spacing: img.spacing, affine: img.affine, data: img.data }
  if (img.nonFiniteCount > 0) {
    const z = zeroNonFinite(vol)
    vol = z.volume
    steps.push(z.step)
  }
  return { vol, header: img.header ?? { file }, steps, nonFinite: img.nonFiniteCount }
}

type MniHeader = Parameters<typeof toMni2mm>[0]['header']
type MniTemplates = Awaited<ReturnType<typeof loadMniTemplates>>

/** What the pipeline's steps pass on: the volume so far and the record of what was done. */
export interface PipelineState {
  volume: Volume
  steps: string[]
  stats: PreprocessResult['stats']
  qc: RegistrationQc | null
}

/** What a step may use besides the volume and the settings. Steps read no files: what comes from
 *  files (the SUV sidecar, the subject's T1 for a native PET) is read before and handed in here. */
export interface PipelineContext {
  /** The source, for messages and the transform cache's key. */
  file: string
  header: MniHeader
  input: ScanInput
  templates: MniTemplates | null
  suv: SuvInputs | null
  /** A native PET's subject's T1, read only if its registration is not cached. */
  t1?: { file: string; read: () => Promise<Volume> }
  transforms?: TransformStore
  signal?: AbortSignal
}

export type PipelineStep = (state: PipelineState, settings: PreprocessSettings, ctx: PipelineContext) => Promise<PipelineState>

/** Onto the MNI 2 mm grid: a native scan registered to the template (one resampling), an MNI-space scan resampled as it is. */
export const toMniGrid: PipelineStep = async (state, settings, ctx) => {
  if (ctx.input.space === 'native') {
    const n = await normaliseToMni({
      file: ctx.file,
      volume: state.volume,
      input: ctx.input,
      settings: settings.registration ?? DEFAULT_REGISTRATION,
      templates: ctx.templates!,
      t1: ctx.t1,
      transforms: ctx.transforms,
      signal: ctx.signal
    })
    return { ...state, volume: n.volume, steps: [...state.steps, ...n.steps], qc: n.qc }
  }
  // An input stated as MNI space (by the import's plan or a CAPS layout) is taken as such.
  const mni = toMni2mm({ ...state.volume, header: ctx.header }, { allowNonMni: settings.allowNonMni || settings.input !== undefined })
  return { ...state, volume: mni.volume, steps: [...state.steps, mni.step] }
}

/** An MNI-space structural scan's values against the kind it is taken for: a T1 clipped to [0, 1]
 *  as if it were probabilities becomes a constant, so a contradiction is refused. */
export const confirmInputKind: PipelineStep = async (state, _settings, ctx) => {
  if (ctx.input.space === 'native' || ctx.input.kind === 'pet') return state
  const seen = recogniseStructuralKind(state.volume, ctx.templates!)
  // Refused when the values say the other kind; an ambiguous (e.g. constant) image is kept as given, with the numbers recorded.
  const other = ctx.input.kind === 'grey-matter-map' ? seen.kind === 't1-weighted' || seen.range[1] > MAX_GM_VALUE : seen.kind === 'grey-matter-map'
  if (other)
    throw new NiftiError(
      ctx.file,
      `taken as a ${describeInput(ctx.input)}, but it ${seen.kind === 'unknown' ? 'is ' + seen.reason : seen.reason}; import it as the kind it is`
    )
  const step = seen.kind === ctx.input.kind ? `input kind confirmed: ${seen.reason}` : `input kind not confirmed by the values, kept as given: ${seen.reason}`
  return { ...state, steps: [...state.steps, step] }
}

/** Intensities: a T1's robust z-score in the brain mask; a grey-matter map kept in [0, 1] (with
 *  proportional scaling by default); PET as SUV when known, then SUVR. */
export const normaliseIntensity: PipelineStep = async (state, settings, ctx) => {
  const steps = [...state.steps]
  const stats = { ...state.stats }
  const inBoxes = (v: Volume) => statsInBoxes(v, [HIPPOCAMPUS_BOXES.left, HIPPOCAMPUS_BOXES.right])
  let vol = state.volume
  const apply = (r: { volume: Volume; step: string }) => {
    vol = r.volume
    steps.push(r.step)
  }
  if (ctx.input.kind === 't1-weighted') apply(t1RobustZScoreInMask(vol, ctx.templates!.brainMask))
  else if (settings.modality === 'smri') {
    if (settings.smriIntensity === 't1-zscore') apply(t1ZScore(vol))
    else {
      apply(clampGreyMatter(vol))
      stats.hippocampalGmMl = (inBoxes(vol).sum * voxelVolumeMm3(vol)) / 1000
      if (settings.smriIntensity === 'gm-proportional') apply(gmProportionalScaling(vol))
    }
  } else {
    if (ctx.suv) apply(toSuv(vol, ctx.suv))
    else steps.push('SUV not computed (no injected dose and body weight in a sidecar or the manifest)')
    apply(toSuvr(vol, settings.petReference))
    stats.hippocampalMeanSuvr = inBoxes(vol).mean
  }
  return { ...state, volume: vol, steps, stats }
}

/** The pipeline, in order; the hippocampus crops are cut from what it returns. */
export const PIPELINE: readonly PipelineStep[] = [toMniGrid, confirmInputKind, normaliseIntensity]

/** Runs the steps over a scan already read; a step's failure names the source file. */
export async function runPipeline(state: PipelineState, settings: PreprocessSettings, ctx: PipelineContext): Promise<PipelineState> {
  for (const step of PIPELINE) {
    try {
      state = await step(state, settings, ctx)
    } catch (err) {
      if (err instanceof Error && 'file' in err) throw err
      throw new NiftiError(ctx.file, (err instanceof Error ? err.message : String(err)).replace(/^\w+: /, ''), { cause: err })
    }
    ctx.signal?.throwIfAborted()
  }
  return state
}

/**
 * Preprocesses one scan into the full MNI 2 mm volume after intensity steps and the two
 * hippocampus crops: reads what the steps need (the scan, a PET's SUV sidecar, the templates),
 * then runs the pipeline.
 * @throws NiftiError (or DicomError) naming the file for unreadable files, inputs whose values
 *   contradict their kind, and failed steps.
 */
export async function preprocessScan(file: string, settings: PreprocessSettings, opts: PreprocessOptions = {}): Promise<PreprocessResult> {
  checkSettings(settings)
  const input = inputOf(settings)
  const read = await readClean(file, opts)
  const needsTemplates = input.space === 'native' || input.kind !== 'pet'
  const t1File = input.space === 'native' && input.kind === 'pet' ? opts.t1File : null
  const ctx: PipelineContext = {
    file,
    header: read.header,
    input,
    templates: needsTemplates ? await loadMniTemplates() : null,
    suv: settings.modality === 'pet' ? (opts.suv ?? (existsSync(sidecarPath(file)) ? await readPetSidecar(sidecarPath(file)) : null)) : null,
    t1: t1File ? { file: t1File, read: async () => (await readClean(t1File, { signal: opts.signal })).vol } : undefined,
    transforms: opts.transforms,
    signal: opts.signal
  }
  const start: PipelineState = {
    volume: read.vol,
    steps: [...read.steps, `taken as: ${describeInput(input)}`],
    stats: { nonFiniteVoxels: read.nonFinite },
    qc: null
  }
  const out = await runPipeline(start, settings, ctx)
  const crops = cropHippocampi(out.volume, { margin: settings.cropMargin })
  const steps = [...out.steps, `hippocampus crops ${crops.stacked.dims.join('x')} (margin ${settings.cropMargin} voxels), left and right`]
  return { volume: out.volume, crops, steps, stats: out.stats, input, qc: out.qc, settingsHash: preprocessSettingsHash(settings) }
}
