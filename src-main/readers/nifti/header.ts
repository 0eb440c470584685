/**
 * NIfTI-1 / NIfTI-2 headers: find the file(s), parse the header with nifti-reader-js, check
 * every field this project relies on before anything large is allocated, and pick the affine
 * nibabel would pick (sform when sform_code > 0, else qform when qform_code > 0, else
 * nibabel's base affine).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { constants as zlibConstants, gunzipSync } from 'node:zlib'
import { NiftiError } from './errors'
import { datatypeForCode, type NiftiDatatype, type NiftiDatatypeName } from './datatypes'
import { baseAffine, isUsableAffine, orientationCode, qformAffine, type Vec3 } from '../../volume/affine'
import { isGzip } from './gunzip'
import type { Affine } from '../../volume/types'

/** nifti-reader-js ships only an ESM entry ("exports": import), so it is loaded with a dynamic
 *  import: that works from the ESM bundle, from Vitest and from the CommonJS CLI under tsx. */
let library: Promise<typeof import('nifti-reader-js')> | null = null
let loadedLibrary: typeof import('nifti-reader-js') | null = null
/** Loads nifti-reader-js once; the header parser itself is synchronous afterwards. */
export function niftiLibrary(): Promise<typeof import('nifti-reader-js')> {
  library ??= import('nifti-reader-js').then((m) => (loadedLibrary = m))
  return library
}

/** Bytes of the fixed header (sizeof_hdr) for each version. */
const HEADER_BYTES = { 1: 348, 2: 540 } as const
/** Default limit on the memory one image may take (raw data and the Float32 result each). */
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024

export interface NiftiHeaderInfo {
  /** The path the caller gave. */
  file: string
  /** The file holding the voxel data: the same file, or the .img of a .hdr/.img pair. */
  imageFile: string
  version: 1 | 2
  /** Whether the voxel data file is gzip-compressed. */
  imageGzipped: boolean
  datatype: NiftiDatatypeName
  datatypeCode: number
  byteOrder: 'little' | 'big'
  /** dim[1..dim[0]], e.g. [91, 109, 91] or [32, 20, 12, 2]; 0-based axis order i, j, k, t. */
  originalDims: number[]
  /** pixdim[1..dim[0]] as stored (mm for space, usually seconds or ms for time). */
  zooms: number[]
  /** Spatial grid [nx, ny, nz] (missing axes are 1). */
  dims: Vec3
  /** Number of 3-D volumes (product of dim[4..7]; 1 for a 3-D image). */
  frames: number
  /** Voxel size in mm [dx, dy, dz] (absolute pixdim[1..3]). */
  spacing: Vec3
  /** Effective scaling: [1, 0] when scl_slope is 0 or NaN (no scaling). */
  scl: [number, number]
  qformCode: number
  sformCode: number
  /** 4x4 row-major voxel -> RAS mm, as nibabel's get_best_affine chooses it. */
  affine: Affine
  affineSource: 'sform' | 'qform' | 'base'
  /** Orientation code such as 'LAS'. */
  orientation: string
  /** Byte offset of the voxel data in imageFile (after decompression). */
  voxOffset: number
  /** Bytes of voxel data for all frames. */
  dataBytes: number
  description: string
}

/** Where the header and the data of an image live. */
function locateFiles(file: string): { headerFile: string; imageFile: string | null } {
  const lower = file.toLowerCase()
  const swap = (from: string, to: string[]): string | null => {
    const base = file.slice(0, file.length - from.length)
    for (const ext of to) {
      for (const cased of [ext, ext.toUpperCase()]) if (existsSync(base + cased)) return base + cased
    }
    return null
  }
  if (lower.endsWith('.hdr') || lower.endsWith('.hdr.gz')) {
    const from = lower.endsWith('.gz') ? '.hdr.gz' : '.hdr'
    return { headerFile: file, imageFile: swap(from, ['.img', '.img.gz']) }
  }
  if (lower.endsWith('.img') || lower.endsWith('.img.gz')) {
    const from = lower.endsWith('.gz') ? '.img.gz' : '.img'
    const hdr = swap(from, ['.hdr', '.hdr.gz'])
    if (!hdr) throw new NiftiError(file, 'this is the data half of a .hdr/.img pair, and the .hdr file beside it is missing')
    return { headerFile: hdr, imageFile: file }
  }
  return { headerFile: file, imageFile: file }
}

