/**
 * The importer's binding to the imaging pipeline (src-main/imaging/preprocess.ts): study
 * settings -> preprocessing settings, and the pipeline's crops -> the cache's two channels with
 * their affines.
 */
import { type PreprocessSettings, defaultPreprocessSettings, preprocessScan, preprocessSettingsHash } from '../../preprocessing/preprocess'
import { mirrorAffineX } from '../cache'
import type { ScanPreprocessor } from './run'
import type { StudyFile } from '../schema'

export function preprocessSettingsFor(modality: 'smri' | 'pet', settings: StudyFile['settings']): PreprocessSettings {
  return {
    ...defaultPreprocessSettings(modality),
    smriIntensity: settings.proportionalScaling ? 'gm-proportional' : 'gm-raw',
    petReference: settings.petReference
  }
}

export const imagingPreprocessor: ScanPreprocessor = {
  settingsHash: (modality, settings) => preprocessSettingsHash(preprocessSettingsFor(modality, settings)),
  async run(file, modality, settings, opts) {
    const r = await preprocessScan(file, preprocessSettingsFor(modality, settings), {
      signal: opts.signal,
      suv: opts.suv ? { injectedDoseBq: opts.suv.injectedDoseMBq * 1e6, bodyWeightKg: opts.suv.bodyWeightKg } : undefined
    })
    const { left, right, stacked } = r.crops
    // The pipeline's output is on the LAS MNI grid: channel 0 (left, LAS) keeps the left crop's
    // affine; channel 1 is the right crop mirrored in x.
    if (!(left.affine[0]![0]! < 0)) throw new Error(`preprocess ${file}: expected crops on the LAS MNI grid, got an affine with +x along i`)
    return {
      crops: { dims: stacked.dims, channels: 2, data: stacked.data },
      affines: { left: left.affine, right: mirrorAffineX(right.affine, right.dims[0]) },
      stats: { hippocampalGmMl: r.stats.hippocampalGmMl ?? null, hippocampalMeanSuvr: r.stats.hippocampalMeanSuvr ?? null, nonFiniteVoxels: r.stats.nonFiniteVoxels },
      steps: r.steps,
      settingsHash: r.settingsHash
    }
  }
}
