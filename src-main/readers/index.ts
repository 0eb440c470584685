/**
 * The readers behind the one volume type: a NIfTI file (readers/nifti) or a folder holding a
 * DICOM series (readers/dicom), chosen by what the path is.
 */
import { promises as fsp } from 'node:fs'
import type { Volume } from '../volume/types'
import { countNonFinite, readNifti, type NiftiImageHeader } from './nifti/read'
import { readDicomFolder } from './dicom/read'

export interface ScanVolume extends Volume {
  format: 'nifti' | 'dicom'
  /** The NIfTI header (NIfTI files only): its xform codes help tell MNI from scanner space. */
  header: (NiftiImageHeader & { file: string }) | null
  /** What was read, in one line for the preprocessing record. */
  readStep: string
  nonFiniteCount: number
}

/** Reads a scan: a .nii/.nii.gz file, or a folder with one DICOM series (or the series `dicomSeries`). */
export async function readScan(path: string, opts: { signal?: AbortSignal; dicomSeries?: string | null } = {}): Promise<ScanVolume> {
  const isDir = await fsp.stat(path).then(
    (s) => s.isDirectory(),
    () => false
  )
  if (isDir) {
    const v = await readDicomFolder(path, { uid: opts.dicomSeries, signal: opts.signal })
    const { series, ...vol } = v
    return {
      ...vol,
      format: 'dicom',
      header: null,
      readStep: `read DICOM ${series.label} (${series.modality ?? '?'}), ${vol.dims.join('x')} voxels of ${vol.spacing.map((s) => +s.toFixed(3)).join('x')} mm from ${series.files.length} files${series.warnings.length ? `; ${series.warnings.join('; ')}` : ''}`,
      nonFiniteCount: countNonFinite(vol.data)
    }
  }
  const img = await readNifti(path, { frame: 'mean', signal: opts.signal })
  const h = img.header
  return {
    dims: img.dims,
    spacing: img.spacing,
    affine: img.affine,
    data: img.data,
    format: 'nifti',
    header: { ...h, file: path },
    readStep: `read ${h.originalDims.join('x')} ${h.datatype} (${h.orientation}, affine from ${h.affineSource}${h.frames === 'single' ? '' : `, ${h.frames} frames`})`,
    nonFiniteCount: h.nonFiniteCount
  }
}
