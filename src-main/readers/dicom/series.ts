/**
 * Finding the image series in a folder of DICOM files and checking that each is one regular 3-D
 * volume before its voxels are read: files grouped by SeriesInstanceUID and sorted by position
 * along the slice normal. Headers are parsed with dicom-parser (pure JavaScript, stops before
 * the pixel data, about 1 ms a file); the voxels are read by @itk-wasm/dicom (read.ts).
 *
 * Each problem names the folder, the series and what is wrong. A bad series never hides the
 * good ones: they are returned with `ok` true and import.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import dicomParser from 'dicom-parser'

export interface DicomSeries {
  folder: string
  uid: string
  /** "series 3 'MPRAGE'" or the UID when the file has neither number nor description. */
  label: string
  description: string | null
  modality: string | null
  /** Files of the volume, sorted by position along the slice normal (localisers left out). */
  files: string[]
  /** Problems that stop this series from importing (empty when ok). */
  errors: string[]
  /** Problems that do not (files left out, and why). */
  warnings: string[]
  ok: boolean
  /** Header geometry, LPS (DICOM patient space), for checks against what the reader returns. */
  rows: number
  columns: number
  sliceSpacingMm: number | null
}

export interface DicomFolderScan {
  folder: string
  series: DicomSeries[]
  /** Files that are not DICOM or could not be parsed: folder-level warnings. */
  unreadable: string[]
}

/** Transfer syntaxes whose pixel data is stored as is (implicit/explicit VR, little/big endian, deflated). */
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'])
const COMPRESSION_NAMES: Array<[RegExp, string]> = [
  [/^1\.2\.840\.10008\.1\.2\.4\.(5\d|6\d|70)$/, 'JPEG'],
  [/^1\.2\.840\.10008\.1\.2\.4\.8[01]$/, 'JPEG-LS'],
  [/^1\.2\.840\.10008\.1\.2\.4\.9\d$/, 'JPEG 2000'],
  [/^1\.2\.840\.10008\.1\.2\.5$/, 'RLE'],
  [/^1\.2\.840\.10008\.1\.2\.4\.10\d$/, 'MPEG']
]
/** Slice positions may differ from the median spacing by this fraction before spacing counts as non-uniform. */
const SPACING_TOLERANCE = 0.01
/** Tilt between the slice normal and the direction the slices advance in, degrees. */
const MAX_TILT_DEG = 0.5

interface Header {
  file: string
  uid: string
  number: number | null
  description: string | null
  modality: string | null
  transferSyntax: string
  frames: number
  imageType: string
  rows: number
  columns: number
  position: number[] | null
  orientation: number[] | null
}

function parseHeader(file: string, bytes: Uint8Array): Header | null {
  let ds: dicomParser.DataSet
  try {
    ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' })
  } catch {
    return null
  }
  const uid = ds.string('x0020000e')
  if (!uid) return null
  const multi = (tag: string, n: number): number[] | null => {
    const v: number[] = []
    for (let i = 0; i < n; i++) {
      const x = ds.floatString(tag, i)
      if (x === undefined || !Number.isFinite(x)) return null
      v.push(x)
    }
    return v
  }
  return {
    file,
    uid,
    number: ds.intString('x00200011') ?? null,
    description: ds.string('x0008103e') ?? null,
    modality: ds.string('x00080060') ?? null,
    transferSyntax: ds.string('x00020010') ?? '1.2.840.10008.1.2',
    frames: ds.intString('x00280008') ?? 1,
    imageType: Array.from({ length: ds.numStringValues('x00080008') ?? 0 }, (_, i) => ds.string('x00080008', i) ?? '').join('\\'),
    rows: ds.uint16('x00280010') ?? 0,
    columns: ds.uint16('x00280011') ?? 0,
    position: multi('x00200032', 3),
    orientation: multi('x00200037', 6)
  }
}

const cross = (a: number[], b: number[]) => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!]
const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!
const orientationKey = (o: number[]) => o.map((v) => v.toFixed(3)).join(',')

