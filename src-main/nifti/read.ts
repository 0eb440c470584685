/**
 * Reading NIfTI images into scaled Float32 volumes. The header is checked first (header.ts),
 * then exactly the bytes the header promises are read or decompressed (never more), byte-swapped
 * when the file is big-endian, converted and scaled in one pass.
 */
import { open, readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { endianness } from 'node:os'
import { NiftiError } from './errors'
import { datatypeByName } from './datatypes'
import { DEFAULT_MAX_BYTES, loadNiftiHeader, niftiLibrary, type NiftiHeaderInfo } from './header'
import { inflateRange } from './gunzip'
import type { Volume } from './types'

export { readNiftiHeader, DEFAULT_MAX_BYTES, type NiftiHeaderInfo } from './header'

const hostLittle = endianness() === 'LE'

export interface NiftiReadOptions {
  /** Upper bound, in bytes, on the raw data and on the Float32 result (default 1 GiB). */
  maxBytes?: number
  /** For 4-D images: a 0-based frame index, or 'mean' (default) to average all frames. */
  frame?: number | 'mean'
  signal?: AbortSignal
}

/** What the reader learned from the header, kept with the image. */
export interface NiftiImageHeader {
  version: 1 | 2
  datatype: string
  byteOrder: 'little' | 'big'
  /** [slope, intercept] applied to the stored values ([1, 0] when the file has no scaling). */
  scl: [number, number]
  qformCode: number
  sformCode: number
  /** e.g. 'LAS': where voxel axes i, j, k point. */
  orientation: string
  /** dim[1..dim[0]] as stored, including the 4th (time / frame) dimension. */
  originalDims: number[]
  /** pixdim[1..dim[0]] as stored. */
  zooms: number[]
  /** Which transform the affine came from. */
  affineSource: 'sform' | 'qform' | 'base'
  /** NaN or +-Inf voxels in the returned data. */
  nonFiniteCount: number
  /** Which frames were used: 'mean of N', 'frame k of N' or 'single'. */
  frames: string
  description: string
  file: string
}

export interface NiftiImage extends Volume {
  header: NiftiImageHeader
}

/** All frames of an image, scaled, frame after frame (frame t starts at t * nx * ny * nz). */
export interface NiftiFrames {
  info: NiftiHeaderInfo
  data: Float32Array
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted')
}

/** Below this many decompressed bytes, gzip data is inflated synchronously in one call (a few
 *  milliseconds); above it, in a stream on the thread pool so the event loop stays free. */
const SYNC_GUNZIP_MAX = 8 << 20

function shortDataError(info: NiftiHeaderInfo, filled: number): NiftiError {
  return new NiftiError(
    info.file,
    filled <= 0
      ? `vox_offset ${info.voxOffset} is past the end of the decompressed data`
      : `data is ${filled} bytes but dims ${info.originalDims.join('x')} of ${info.datatype} need ${info.dataBytes} (truncated file?)`
  )
}

/** Small gzip files: one synchronous inflate, bounded to the bytes the header asks for. Returns
 *  null when the stream holds more than that (trailing data), for the streaming path. */
function gunzipSmall(info: NiftiHeaderInfo, compressed: Buffer): Buffer | null {
  const need = info.voxOffset + info.dataBytes
  let all: Buffer
  try {
    all = gunzipSync(compressed, { maxOutputLength: Math.max(need, 1) })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null
    throw new NiftiError(info.file, `gzip data is corrupt (${(err as Error).message})`, { cause: err })
  }
  if (all.length < need) throw shortDataError(info, all.length - info.voxOffset)
  // Copy into a fresh buffer so typed views are aligned whatever vox_offset is.
  const target = Buffer.from(new ArrayBuffer(info.dataBytes))
  all.copy(target, 0, info.voxOffset, need)
  return target
}

/** Reads the raw voxel bytes [voxOffset, voxOffset + dataBytes) into a fresh, aligned buffer. */
async function readRawData(info: NiftiHeaderInfo, compressedAlready?: Buffer, signal?: AbortSignal): Promise<Buffer> {
  const { file, imageFile, voxOffset, dataBytes } = info
  if (info.imageGzipped) {
    const compressed = compressedAlready ?? (await readFile(imageFile, { signal }))
    if (dataBytes <= SYNC_GUNZIP_MAX) {
      const small = gunzipSmall(info, compressed)
      if (small) return small
    }
    // A fresh ArrayBuffer starts at offset 0, so typed views on it are always aligned.
    const target = Buffer.from(new ArrayBuffer(dataBytes))
    let filled: number
    try {
      ;({ filled } = await inflateRange(compressed, voxOffset, dataBytes, { signal, target }))
    } catch (err) {
      if (signal?.aborted) throw err
      throw new NiftiError(file, `gzip data is corrupt (${(err as Error).message})`, { cause: err })
    }
    if (filled < dataBytes) throw shortDataError(info, filled)
    return target
  }
  const target = Buffer.from(new ArrayBuffer(dataBytes))
  const fh = await open(imageFile, 'r')
  try {
    let got = 0
    while (got < dataBytes) {
      checkAborted(signal)
      const { bytesRead } = await fh.read(target, got, dataBytes - got, voxOffset + got)
      if (bytesRead === 0) {
        throw new NiftiError(file, `data ends after ${got} of ${dataBytes} bytes (file changed while reading?)`)
      }
      got += bytesRead
    }
  } finally {
    await fh.close()
  }
  return target
}

/** v * slope + inter from a 32-bit integer or float64 array (computed in float64, rounded once).
 *  Only these three kinds reach this loop, so V8's inline cache stays polymorphic, not
 *  megamorphic (a loop fed every typed-array kind runs several times slower). */
function scaleInto(src: Int32Array | Uint32Array | Float64Array, out: Float32Array, slope: number, inter: number): void {
  for (let i = 0; i < out.length; i++) out[i] = src[i] * slope + inter
}

/** In place: v * slope + inter on Float32 data. */
function scaleInPlace(data: Float32Array, slope: number, inter: number): void {
  for (let i = 0; i < data.length; i++) data[i] = data[i] * slope + inter
}

/**
 * Converts stored values to scaled Float32 (v * slope + inter), byte-swapping big-endian data
 * first. Native-endian typed views, no per-voxel DataView calls.
 */
function toScaledFloat32(info: NiftiHeaderInfo, raw: Buffer): Float32Array {
  const dt = datatypeByName(info.datatype)
  if ((info.byteOrder === 'little') !== hostLittle && dt.bytes > 1) {
    if (dt.bytes === 2) raw.swap16()
    else if (dt.bytes === 4) raw.swap32()
    else raw.swap64()
  }
  const n = raw.length / dt.bytes
  const src = new dt.array(raw.buffer as ArrayBuffer, raw.byteOffset, n)
  const [slope, inter] = info.scl
  const identity = slope === 1 && inter === 0
  if (src instanceof Float32Array) {
    if (!identity) scaleInPlace(src, slope, inter)
    return src // no copy
  }
  const out = new Float32Array(n)
  if (!identity && (src instanceof Int32Array || src instanceof Uint32Array || src instanceof Float64Array)) {
    scaleInto(src, out, slope, inter)
  } else {
    // 8- and 16-bit values are exact in float32: convert natively, then scale in float32.
    // (32-bit integers and float64 with identity scaling round once here too.)
    out.set(src)
    if (!identity) scaleInPlace(out, slope, inter)
  }
  return out
}

/**
 * Reads every frame of a NIfTI image, scaled, as Float32 (used by `info`, which reports
 * statistics over the whole 4-D data as nibabel does).
 * @throws NiftiError naming the file and the problem.
 */
export async function readNiftiFrames(file: string, opts: Omit<NiftiReadOptions, 'frame'> = {}): Promise<NiftiFrames> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  checkAborted(opts.signal)
  await niftiLibrary()
  const { info, compressed } = loadNiftiHeader(file, { maxBytes })
  if (info.frames * info.dims[0] * info.dims[1] * info.dims[2] * 4 > maxBytes) {
    throw new NiftiError(file, `all ${info.frames} frames as float32 exceed the memory limit of ${maxBytes} bytes`)
  }
  const raw = await readRawData(info, compressed, opts.signal)
  checkAborted(opts.signal)
  return { info, data: toScaledFloat32(info, raw) }
}

