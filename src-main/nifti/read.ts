/**
 * Reading NIfTI images into scaled Float32 volumes. The header is checked first (header.ts),
 * then exactly the bytes the header promises are read or decompressed (never more), byte-swapped
 * when the file is big-endian, converted and scaled in one pass.
 */
import { open, readFile } from 'node:fs/promises'
import { endianness } from 'node:os'
import { NiftiError } from './errors'
import { datatypeByName } from './datatypes'
import { DEFAULT_MAX_BYTES, readNiftiHeader, type NiftiHeaderInfo } from './header'
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

/** Reads the raw voxel bytes [voxOffset, voxOffset + dataBytes) into a fresh, aligned buffer. */
async function readRawData(info: NiftiHeaderInfo, signal?: AbortSignal): Promise<Buffer> {
  const { file, imageFile, voxOffset, dataBytes } = info
  // A fresh ArrayBuffer starts at offset 0, so typed views on it are always aligned.
  const target = Buffer.from(new ArrayBuffer(dataBytes))
  if (info.imageGzipped) {
    const compressed = await readFile(imageFile, { signal })
    let filled: number
    try {
      ;({ filled } = await inflateRange(compressed, voxOffset, dataBytes, { signal, target }))
    } catch (err) {
      if (signal?.aborted) throw err
      throw new NiftiError(file, `gzip data is corrupt (${(err as Error).message})`, { cause: err })
    }
    if (filled < dataBytes) {
      const dimsText = info.originalDims.join('x')
      throw new NiftiError(
        file,
        filled === 0
          ? `vox_offset ${voxOffset} is past the end of the decompressed data`
          : `data is ${filled} bytes but dims ${dimsText} of ${info.datatype} need ${dataBytes} (truncated file?)`
      )
    }
    return target
  }
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

/**
 * Converts stored values to scaled Float32 (v * slope + inter), in place of a new array.
 * Native-endian typed views, no per-voxel DataView calls.
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
  if (src instanceof Float32Array) {
    if (slope === 1 && inter === 0) return src // zero copy
    for (let i = 0; i < n; i++) src[i] = src[i] * slope + inter
    return src
  }
  const out = new Float32Array(n)
  if (slope === 1 && inter === 0) out.set(src)
  else for (let i = 0; i < n; i++) out[i] = src[i] * slope + inter
  return out
}

/**
 * Reads every frame of a NIfTI image, scaled, as Float32 (used by `info`, which reports
 * statistics over the whole 4-D data as nibabel does).
 * @throws NiftiError naming the file and the problem.
 */
export async function readNiftiFrames(file: string, opts: Omit<NiftiReadOptions, 'frame'> = {}): Promise<NiftiFrames> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  const info = await readNiftiHeader(file, { maxBytes, signal: opts.signal })
  if (info.frames * info.dims[0] * info.dims[1] * info.dims[2] * 4 > maxBytes) {
    throw new NiftiError(file, `all ${info.frames} frames as float32 exceed the memory limit of ${maxBytes} bytes`)
  }
  const raw = await readRawData(info, opts.signal)
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
  const info = await readNiftiHeader(file, { maxBytes, signal: opts.signal })
  const frame = opts.frame ?? 'mean'
  if (frame !== 'mean' && !(Number.isInteger(frame) && frame >= 0 && frame < info.frames)) {
    throw new NiftiError(file, `frame ${frame} requested, the image has frames 0..${info.frames - 1}`)
  }
  const raw = await readRawData(info, opts.signal)
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