/** Compressed bytes fed to the partial header decompression: a deflate stream cannot expand
 *  more than ~1032x, so this also bounds what a gzip bomb can produce here (~8 MiB). */
const HEADER_GZIP_INPUT = 8 << 10

/** A whole file, read synchronously (small metadata reads: a thread-pool round trip per call
 *  costs more than the read itself). */
function readWhole(file: string, what: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new NiftiError(file, `cannot read ${what}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Refuses, before opening it, anything but a regular file: opening a FIFO blocks until a writer
 * comes (forever, and synchronously), a device never ends, and a folder named like an image
 * fails inside read() with an error that does not name it.
 */
function requireRegularFile(file: string, path: string): void {
  let kind: string
  try {
    const st = statSync(path)
    if (st.isFile()) return
    kind = st.isDirectory()
      ? 'a folder'
      : st.isFIFO()
        ? 'a named pipe (FIFO)'
        : st.isSocket()
          ? 'a socket'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : 'not a regular file'
  } catch (err) {
    throw new NiftiError(file, `cannot open ${path === file ? 'the file' : path}: ${(err as Error).message}`, { cause: err })
  }
  throw new NiftiError(file, `${path === file ? 'this' : path} is ${kind}, not an image file`)
}

/**
 * First bytes of the (decompressed) header file, enough for a NIfTI-2 header, and for gzip
 * files the whole compressed file (the data reader reuses it instead of reading it again).
 */
function readHeaderBytes(file: string, headerFile: string): { bytes: Buffer; compressed?: Buffer } {
  const want = HEADER_BYTES[2] + 4
  requireRegularFile(file, headerFile)
  let fd: number
  try {
    fd = openSync(headerFile, 'r')
  } catch (err) {
    throw new NiftiError(file, `cannot open ${headerFile === file ? 'the file' : headerFile}: ${(err as Error).message}`, { cause: err })
  }
  let head: Buffer
  try {
    head = Buffer.alloc(want)
    head = head.subarray(0, readSync(fd, head, 0, want, 0))
  } finally {
    closeSync(fd)
  }
  if (!isGzip(head)) return { bytes: head }
  const compressed = readWhole(file, 'the file', headerFile)
  try {
    // Z_SYNC_FLUSH: return what the first bytes decompress to, without requiring the stream end.
    const bytes = gunzipSync(compressed.subarray(0, HEADER_GZIP_INPUT), { finishFlush: zlibConstants.Z_SYNC_FLUSH })
    return { bytes: bytes.subarray(0, want), compressed }
  } catch (err) {
    throw new NiftiError(file, `gzip data is corrupt (${(err as Error).message})`, { cause: err })
  }
}

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n} bytes`
}

/** Reads the NIfTI-1 sform rows directly (nifti-reader-js replaces them by the qform when
 *  qform_code >= sform_code, which is not what nibabel does). */
function nifti1Sform(bytes: Buffer, little: boolean): Affine {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const rows: Affine = []
  for (let r = 0; r < 3; r++) {
    rows.push([0, 1, 2, 3].map((c) => dv.getFloat32(280 + (r * 4 + c) * 4, little)))
  }
  rows.push([0, 0, 0, 1])
  return rows
}

/** A parsed header plus, for gzipped single files, the compressed bytes already read. */
export interface LoadedHeader {
  info: NiftiHeaderInfo
  /** The compressed image file when it was read to get the header (same file, gzip). */
  compressed?: Buffer
}

/** readNiftiHeader, also handing back the compressed bytes for the data reader. */
export function loadNiftiHeader(file: string, opts: { maxBytes?: number } = {}): LoadedHeader {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  const { headerFile, imageFile: pairedImage } = locateFiles(file)
  const { bytes, compressed } = readHeaderBytes(file, headerFile)
  const info = parseHeader(file, headerFile, pairedImage, bytes, compressed, maxBytes)
  return { info, compressed: info.imageFile === headerFile ? compressed : undefined }
}

/**
 * Parses and validates the header of a NIfTI-1 or NIfTI-2 image (.nii, .nii.gz, .hdr/.img
 * pairs, gzipped or not) without reading the voxel data (for .gz only the first bytes are
 * decompressed). `maxBytes` bounds the memory the image would need once read.
 * @throws NiftiError naming the file and the problem.
 */
export async function readNiftiHeader(file: string, opts: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<NiftiHeaderInfo> {
  opts.signal?.throwIfAborted()
  await niftiLibrary()
  return loadNiftiHeader(file, opts).info
}

/** A header as nifti-reader-js parsed it. */
type ParsedHeader = InstanceType<(typeof import('nifti-reader-js'))['NIFTI1']> | InstanceType<(typeof import('nifti-reader-js'))['NIFTI2']>

/** The NIfTI version from sizeof_hdr (either byte order), and its fixed header size. */
function detectVersion(file: string, bytes: Buffer): { version: 1 | 2; size: number } {
  if (bytes.length < 4) throw new NiftiError(file, `file is ${bytes.length} bytes long, too short for a NIfTI header`)
  const little1 = bytes.readInt32LE(0)
  const big1 = bytes.readInt32BE(0)
  const version: 1 | 2 | null = little1 === 348 || big1 === 348 ? 1 : little1 === 540 || big1 === 540 ? 2 : null
  if (!version) {
    throw new NiftiError(file, `not a NIfTI file: sizeof_hdr is ${little1}, expected 348 (NIfTI-1) or 540 (NIfTI-2)`)
  }
  const size = HEADER_BYTES[version]
  if (bytes.length < size) {
    throw new NiftiError(file, `truncated header: ${bytes.length} bytes, a NIfTI-${version} header has ${size}`)
  }
  return { version, size }
}

/** The magic checked and the fixed header parsed by nifti-reader-js; `fixed` is the header's
 *  bytes alone (the parser never walks extension data). */
function parseFixedHeader(file: string, bytes: Buffer, version: 1 | 2, size: number): { hdr: ParsedHeader; fixed: ArrayBuffer } {
  const fixed = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + size) as ArrayBuffer
  if (!loadedLibrary) throw new Error('parseHeader: nifti-reader-js is not loaded yet (call readNiftiHeader or ensureNiftiLibrary first)')
  const { NIFTI1, NIFTI2, isNIFTI1, isNIFTI2 } = loadedLibrary
  const isV = version === 1 ? isNIFTI1 : isNIFTI2
  if (!isV(fixed, true)) {
    const magic = bytes.toString('latin1', version === 1 ? 344 : 4, version === 1 ? 347 : 7).replace(/[^\x20-\x7e]/g, '?')
    const what = version === 1 && magic === '???' ? ' (an Analyze 7.5 header? only NIfTI is supported)' : ''
    throw new NiftiError(file, `bad magic '${magic}': expected 'n+${version}' or 'ni${version}'${what}`)
  }
  const hdr = version === 1 ? new NIFTI1() : new NIFTI2()
  try {
    hdr.readHeader(fixed)
  } catch (err) {
    throw new NiftiError(file, `unreadable header (${(err as Error).message})`, { cause: err })
  }
  return { hdr, fixed }
}

/** The file holding the voxel data: the header file itself, or for 'ni1'/'ni2' magic the .img
 *  found beside it. `pair` tells which. */
function dataFileOf(file: string, bytes: Buffer, version: 1 | 2, headerFile: string, pairedImage: string | null): { imageFile: string; pair: boolean } {
  const pair = bytes[(version === 1 ? 344 : 4) + 1] === 0x69 // 'ni1' / 'ni2': data in a separate .img
  const imageFile = pair ? (pairedImage && pairedImage !== headerFile ? pairedImage : null) : headerFile
  if (!imageFile) {
    throw new NiftiError(file, `the header says the voxel data is in a separate .img file, and none was found beside it`)
  }
  return { imageFile, pair }
}

/** Dimensions: dim[0] in 1..7, each used dim a positive integer. */
function checkedDims(file: string, hdr: ParsedHeader): { ndim: number; originalDims: number[]; dims: Vec3; frames: number } {
  const ndim = hdr.dims[0]
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) {
    throw new NiftiError(file, `dim[0] is ${ndim}, must be between 1 and 7 (corrupt header or wrong byte order)`)
  }
  const originalDims = hdr.dims.slice(1, ndim + 1)
  originalDims.forEach((d, i) => {
    if (!Number.isSafeInteger(d) || d < 1) throw new NiftiError(file, `dim[${i + 1}] is ${d}, must be a positive integer`)
  })
  const dims: Vec3 = [originalDims[0] ?? 1, originalDims[1] ?? 1, originalDims[2] ?? 1]
  const frames = originalDims.slice(3).reduce((a, b) => a * b, 1)
  return { ndim, originalDims, dims, frames }
}

