/**
 * Reading NIfTI images into scaled Float32 volumes. The header is checked first (header.ts),
 * then exactly the bytes the header promises are read or decompressed (never more), byte-swapped
 * when the file is big-endian, converted and scaled with native-endian typed arrays.
 */
import { readFile } from 'node:fs/promises'
import { closeSync, openSync, readSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { endianness } from 'node:os'
import { NiftiError } from './errors'
import { datatypeByName } from './datatypes'
import { DEFAULT_MAX_BYTES, loadNiftiHeader, niftiLibrary, type NiftiHeaderInfo } from './header'
import { inflateRange } from './gunzip'
import type { Volume } from '../../volume/types'

export { readNiftiHeader, DEFAULT_MAX_BYTES, type NiftiHeaderInfo } from './header'

const hostLittle = endianness() === 'LE'
/** Largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38

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
    // One output chunk of the expected size: no chunk list to concatenate afterwards.
    all = gunzipSync(compressed, { maxOutputLength: Math.max(need, 1), chunkSize: Math.max(need + 1, 64) })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null
    throw new NiftiError(info.file, `gzip data is corrupt (${(err as Error).message})`, { cause: err })
  }
  if (all.length < need) throw shortDataError(info, all.length - info.voxOffset)
  // Copy into a fresh buffer so typed views are aligned whatever vox_offset is.
  const target = Buffer.allocUnsafeSlow(info.dataBytes)
  all.copy(target, 0, info.voxOffset, need)
  return target
}

/** Reads `length` bytes at `position` of an open file into `target`, or fails naming the file. */
function readFully(info: NiftiHeaderInfo, fd: number, target: Buffer, length: number, position: number): void {
  let got = 0
  while (got < length) {
    const n = readSync(fd, target, got, length - got, position + got)
    if (n === 0)
      throw new NiftiError(info.file, `data ends ${position + got - info.voxOffset} bytes in, ${info.dataBytes} expected (file changed while reading?)`)
    got += n
  }
}

/** Chunk size for uncompressed integer data: read, converted and scaled while still in the L2
 *  cache (256 KiB of int16 become 512 KiB of float32). */
const READ_CHUNK = 256 << 10

/** Raw gzipped voxel bytes [voxOffset, voxOffset + dataBytes) in a fresh, aligned buffer. */
async function inflateData(info: NiftiHeaderInfo, compressedAlready?: Buffer, signal?: AbortSignal): Promise<Buffer> {
  const compressed = compressedAlready ?? (await readFile(info.imageFile, { signal }))
  if (info.dataBytes <= SYNC_GUNZIP_MAX) {
    const small = gunzipSmall(info, compressed)
    if (small) return small
  }
  // allocUnsafeSlow: its own ArrayBuffer (offset 0, so typed views are aligned), not zeroed
  // because every byte is overwritten or the read fails.
  const target = Buffer.allocUnsafeSlow(info.dataBytes)
  let filled: number
  try {
    ;({ filled } = await inflateRange(compressed, info.voxOffset, info.dataBytes, { signal, target }))
  } catch (err) {
    if (signal?.aborted) throw err
    throw new NiftiError(info.file, `gzip data is corrupt (${(err as Error).message})`, { cause: err })
  }
  if (filled < info.dataBytes) throw shortDataError(info, filled)
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

/** Stored values in `bytes` (aligned, file byte order; swapped here in place) -> scaled float32
 *  written to out[at ...]. Float32 sources are handled in place by the callers instead. */
function convertInto(info: NiftiHeaderInfo, bytes: Buffer, out: Float32Array, at: number): void {
  const dt = datatypeByName(info.datatype)
  swapToHost(info, bytes)
  const n = bytes.length / dt.bytes
  const src = new dt.array(bytes.buffer as ArrayBuffer, bytes.byteOffset, n)
  const dst = out.subarray(at, at + n)
  const [slope, inter] = info.scl
  const identity = slope === 1 && inter === 0
  if (!identity && (src instanceof Int32Array || src instanceof Uint32Array || src instanceof Float64Array)) {
    scaleInto(src, dst, slope, inter)
  } else {
    // 8- and 16-bit values are exact in float32: convert natively, then scale in float32.
    // (32-bit integers and float64 with identity scaling round once here too.)
    dst.set(src)
    if (!identity) scaleInPlace(dst, slope, inter)
  }
}

function swapToHost(info: NiftiHeaderInfo, bytes: Buffer): void {
  const size = datatypeByName(info.datatype).bytes
  if ((info.byteOrder === 'little') === hostLittle || size === 1) return
  if (size === 2) bytes.swap16()
  else if (size === 4) bytes.swap32()
  else bytes.swap64()
}

/** Float32 voxels already in `raw` (aligned): swapped and scaled in place, no copy. */
function float32InPlace(info: NiftiHeaderInfo, raw: Buffer): Float32Array {
  swapToHost(info, raw)
  const data = new Float32Array(raw.buffer as ArrayBuffer, raw.byteOffset, raw.length / 4)
  const [slope, inter] = info.scl
  if (slope !== 1 || inter !== 0) scaleInPlace(data, slope, inter)
  return data
}

/** True when scaled values cannot be NaN or Inf: integer data whose scaled range fits float32. */
function finiteByConstruction(info: NiftiHeaderInfo): boolean {
  const { range } = datatypeByName(info.datatype)
  const [slope, inter] = info.scl
  return range !== undefined && Math.abs(slope) * Math.max(-range[0], range[1]) + Math.abs(inter) < FLOAT32_MAX
}

/**
 * All voxels as scaled float32 (every frame), read or decompressed exactly as far as the
 * header says. Uncompressed files are read with synchronous calls (from the page cache these
 * are memory copies, cheaper than a thread-pool round trip each), integer data in 256 KiB chunks
 * that are converted while in cache, yielding to the event loop every 4 MiB.
 */
async function decodeData(info: NiftiHeaderInfo, compressed?: Buffer, signal?: AbortSignal): Promise<Float32Array> {
  const dt = datatypeByName(info.datatype)
  if (info.imageGzipped) {
    const raw = await inflateData(info, compressed, signal)
    if (dt.name === 'float32') return float32InPlace(info, raw)
    const out = new Float32Array(info.dataBytes / dt.bytes)
    convertInto(info, raw, out, 0)
    return out
  }
  let fd: number
  try {
    fd = openSync(info.imageFile, 'r')
  } catch (err) {
    throw new NiftiError(info.file, `cannot open ${info.imageFile}: ${(err as Error).message}`, { cause: err })
  }
  try {
    if (dt.name === 'float32') {
      const raw = Buffer.allocUnsafeSlow(info.dataBytes)
      readFully(info, fd, raw, info.dataBytes, info.voxOffset)
      return float32InPlace(info, raw)
    }
    const out = new Float32Array(info.dataBytes / dt.bytes)
    const scratch = Buffer.allocUnsafeSlow(Math.min(READ_CHUNK, info.dataBytes))
    for (let pos = 0, chunk = 0; pos < info.dataBytes; pos += READ_CHUNK, chunk++) {
      if (chunk % 16 === 15) {
        await new Promise((resolve) => setImmediate(resolve))
        checkAborted(signal)
      }
      const len = Math.min(READ_CHUNK, info.dataBytes - pos)
      readFully(info, fd, scratch, len, info.voxOffset + pos)
      convertInto(info, scratch.subarray(0, len), out, pos / dt.bytes)
    }
    return out
  } finally {
    closeSync(fd)
  }
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
  const data = await decodeData(info, compressed, opts.signal)
  checkAborted(opts.signal)
  return { info, data }
}

/** Number of NaN / +-Inf values. */
export function countNonFinite(data: Float32Array): number {
  let bad = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (!(v > -Infinity && v < Infinity)) bad++ // NaN fails both comparisons
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
  const all = await decodeData(info, compressed, opts.signal)
  checkAborted(opts.signal)
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
      nonFiniteCount: finiteByConstruction(info) ? 0 : countNonFinite(data),
      frames,
      description: info.description,
      file
    }
  }
}
