/**
 * The one preprocessing pipeline from a scan file to what the classifiers and the viewer use:
 * read -> NaN/Inf to 0 -> MNI 2 mm grid -> intensity steps (sMRI: grey matter in [0, 1] with
 * proportional scaling, or T1 z-score; PET: SUV when known, then SUVR) -> hippocampus crops.
 * Every step is recorded in human-readable form with the output.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readNifti } from '../readers/nifti/read'
import { NiftiError } from '../readers/nifti/errors'
import type { Volume } from '../volume/types'
import { cropHippocampi, type HippocampalCrops } from '../roi/crop'
import { HIPPOCAMPUS_BOXES, statsInBoxes, type ReferenceRegionName } from '../roi/boxes'
import { voxelVolumeMm3 } from '../volume/grid'
import { toMni2mm } from './resample'
import { clampGreyMatter, gmProportionalScaling, t1ZScore, zeroNonFinite } from './intensity'
import { readPetSidecar, sidecarPath, toSuv, toSuvr, type SuvInputs } from './pet'

/** Bumped whenever a change to this pipeline changes its output (part of settingsHash). */
export const PIPELINE_VERSION = 1

export interface PreprocessSettings {
  modality: 'smri' | 'pet'
  /** sMRI: grey-matter map with proportional scaling (default), grey matter as is, or a T1 z-scored in a brain mask. */
  smriIntensity: 'gm-proportional' | 'gm-raw' | 't1-zscore'
  /** PET: SUVR reference region (pons for FDG by default). */
  petReference: ReferenceRegionName
  /** Extra voxels on every side of the hippocampus boxes. */
  cropMargin: number
  /** Resample scans that do not look MNI-normalised anyway. */
  allowNonMni: boolean
}

export function defaultPreprocessSettings(modality: 'smri' | 'pet'): PreprocessSettings {
  return { modality, smriIntensity: 'gm-proportional', petReference: 'pons', cropMargin: 2, allowNonMni: false }
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
  /** Stable hash of the settings and the pipeline version, for cache keys. */
  settingsHash: string
}

/** Stable short hash of the settings (keys sorted) and PIPELINE_VERSION. */
export function preprocessSettingsHash(settings: PreprocessSettings): string {
  const canonical = JSON.stringify(
    Object.keys(settings)
      .sort()
      .map((k) => [k, settings[k as keyof PreprocessSettings]])
  )
  return createHash('sha256').update(`v${PIPELINE_VERSION}:${canonical}`).digest('hex').slice(0, 16)
}

function checkSettings(s: PreprocessSettings): void {
  const bad = (what: string) => new Error(`preprocessScan: ${what}`)
  if (s.modality !== 'smri' && s.modality !== 'pet') throw bad(`modality must be 'smri' or 'pet', got '${s.modality}'`)
  if (!['gm-proportional', 'gm-raw', 't1-zscore'].includes(s.smriIntensity)) throw bad(`unknown smriIntensity '${s.smriIntensity}'`)
  if (s.petReference !== 'pons' && s.petReference !== 'cerebellum') throw bad(`petReference must be 'pons' or 'cerebellum', got '${s.petReference}'`)
  if (!Number.isInteger(s.cropMargin) || s.cropMargin < 0 || s.cropMargin > 64) throw bad(`cropMargin must be a whole number of voxels in 0..64, got ${s.cropMargin}`)
}

/**
 * Preprocesses one scan (NIfTI in MNI space) into the full MNI 2 mm volume after intensity
 * steps and the two hippocampus crops.
 * @param opts.suv SUV inputs (e.g. from a manifest); otherwise a BIDS sidecar beside the file is used when it has them.
 * @throws NiftiError naming the file for unreadable files, non-MNI scans and failed steps.
 */
export async function preprocessScan(
  file: string,
  settings: PreprocessSettings,
  opts: { signal?: AbortSignal; suv?: SuvInputs } = {}
): Promise<PreprocessResult> {
  checkSettings(settings)
  const img = await readNifti(file, { frame: 'mean', signal: opts.signal })
  const steps: string[] = [
    `read ${img.header.originalDims.join('x')} ${img.header.datatype} (${img.header.orientation}, affine from ${img.header.affineSource}${img.header.frames === 'single' ? '' : `, ${img.header.frames} frames`})`
  ]
  const nonFiniteVoxels = img.header.nonFiniteCount
  let vol: Volume = img
  if (nonFiniteVoxels > 0) {
    const z = zeroNonFinite(img)
    vol = { ...z.volume }
    steps.push(z.step)
  }
  const mni = toMni2mm({ ...vol, header: img.header }, { allowNonMni: settings.allowNonMni })
  vol = mni.volume
  steps.push(mni.step)
  opts.signal?.throwIfAborted()

  const stats: PreprocessResult['stats'] = { nonFiniteVoxels }
  const inBoxes = (v: Volume) => statsInBoxes(v, [HIPPOCAMPUS_BOXES.left, HIPPOCAMPUS_BOXES.right])
  try {
    if (settings.modality === 'smri') {
      if (settings.smriIntensity === 't1-zscore') {
        const z = t1ZScore(vol)
        vol = z.volume
        steps.push(z.step)
      } else {
        const gm = clampGreyMatter(vol)
        vol = gm.volume
        steps.push(gm.step)
        stats.hippocampalGmMl = (inBoxes(vol).sum * voxelVolumeMm3(vol)) / 1000
        if (settings.smriIntensity === 'gm-proportional') {
          const scaled = gmProportionalScaling(vol)
          vol = scaled.volume
          steps.push(scaled.step)
        }
      }
    } else {
      const suv = opts.suv ?? (existsSync(sidecarPath(file)) ? await readPetSidecar(sidecarPath(file)) : null)
      if (suv) {
        const s = toSuv(vol, suv)
        vol = s.volume
        steps.push(s.step)
      } else {
        steps.push('SUV not computed (no injected dose and body weight in a sidecar or the manifest)')
      }
      const r = toSuvr(vol, settings.petReference)
      vol = r.volume
      steps.push(r.step)
      stats.hippocampalMeanSuvr = inBoxes(vol).mean
    }
  } catch (err) {
    if (err instanceof NiftiError) throw err
    throw new NiftiError(file, (err as Error).message.replace(/^\w+: /, ''), { cause: err })
  }
  const crops = cropHippocampi(vol, { margin: settings.cropMargin })
  steps.push(`hippocampus crops ${crops.stacked.dims.join('x')} (margin ${settings.cropMargin} voxels), left and right`)
  return { volume: vol, crops, steps, stats, settingsHash: preprocessSettingsHash(settings) }
}