/** Bytes of voxel data, checked against `maxBytes` (and so is the Float32 result). */
function checkedDataBytes(file: string, dims: Vec3, frames: number, dimsText: string, dt: NiftiDatatype, maxBytes: number): number {
  const voxelsPerFrame = dims[0] * dims[1] * dims[2]
  const dataBytes = voxelsPerFrame * frames * dt.bytes
  const outBytes = voxelsPerFrame * 4 * (frames > 1 ? 2 : 1) // result plus, for 4-D, a frame buffer
  if (!Number.isSafeInteger(dataBytes) || dataBytes > maxBytes || outBytes > maxBytes) {
    throw new NiftiError(
      file,
      `image too large: dims ${dimsText} of ${dt.name} need ${fmtBytes(Math.max(dataBytes, outBytes))}, more than the limit of ${fmtBytes(maxBytes)}`
    )
  }
  return dataBytes
}

/** Voxel offset: inside the single file after the header, or anywhere in a separate .img. */
function checkedVoxOffset(file: string, hdr: ParsedHeader, pair: boolean, size: number): number {
  let voxOffset = Number(hdr.vox_offset)
  if (!Number.isFinite(voxOffset) || voxOffset < 0 || !Number.isInteger(voxOffset)) {
    throw new NiftiError(file, `vox_offset is ${hdr.vox_offset}, must be a non-negative whole number of bytes`)
  }
  if (!pair && voxOffset === 0) voxOffset = size + 4 // old writers left it 0; nibabel does the same
  if (!pair && voxOffset < size) {
    throw new NiftiError(file, `vox_offset is ${voxOffset}, inside the ${size}-byte header`)
  }
  return voxOffset
}

