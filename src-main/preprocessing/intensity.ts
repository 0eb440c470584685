/**
 * Intensity steps for structural MRI: grey-matter maps kept in [0, 1] and, by default, scaled
 * for head size (proportional scaling, the VBM convention); T1 images z-scored within a brain
 * mask. Each returns a new volume and a sentence saying what was done.
 */
import type { Volume } from '../volume/types'

export interface IntensityStep {
  volume: Volume
  /** Human-readable record of what was done, with the numbers used. */
  step: string
}

function withData(vol: Volume, data: Float32Array): Volume {
  return { dims: [...vol.dims], spacing: [...vol.spacing], affine: vol.affine.map((r) => r.slice()), data }
}

/**
 * Mean grey-matter probability of the ICBM 2009a template over the 91 x 109 x 91 2 mm MNI grid
 * (measured on shared/fixtures/nifti/icbm2009a_gm_mni2mm.nii.gz: 0.13962). Proportional scaling
 * maps every subject's mean to this value, so scaled maps keep the [0, 1]-like range of a
 * template GM map while head size is removed.
 */
export const GM_REFERENCE_MEAN = 0.13962

/**
 * Clamps a grey-matter probability map to [0, 1] (values outside come from interpolation
 * overshoot or modulation) and sets NaN to 0.
 */
export function clampGreyMatter(vol: Volume): IntensityStep & { clamped: number } {
  const data = new Float32Array(vol.data.length)
  let clamped = 0
  for (let i = 0; i < data.length; i++) {
    const v = vol.data[i]
    if (v >= 0 && v <= 1) data[i] = v
    else {
      data[i] = v > 1 ? 1 : 0 // NaN and negatives -> 0
      clamped++
    }
  }
  return { volume: withData(vol, data), clamped, step: `grey matter kept in [0, 1] (${clamped} voxels clamped)` }
}

/**
 * Proportional scaling of a grey-matter map for head size: every voxel is multiplied by
 * referenceMean / (the subject's mean GM over the grid), i.e. by the ratio of a reference total
 * GM volume to the subject's. Meant for maps on the MNI 2 mm grid (the mean is over its voxels).
 * @throws Error when the map has no grey matter (mean <= 0).
 */
export function gmProportionalScaling(vol: Volume, referenceMean = GM_REFERENCE_MEAN): IntensityStep & { subjectMean: number } {
  let sum = 0
  for (let i = 0; i < vol.data.length; i++) sum += vol.data[i]
  const subjectMean = sum / vol.data.length
  if (!(subjectMean > 0)) {
    throw new Error(`gmProportionalScaling: the grey-matter map has mean ${subjectMean}; is this a grey-matter map?`)
  }
  const factor = referenceMean / subjectMean
  const data = new Float32Array(vol.data.length)
  for (let i = 0; i < data.length; i++) data[i] = vol.data[i] * factor
  return {
    volume: withData(vol, data),
    subjectMean,
    step: `proportional scaling for head size: mean grey matter ${subjectMean.toFixed(5)} scaled to ${referenceMean} (x${factor.toFixed(4)})`
  }
}

/**
 * Z-scores a T1 image within a brain mask: voxels above 1/8 of the whole-image mean (SPM's
 * "global" threshold) form the mask; inside it values become (v - mean) / sd, outside 0.
 * @throws Error when the image is constant or empty.
 */
export function t1ZScore(vol: Volume): IntensityStep & { maskVoxels: number } {
  const d = vol.data
  let total = 0
  let finite = 0
  for (let i = 0; i < d.length; i++) {
    if (Number.isFinite(d[i])) {
      total += d[i]
      finite++
    }
  }
  const threshold = total / Math.max(finite, 1) / 8
  let sum = 0
  let sumSq = 0
  let n = 0
  for (let i = 0; i < d.length; i++) {
    const v = d[i]
    if (v > threshold && Number.isFinite(v)) {
      sum += v
      sumSq += v * v
      n++
    }
  }
  const mean = sum / n
  const sd = Math.sqrt(Math.max(sumSq / n - mean * mean, 0))
  if (!(n > 1 && sd > 0)) throw new Error(`t1ZScore: no usable brain mask (${n} voxels above ${threshold}, sd ${sd})`)
  const data = new Float32Array(d.length)
  for (let i = 0; i < d.length; i++) {
    const v = d[i]
    if (v > threshold && Number.isFinite(v)) data[i] = (v - mean) / sd
  }
  return {
    volume: withData(vol, data),
    maskVoxels: n,
    step: `T1 z-scored within a brain mask (${n} voxels above ${threshold.toPrecision(4)}): mean ${mean.toPrecision(5)}, sd ${sd.toPrecision(5)}`
  }
}

/** Replaces NaN and +-Inf by 0 (they would spread through interpolation). */
export function zeroNonFinite(vol: Volume): IntensityStep & { replaced: number } {
  const data = vol.data.slice()
  let replaced = 0
  for (let i = 0; i < data.length; i++) {
    if (data[i] - data[i] !== 0) {
      data[i] = 0
      replaced++
    }
  }
  return { volume: withData(vol, data), replaced, step: `${replaced} NaN/Inf voxels set to 0` }
}

/**
 * Robust z-score of a T1-weighted image on the MNI grid inside the template's brain mask:
 * (v - median) / (IQR / 1.349) inside, 0 outside, so scanner gain, bias left by registration
 * and a few bright vessels do not set the scale.
 * @throws Error when the mask is not on the image's grid or the brain is constant.
 */
export function t1RobustZScoreInMask(vol: Volume, brainMask: Volume): IntensityStep {
  if (brainMask.data.length !== vol.data.length) throw new Error('t1RobustZScoreInMask: the brain mask is not on the image grid')
  const inside: number[] = []
  for (let i = 0; i < vol.data.length; i++) if (brainMask.data[i]! >= 0.5 && Number.isFinite(vol.data[i]!)) inside.push(vol.data[i]!)
  const sorted = Float32Array.from(inside).sort()
  const q = (p: number) => sorted[Math.round(p * (sorted.length - 1))]!
  const median = q(0.5)
  const scale = (q(0.75) - q(0.25)) / 1.349
  if (!(sorted.length > 1 && scale > 0)) throw new Error(`t1RobustZScoreInMask: the brain is constant (${sorted.length} voxels, interquartile range 0)`)
  const data = new Float32Array(vol.data.length)
  for (let i = 0; i < data.length; i++) if (brainMask.data[i]! >= 0.5 && Number.isFinite(vol.data[i]!)) data[i] = (vol.data[i]! - median) / scale
  return {
    volume: withData(vol, data),
    step: `T1 robust z-score in the MNI brain mask (${sorted.length} voxels): median ${median.toPrecision(5)}, IQR/1.349 ${scale.toPrecision(5)}`
  }
}
