/**
 * The records of the volume viewer: one subject's volumes on the MNI grid, the hippocampal boxes
 * the networks crop, the cohort measures and each model's verdict, and attribution maps.
 * Volumes carry Float32Array data (see api/wire/typed-codec.ts for how the bridge sends them).
 */
import { z } from 'zod'
import { Modality } from './modality'

const Vec3 = z.tuple([z.number(), z.number(), z.number()])
const IntVec3 = z.tuple([z.number().int(), z.number().int(), z.number().int()])

export const VolumePayload = z.object({
  modality: Modality,
  /** File name of the source scan (no folder), for titles and error messages. */
  source: z.string(),
  /** [nx, ny, nz]. */
  dims: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  /** Voxel size in mm, [dx, dy, dz]. */
  spacing: Vec3,
  /** 4x4 row-major voxel (0-based) -> RAS mm (NIfTI / MNI world). */
  affine: z.array(z.array(z.number()).length(4)).length(4),
  /** Intensities after the study's preprocessing, index = i + nx * (j + ny * k). */
  data: z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'expected a Float32Array' }),
  /** Finite minimum and maximum of `data`. */
  min: z.number(),
  max: z.number(),
  /** 2nd and 99.5th percentiles of the non-zero voxels: a robust default display range. */
  robustRange: z.tuple([z.number(), z.number()]),
  /** What the values mean, e.g. 'GM density (proportionally scaled)', 'SUVR (pons)'. */
  quantity: z.string(),
  /** Units for colour bars, e.g. 'a.u.' or 'SUVR'. */
  units: z.string()
})
export type VolumePayload = z.infer<typeof VolumePayload>

export const HippocampalBox = z.object({
  /** 'left' or 'right' hippocampus (subject's side). */
  side: z.enum(['left', 'right']),
  /** Corners in RAS (MNI) mm, min <= max per axis. */
  mmMin: Vec3,
  mmMax: Vec3,
  /** Inclusive 0-based voxel ranges of the box on the payload grid (sMRI's, else PET's). */
  voxelMin: IntVec3,
  voxelMax: IntVec3
})
export type HippocampalBox = z.infer<typeof HippocampalBox>

/** One hippocampal measure: this subject's value and the cohort's values per group. */
export const CohortMeasure = z.object({
  key: z.enum(['hippocampalGmMl', 'hippocampalMeanSuvr']),
  label: z.string(),
  /** What is measured, in one or two sentences for the researcher. */
  description: z.string(),
  units: z.string(),
  /** This subject's value, null when its scan is missing. */
  subject: z.number().nullable(),
  /** Smallest and largest value over every subject of the study with the scan (n of them). */
  cohortRange: z.object({ min: z.number(), max: z.number(), n: z.number().int() }).nullable(),
  /** Values of the cohort's subjects by visible label (class name), this subject included;
   *  subjects without a visible label (hidden for evaluation or unknown) are in no group. */
  groups: z.array(z.object({ name: z.string(), values: z.array(z.number()) }))
})
export type CohortMeasure = z.infer<typeof CohortMeasure>

export const ModelVerdict = z.object({
  /** 'smri', 'pet' or 'aggregator'. */
  model: z.string(),
  /** Probabilities in classNames order. */
  probabilities: z.array(z.number()),
  predicted: z.string(),
  /** Probability of the predicted class. */
  confidence: z.number()
})
export type ModelVerdict = z.infer<typeof ModelVerdict>

export const ViewerSubject = z.object({
  subject: z.string(),
  classNames: z.array(z.string()),
  /** Visible label (class name) or null. */
  label: z.string().nullable(),
  smri: VolumePayload.nullable(),
  pet: VolumePayload.nullable(),
  boxes: z.array(HippocampalBox),
  measures: z.array(CohortMeasure),
  /** The requested (else the newest finished) run's verdicts for this subject, null when there is none. */
  prediction: z.object({ runId: z.string(), verdicts: z.array(ModelVerdict) }).nullable(),
  /** The run whose predictions were looked up (requested, else newest finished); null when no
   *  run has finished. With `prediction` null, the subject is not in that run. */
  consultedRunId: z.string().nullable()
})
export type ViewerSubject = z.infer<typeof ViewerSubject>

/**
 * An occlusion-sensitivity map of one modality's classifier for one subject, on the viewer's
 * grid: per voxel, the mean drop of the model's probability of `className` when a cube around
 * the voxel is hidden (positive: the region speaks for that class). 0 outside the boxes.
 */
export const AttributionMap = z.object({
  runId: z.string(),
  subject: z.string(),
  modality: Modality,
  /** The class whose probability drop is mapped (the second class, e.g. 'AD'), and its index. */
  className: z.string(),
  classIndex: z.number().int(),
  /** Seeds whose selected models were averaged. */
  seeds: z.array(z.number().int()),
  /** Occluding cube edge and step, in voxels of the crop (2 mm). */
  cubeVoxels: z.number().int(),
  strideVoxels: z.number().int(),
  /** What hid the cube, in words. */
  baseline: z.string(),
  /** The models' probability of `className` for the unoccluded crop (mean over seeds). */
  probability: z.number(),
  /** What the run exported for this subject and modality (mean over seeds), null when absent. */
  exportedProbability: z.number().nullable(),
  /** Largest |value| of the map (for a symmetric display range). */
  maxAbs: z.number(),
  /** Forward passes made, and the seconds they took (0 for a cached map read back). */
  passes: z.number().int(),
  seconds: z.number(),
  computedAt: z.string(),
  /** The map as a volume on the same grid as the subject's sMRI / PET payloads. */
  volume: VolumePayload
})
export type AttributionMap = z.infer<typeof AttributionMap>

export const AttributionSummary = z.object({
  runId: z.string(),
  subject: z.string(),
  modality: Modality,
  cached: z.boolean(),
  passes: z.number().int(),
  seconds: z.number()
})
export type AttributionSummary = z.infer<typeof AttributionSummary>