/** Voxel sizes: pixdim[1..3] must be positive and finite for the image to have a geometry. */
function checkedSpacing(file: string, hdr: ParsedHeader, ndim: number): { zooms: number[]; spacing: Vec3 } {
  const zooms = hdr.pixDims.slice(1, ndim + 1).map(Number)
  const spacing = [0, 1, 2].map((i) => (i < ndim ? Math.abs(zooms[i]) : 1)) as Vec3
  if (spacing.some((s) => !Number.isFinite(s) || s === 0)) {
    throw new NiftiError(file, `voxel sizes pixdim[1..3] are ${spacing.join(', ')}: each must be a positive finite number of mm`)
  }
  return { zooms, spacing }
}

/** Scaling: slope 0 or NaN means none; otherwise both must be finite. */
function checkedScaling(file: string, hdr: ParsedHeader): [number, number] {
  const scl: [number, number] = [hdr.scl_slope, hdr.scl_inter]
  if (scl[0] === 0 || Number.isNaN(scl[0])) return [1, 0]
  if (!Number.isFinite(scl[0]) || !Number.isFinite(scl[1])) {
    throw new NiftiError(file, `scl_slope ${hdr.scl_slope} and scl_inter ${hdr.scl_inter} are not finite numbers`)
  }
  return scl
}