/** Number of NaN / +-Inf values. */
export function countNonFinite(data: Float32Array): number {
  let bad = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v - v !== 0) bad++ // NaN - NaN and Inf - Inf are NaN
  }
  return bad
}

/**
 * Reads a NIfTI-1 or NIfTI-2 image (.nii, .nii.gz, .hdr/.img) as a scaled 3-D Float32 volume
 * with the affine nibabel would choose. 4-D images are reduced to 3-D: the mean over frames by
 * default, or the 0-based `frame`.
 * @throws NiftiError naming the file and the problem (never a crash on malformed input).
 */
export async function readNifti(file: string, opts: NiftiReadOptions = {}): Promise<NiftiImage> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  checkAborted(opts.signal)
  await niftiLibrary()
  const { info, compressed } = loadNiftiHeader(file, { maxBytes })
  const frame = opts.frame ?? 'mean'
  if (frame !== 'mean' && !(Number.isInteger(frame) && frame >= 0 && frame < info.frames)) {
    throw new NiftiError(file, `frame ${frame} requested, the image has frames 0..${info.frames - 1}`)
  }
  const raw = await readRawData(info, compressed, opts.signal)
  checkAborted(opts.signal)
  const all = toScaledFloat32(info, raw)
  const nvox = info.dims[0] * info.dims[1] * info.dims[2]
  let data: Float32Array
  let frames: string
  if (info.frames === 1) {
    data = all
    frames = 'single'
  } else if (frame === 'mean') {
    // Accumulate in float64 so many frames do not lose precision.
    const acc = new Float64Array(nvox)
    for (let t = 0; t < info.frames; t++) {
      const off = t * nvox
      for (let v = 0; v < nvox; v++) acc[v] += all[off + v]
    }
    data = new Float32Array(nvox)
    for (let v = 0; v < nvox; v++) data[v] = acc[v] / info.frames
    frames = `mean of ${info.frames}`
  } else {
    data = all.slice(frame * nvox, (frame + 1) * nvox)
    frames = `frame ${frame} of ${info.frames}`
  }
  return {
    dims: info.dims,
    spacing: info.spacing,
    affine: info.affine,
    data,
    header: {
      version: info.version,
      datatype: info.datatype,
      byteOrder: info.byteOrder,
      scl: info.scl,
      qformCode: info.qformCode,
      sformCode: info.sformCode,
      orientation: info.orientation,
      originalDims: info.originalDims,
      zooms: info.zooms,
      affineSource: info.affineSource,
      nonFiniteCount: countNonFinite(data),
      frames,
      description: info.description,
      file
    }
  }
}
