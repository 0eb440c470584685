/**
 * The importer's binding to the imaging pipeline (src-main/preprocessing/preprocess.ts): study
 * settings -> preprocessing settings, and the pipeline's crops -> the cache's two channels with
 * their affines.
 */
import { createHash } from 'node:crypto'
import { type PreprocessSettings, defaultPreprocessSettings, preprocessScan, preprocessSettingsHash } from '../../preprocessing/preprocess'
import { mirrorAffineX } from '../cache'
import type { ScanContext, ScanPreprocessor } from './run'
import type { StudyFile } from '../schema'
import { studyTransformStore } from '../transform-cache'
import type { Modality } from '../../domain/modality'

export function preprocessSettingsFor(modality: Modality, settings: StudyFile['settings'], scan: ScanContext = {}): PreprocessSettings {
  return {
    ...defaultPreprocessSettings(modality),
    smriIntensity: settings.proportionalScaling ? 'gm-proportional' : 'gm-raw',
    petReference: settings.petReference,
    input: scan.input
  }
}

export const imagingPreprocessor: ScanPreprocessor = {
  // A native PET's crops depend on the T1 it is registered to: its path is part of the identity.
  settingsHash: (modality, settings, scan = {}) => {
    const hash = preprocessSettingsHash(preprocessSettingsFor(modality, settings, scan))
    return scan.t1File ? `${hash}-t1-${createHash('sha256').update(scan.t1File).digest('hex').slice(0, 8)}` : hash
  },
  async run(file, modality, settings, opts) {
    const r = await preprocessScan(file, preprocessSettingsFor(modality, settings, opts), {
      signal: opts.signal,
      suv: opts.suv ? { injectedDoseBq: opts.suv.injectedDoseMBq * 1e6, bodyWeightKg: opts.suv.bodyWeightKg } : undefined,
      t1File: opts.t1File,
      dicomSeries: opts.dicomSeries,
      transforms: opts.studyDir ? studyTransformStore(opts.studyDir) : undefined
    })
    const { left, right, stacked } = r.crops
    // The pipeline's output is on the LAS MNI grid: channel 0 (left, LAS) keeps the left crop's
    // affine; channel 1 is the right crop mirrored in x.
    if (!(left.affine[0]![0]! < 0)) throw new Error(`preprocess ${file}: expected crops on the LAS MNI grid, got an affine with +x along i`)
    return {
      crops: { dims: stacked.dims, channels: 2, data: stacked.data },
      affines: { left: left.affine, right: mirrorAffineX(right.affine, right.dims[0]) },
      stats: {
        hippocampalGmMl: r.stats.hippocampalGmMl ?? null,
        hippocampalMeanSuvr: r.stats.hippocampalMeanSuvr ?? null,
        nonFiniteVoxels: r.stats.nonFiniteVoxels
      },
      steps: r.steps,
      settingsHash: r.settingsHash,
      input: r.input,
      qc: r.qc
    }
  }
}