/** The affine nibabel chooses: sform, else qform, else the base affine; checked usable. */
function chosenAffine(
  file: string,
  hdr: ParsedHeader,
  version: 1 | 2,
  fixed: ArrayBuffer,
  dims: Vec3,
  spacing: Vec3
): { affine: Affine; affineSource: NiftiHeaderInfo['affineSource'] } {
  let affine: Affine
  let affineSource: NiftiHeaderInfo['affineSource']
  if (hdr.sform_code > 0) {
    affineSource = 'sform'
    affine = version === 1 ? nifti1Sform(Buffer.from(fixed), hdr.littleEndian) : hdr.affine.map((r) => r.map(Number))
  } else if (hdr.qform_code > 0) {
    affineSource = 'qform'
    const qfac = hdr.pixDims[0] < 0 ? -1 : 1
    const q = qformAffine({ b: hdr.quatern_b, c: hdr.quatern_c, d: hdr.quatern_d }, [hdr.qoffset_x, hdr.qoffset_y, hdr.qoffset_z], spacing, qfac)
    if (!q) {
      throw new NiftiError(file, `qform quaternion (b, c, d) = (${hdr.quatern_b}, ${hdr.quatern_c}, ${hdr.quatern_d}) has b^2 + c^2 + d^2 > 1`)
    }
    affine = q
  } else {
    affineSource = 'base'
    affine = baseAffine(dims, spacing)
  }
  if (!isUsableAffine(affine)) {
    throw new NiftiError(file, `the ${affineSource} affine is singular or not finite: ${JSON.stringify(affine)}`)
  }
  return { affine, affineSource }
}

/** What the data file must hold, checked before any allocation; returns whether it is gzipped.
 *  Gzipped data is checked while decompressing, since its size is only known then. */
function checkDataFile(
  file: string,
  headerFile: string,
  imageFile: string,
  compressed: Buffer | undefined,
  layout: { pair: boolean; voxOffset: number; dataBytes: number; dimsText: string; datatype: NiftiDatatypeName }
): boolean {
  const { pair, voxOffset, dataBytes, dimsText, datatype } = layout
  let imageGzipped = compressed !== undefined && imageFile === headerFile
  if (imageFile === headerFile && imageGzipped) return true
  let size: number
  requireRegularFile(file, imageFile)
  try {
    const fd = openSync(imageFile, 'r')
    try {
      size = fstatSync(fd).size
      const magic = Buffer.alloc(2)
      imageGzipped = readSync(fd, magic, 0, 2, 0) === 2 && isGzip(magic)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    throw new NiftiError(file, `cannot read the image data file ${imageFile}: ${(err as Error).message}`, { cause: err })
  }
  if (!imageGzipped) {
    if (voxOffset > size) {
      throw new NiftiError(file, `vox_offset ${voxOffset} is past the end of the ${size}-byte ${pair ? 'image ' : ''}file`)
    }
    if (voxOffset + dataBytes > size) {
      throw new NiftiError(file, `data is ${size - voxOffset} bytes but dims ${dimsText} of ${datatype} need ${dataBytes} (truncated file?)`)
    }
  }
  return imageGzipped
}

/** The header checked field by field, in this order (the first problem found is the one reported). */
function parseHeader(
  file: string,
  headerFile: string,
  pairedImage: string | null,
  bytes: Buffer,
  compressed: Buffer | undefined,
  maxBytes: number
): NiftiHeaderInfo {
  const { version, size } = detectVersion(file, bytes)
  const { hdr, fixed } = parseFixedHeader(file, bytes, version, size)
  const { imageFile, pair } = dataFileOf(file, bytes, version, headerFile, pairedImage)
  const { ndim, originalDims, dims, frames } = checkedDims(file, hdr)
  const dimsText = originalDims.join('x')
  const dt: NiftiDatatype | string = datatypeForCode(hdr.datatypeCode)
  if (typeof dt === 'string') throw new NiftiError(file, dt)
  const dataBytes = checkedDataBytes(file, dims, frames, dimsText, dt, maxBytes)
  const voxOffset = checkedVoxOffset(file, hdr, pair, size)
  const { zooms, spacing } = checkedSpacing(file, hdr, ndim)
  const scl = checkedScaling(file, hdr)
  const { affine, affineSource } = chosenAffine(file, hdr, version, fixed, dims, spacing)
  const imageGzipped = checkDataFile(file, headerFile, imageFile, compressed, { pair, voxOffset, dataBytes, dimsText, datatype: dt.name })
  return {
    file,
    imageFile,
    version,
    imageGzipped,
    datatype: dt.name,
    datatypeCode: dt.code,
    byteOrder: hdr.littleEndian ? 'little' : 'big',
    originalDims,
    zooms,
    dims,
    frames,
    spacing,
    scl,
    qformCode: hdr.qform_code,
    sformCode: hdr.sform_code,
    affine,
    affineSource,
    orientation: orientationCode(affine),
    voxOffset,
    dataBytes,
    description: hdr.description.replace(/\0.*$/s, '')
  }
}
