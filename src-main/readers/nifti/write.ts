/**
 * Writing volumes as NIfTI-1 single files (.nii or .nii.gz) that nibabel, SPM, FSL and
 * ITK-SNAP read the same way: sform and qform both set from the affine, data as float32, or as
 * int16 / uint8 with scl_slope and scl_inter chosen to cover the data range. Writes are atomic
 * (temp file in the same folder, fsync, rename), so a crash never leaves half a file.
 */
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { endianness } from 'node:os'
import { writeFileAtomic as writeBytesAtomic } from '../../files/atomic'
import { NiftiError } from './errors'
import { datatypeByName } from './datatypes'
import { affineToQform, isUsableAffine } from '../../volume/affine'
import type { Volume } from '../../volume/types'

const gzip = promisify(gzipCallback)
const HEADER_BYTES = 348
const hostLittle = endianness() === 'LE'
/** Header plus the 4-byte extension flag: where the voxel data starts. */
const VOX_OFFSET = 352

/** NIfTI xform codes: 1 scanner, 2 aligned anatomical, 3 Talairach, 4 MNI152, 5 other template. */
export type XformCode = 0 | 1 | 2 | 3 | 4 | 5

export interface NiftiWriteOptions {
  /** Stored type (default float32). Integer types get scl_slope / scl_inter. */
  datatype?: 'float32' | 'int16' | 'uint8'
  /** Gzip the file (default: when the name ends in .gz). */
  gzip?: boolean
  /** Up to 79 ASCII characters kept in the header's descrip field. */
  description?: string
  /** Code stored for both sform and qform (default 2, aligned anatomical; 4 for MNI152). */
  xformCode?: XformCode
}

/** Chooses slope and intercept so that [min, max] maps into the integer range [lo, hi]. */
function integerScaling(data: Float32Array, lo: number, hi: number): [number, number] {
  let min = Infinity
  let max = -Infinity
  let integral = true
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v < min) min = v
    if (v > max) max = v
    if (integral && v !== Math.round(v)) integral = false
  }
  if (data.length === 0 || (integral && min >= lo && max <= hi)) return [1, 0]
  if (max === min) return [1, min]
  const slope = (max - min) / (hi - lo)
  return [slope, min - lo * slope]
}

/** Encodes the voxel data (little-endian) and returns it with the scaling used. */
function encodeData(file: string, vol: Volume, datatype: 'float32' | 'int16' | 'uint8'): { bytes: Buffer; scl: [number, number] } {
  const dt = datatypeByName(datatype)
  const n = vol.data.length
  const bytes = Buffer.alloc(n * dt.bytes)
  if (datatype === 'float32') {
    new Float32Array(bytes.buffer, bytes.byteOffset, n).set(vol.data)
    if (!hostLittle) bytes.swap32()
    return { bytes, scl: [1, 0] }
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(vol.data[i])) {
      throw new NiftiError(file, `voxel ${i} is ${vol.data[i]}: ${datatype} cannot store NaN or infinity, write float32 instead`)
    }
  }
  const [lo, hi] = dt.range!
  const [slope, inter] = integerScaling(vol.data, lo, hi)
  const out = new dt.array(n)
  for (let i = 0; i < n; i++) {
    const q = Math.round((vol.data[i] - inter) / slope)
    out[i] = q < lo ? lo : q > hi ? hi : q
  }
  const view = Buffer.from(out.buffer, out.byteOffset, out.byteLength)
  view.copy(bytes)
  if (dt.bytes === 2 && !hostLittle) bytes.swap16()
  return { bytes, scl: [slope, inter] }
}

/** Builds the 352-byte NIfTI-1 header (little-endian) plus empty extension flag. */
function encodeHeader(vol: Volume, datatype: 'float32' | 'int16' | 'uint8', scl: [number, number], opts: NiftiWriteOptions): Buffer {
  const dt = datatypeByName(datatype)
  const h = Buffer.alloc(VOX_OFFSET)
  const code = opts.xformCode ?? 2
  const q = affineToQform(vol.affine)
  h.writeInt32LE(HEADER_BYTES, 0)
  h.write('r', 38, 'latin1') // "regular", as other writers set it
  h.writeInt16LE(3, 40)
  vol.dims.forEach((d, i) => h.writeInt16LE(d, 42 + 2 * i))
  for (let i = 4; i < 8; i++) h.writeInt16LE(1, 40 + 2 * i)
  h.writeInt16LE(dt.code, 70)
  h.writeInt16LE(dt.bytes * 8, 72)
  h.writeFloatLE(q.qfac, 76)
  q.pixdim.forEach((p, i) => h.writeFloatLE(p, 80 + 4 * i))
  for (let i = 4; i < 8; i++) h.writeFloatLE(1, 76 + 4 * i)
  h.writeFloatLE(VOX_OFFSET, 108)
  h.writeFloatLE(scl[0], 112)
  h.writeFloatLE(scl[1], 116)
  h.writeUInt8(2 | 8, 123) // mm and seconds
  const description = (opts.description ?? 'TCGM Lab').replace(/[^\x20-\x7e]/g, '?').slice(0, 79)
  h.write(description, 148, 'latin1')
  h.writeInt16LE(code, 252)
  h.writeInt16LE(code, 254)
  h.writeFloatLE(q.b, 256)
  h.writeFloatLE(q.c, 260)
  h.writeFloatLE(q.d, 264)
  q.offset.forEach((o, i) => h.writeFloatLE(o, 268 + 4 * i))
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) h.writeFloatLE(vol.affine[r][c], 280 + 16 * r + 4 * c)
  h.write('n+1\0', 344, 'latin1')
  return h
}

/**
 * Writes `bytes` to `file` atomically (files/atomic.ts).
 * @throws NiftiError naming the file when the folder cannot be written (read-only, full disk).
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeBytesAtomic(file, bytes)
  } catch (err) {
    throw new NiftiError(file, `cannot write: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Writes a 3-D volume as a NIfTI-1 file (.nii, or gzipped .nii.gz). Reading it back gives the
 * same affine (to float32 precision) and the same data (exactly for float32; within
 * scl_slope / 2 for int16 and uint8).
 * @throws NiftiError for data that cannot be stored (NaN in an integer type) or a failed write.
 */
export async function writeNifti(file: string, vol: Volume, opts: NiftiWriteOptions = {}): Promise<void> {
  const [nx, ny, nz] = vol.dims
  if (vol.dims.some((d) => !Number.isInteger(d) || d < 1 || d > 32767)) {
    throw new NiftiError(file, `writeNifti: dims ${vol.dims.join('x')} must be whole numbers in 1..32767`)
  }
  if (vol.data.length !== nx * ny * nz) {
    throw new NiftiError(file, `writeNifti: data has ${vol.data.length} values, dims ${vol.dims.join('x')} need ${nx * ny * nz}`)
  }
  if (!isUsableAffine(vol.affine)) throw new NiftiError(file, 'writeNifti: the affine is singular or not finite')
  const datatype = opts.datatype ?? 'float32'
  const { bytes, scl } = encodeData(file, vol, datatype)
  const whole = Buffer.concat([encodeHeader(vol, datatype, scl, opts), bytes])
  const zip = opts.gzip ?? file.toLowerCase().endsWith('.gz')
  await writeFileAtomic(file, zip ? await gzip(whole) : whole)
}