function checkSeries(folder: string, headers: Header[]): DicomSeries {
  const first = headers[0]!
  const label =
    first.number !== null || first.description ? `series ${first.number ?? '?'}${first.description ? ` '${first.description}'` : ''}` : `series ${first.uid}`
  const errors: string[] = []
  const warnings: string[] = []
  const series: DicomSeries = {
    folder,
    uid: first.uid,
    label,
    description: first.description,
    modality: first.modality,
    files: [],
    errors,
    warnings,
    ok: false,
    rows: first.rows,
    columns: first.columns,
    sliceSpacingMm: null
  }

  const compressed = [...new Set(headers.map((h) => h.transferSyntax).filter((t) => !UNCOMPRESSED.has(t)))]
  if (compressed.length) {
    const names = compressed.map((t) => `${COMPRESSION_NAMES.find(([re]) => re.test(t))?.[1] ?? 'compressed'} (${t})`)
    errors.push(
      `compressed pixel data, transfer syntax ${names.join(', ')}: store it uncompressed (e.g. dcmdjpeg or gdcmconv --raw) or convert it with dcm2niix`
    )
  }
  const multiFrame = headers.filter((h) => h.frames > 1)
  if (multiFrame.length)
    errors.push(`multi-frame (enhanced) DICOM: ${multiFrame.length} file(s) hold ${multiFrame[0]!.frames} frames each; convert the series with dcm2niix`)
  if (errors.length) return series

  // Localisers / scouts: flagged in ImageType, or in an orientation other than the series' own.
  let volume = headers.filter((h) => !/\bLOCALIZER\b|\bSCOUT\b/i.test(h.imageType))
  const localisers = headers.length - volume.length
  if (volume.length === 0) {
    errors.push(`a localiser / scout series (${headers.length} image(s) marked LOCALIZER), not a 3-D volume`)
    return series
  }
  const noGeometry = volume.filter((h) => !h.position || !h.orientation)
  if (noGeometry.length) {
    errors.push(`${noGeometry.length} file(s) without ImagePositionPatient / ImageOrientationPatient (e.g. ${noGeometry[0]!.file}): not a 3-D acquisition`)
    return series
  }
  const byOrientation = new Map<string, Header[]>()
  for (const h of volume) byOrientation.set(orientationKey(h.orientation!), [...(byOrientation.get(orientationKey(h.orientation!)) ?? []), h])
  const main = [...byOrientation.values()].sort((a, b) => b.length - a.length)[0]!
  const otherOrientation = volume.length - main.length
  volume = main
  if (localisers + otherOrientation > 0)
    warnings.push(`${localisers + otherOrientation} localiser or 2-D image(s) in another orientation left out of the volume`)
  const sizes = new Set(volume.map((h) => `${h.rows}x${h.columns}`))
  if (sizes.size > 1) {
    errors.push(`slices of different sizes (${[...sizes].join(', ')})`)
    return series
  }
  if (volume.length < 3) {
    errors.push(`${volume.length === 1 ? 'a single 2-D image' : `only ${volume.length} slices`}, not a 3-D volume`)
    return series
  }

  const o = volume[0]!.orientation!
  const normal = cross(o.slice(0, 3), o.slice(3, 6))
  const sorted = volume.map((h) => ({ h, d: dot(h.position!, normal) })).sort((a, b) => a.d - b.d)
  const steps = sorted.slice(1).map((s, i) => s.d - sorted[i]!.d)
  const duplicates = steps.filter((s) => Math.abs(s) < 1e-3).length
  if (duplicates) {
    errors.push(
      `${duplicates} duplicated slice position(s) (two files at the same place, e.g. ${sorted[steps.findIndex((s) => Math.abs(s) < 1e-3)]!.h.file}); remove the repeated acquisition`
    )
    return series
  }
  const median = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)]!
  series.sliceSpacingMm = median
  const gaps = steps.map((s, i) => ({ s, i })).filter(({ s }) => s > 1.5 * median)
  if (gaps.length) {
    const missing = gaps.reduce((n, { s }) => n + Math.round(s / median) - 1, 0)
    errors.push(
      `${missing} missing slice(s): a gap of ${gaps[0]!.s.toFixed(2)} mm where slices are ${median.toFixed(2)} mm apart, after position ${sorted[gaps[0]!.i]!.d.toFixed(2)} mm`
    )
    return series
  }
  const worst = Math.max(...steps.map((s) => Math.abs(s - median) / median))
  if (worst > SPACING_TOLERANCE) {
    errors.push(`non-uniform slice spacing: ${Math.min(...steps).toFixed(3)} to ${Math.max(...steps).toFixed(3)} mm`)
    return series
  }
  // Gantry tilt: the slices advance along a direction other than their normal (CT, some PET).
  const advance = sorted[sorted.length - 1]!.h.position!.map((v, a) => v - sorted[0]!.h.position![a]!)
  const cosTilt = Math.abs(dot(advance, normal)) / Math.hypot(...advance)
  const tilt = (Math.acos(Math.min(1, cosTilt)) * 180) / Math.PI
  if (tilt > MAX_TILT_DEG) {
    errors.push(`gantry tilt of ${tilt.toFixed(1)} degrees (slices sheared along their normal); correct it with dcm2niix, which resamples tilted series`)
    return series
  }
  series.files = sorted.map((s) => s.h.file)
  series.ok = true
  return series
}

/** Every series in `folder` (not recursive), checked. Files that are not DICOM are listed, never fatal. */
export async function scanDicomFolder(folder: string, signal?: AbortSignal): Promise<DicomFolderScan> {
  const entries = await fsp.readdir(folder, { withFileTypes: true })
  const headers: Header[] = []
  const unreadable: string[] = []
  for (const e of entries) {
    if (!e.isFile() || e.name.startsWith('.')) continue
    signal?.throwIfAborted()
    const file = join(folder, e.name)
    const h = parseHeader(file, new Uint8Array(await fsp.readFile(file)))
    if (h) headers.push(h)
    else if (/\.(dcm|ima)$/i.test(e.name) || !/\./.test(e.name)) unreadable.push(file)
  }
  const byUid = new Map<string, Header[]>()
  for (const h of headers) byUid.set(h.uid, [...(byUid.get(h.uid) ?? []), h])
  const series = [...byUid.values()].map((hs) => checkSeries(folder, hs)).sort((a, b) => (a.label < b.label ? -1 : 1))
  return { folder, series, unreadable }
}

/** True when the folder holds at least one file that parses as DICOM (checks the first few). */
export async function looksLikeDicomFolder(folder: string): Promise<boolean> {
  const entries = await fsp.readdir(folder, { withFileTypes: true }).catch(() => [])
  for (const e of entries.filter((x) => x.isFile() && !x.name.startsWith('.')).slice(0, 5)) {
    const fh = await fsp.open(join(folder, e.name), 'r').catch(() => null)
    if (!fh) continue
    const buf = Buffer.alloc(132)
    await fh.read(buf, 0, 132, 0).finally(() => fh.close())
    if (buf.toString('latin1', 128, 132) === 'DICM') return true
  }
  return false
}

/** "<folder>: series 3 'MPRAGE': <problem>" */
export function seriesProblem(s: DicomSeries, problem: string): string {
  return `${s.folder}: ${s.label}: ${problem}`
}
