/**
 * Reading one checked DICOM series (series.ts) into the app's volume: voxels by @itk-wasm/dicom
 * (GDCM/DCMTK compiled to WebAssembly; rescale slope and intercept applied), geometry converted
 * from DICOM's LPS patient space to RAS once, here.
 */
import { statSync } from 'node:fs'
import type { Volume } from '../../volume/types'
import { volumeFromItk } from '../../volume/itk-image'
import { type DicomSeries, scanDicomFolder, seriesProblem } from './series'

/** A DICOM problem: the message starts with the folder and the series. */
export class DicomError extends Error {
  override readonly name = 'DicomError'
  readonly file: string
  readonly problem: string
  constructor(folder: string, problem: string, options?: { cause?: unknown }) {
    super(`${folder}: ${problem}`, options)
    this.file = folder
    this.problem = problem
  }
}

export interface DicomVolume extends Volume {
  series: DicomSeries
}

type DicomModule = typeof import('@itk-wasm/dicom')
let dicomModule: Promise<DicomModule> | null = null
const dicom = (): Promise<DicomModule> => (dicomModule ??= import('@itk-wasm/dicom'))

/** The voxels of a series that passed its checks. */
export async function readDicomSeries(series: DicomSeries): Promise<DicomVolume> {
  if (!series.ok) throw new DicomError(series.folder, `${series.label}: ${series.errors.join('; ')}`)
  const { readImageDicomFileSeriesNode } = await dicom()
  let vol: Volume
  try {
    const { outputImage } = await readImageDicomFileSeriesNode({ inputImages: series.files, singleSortedSeries: true })
    vol = volumeFromItk(outputImage as never)
  } catch (err) {
    throw new DicomError(series.folder, `${series.label}: the voxels could not be read (${(err as Error).message})`, { cause: err })
  }
  if (vol.dims[0] !== series.columns || vol.dims[1] !== series.rows || vol.dims[2] !== series.files.length) {
    throw new DicomError(
      series.folder,
      `${series.label}: read ${vol.dims.join('x')} voxels, the headers say ${series.columns}x${series.rows}x${series.files.length}`
    )
  }
  return { ...vol, series }
}

/**
 * The one volume of a DICOM folder: the series with `uid`, or the folder's only good series.
 * @throws DicomError naming the folder, the series and the problem.
 */
export async function readDicomFolder(folder: string, opts: { uid?: string | null; signal?: AbortSignal } = {}): Promise<DicomVolume> {
  const scan = await scanDicomFolder(folder, opts.signal)
  if (scan.series.length === 0) throw new DicomError(folder, 'no DICOM image files in this folder')
  const pick = opts.uid ? scan.series.find((s) => s.uid === opts.uid) : undefined
  if (opts.uid && !pick) throw new DicomError(folder, `no series with SeriesInstanceUID ${opts.uid} (found ${scan.series.map((s) => s.label).join(', ')})`)
  const good = pick ? [pick] : scan.series.filter((s) => s.ok)
  if (good.length === 0) throw new DicomError(folder, scan.series.map((s) => `${s.label}: ${s.errors.join('; ')}`).join(' | '))
  if (good.length > 1) throw new DicomError(folder, `${good.length} image series (${good.map((s) => s.label).join(', ')}); choose one`)
  return readDicomSeries(good[0]!)
}

/** Size and newest modification time over a series' files (the cache's identity of a folder). */
export function seriesIdentity(files: readonly string[]): { size: number; mtimeMs: number } {
  let size = 0
  let mtimeMs = 0
  for (const f of files) {
    const st = statSync(f)
    size += st.size
    mtimeMs = Math.max(mtimeMs, st.mtimeMs)
  }
  return { size, mtimeMs }
}

export { seriesProblem }
