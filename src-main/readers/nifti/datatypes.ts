/**
 * NIfTI datatype codes (nifti1.h, `datatype` field) and how this project reads each of them.
 * Real-valued scalar types are supported; complex, RGB and 128-bit types are refused with a
 * message that says why.
 */
export type NiftiDatatypeName = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64'

type TypedArrayCtor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor

export interface NiftiDatatype {
  code: number
  name: NiftiDatatypeName
  /** Bytes per voxel. */
  bytes: 1 | 2 | 4 | 8
  array: TypedArrayCtor
  /** Integer types have a finite range, used by the writer when choosing scl_slope/scl_inter. */
  range?: [number, number]
}

const supported: NiftiDatatype[] = [
  { code: 2, name: 'uint8', bytes: 1, array: Uint8Array, range: [0, 255] },
  { code: 256, name: 'int8', bytes: 1, array: Int8Array, range: [-128, 127] },
  { code: 4, name: 'int16', bytes: 2, array: Int16Array, range: [-32768, 32767] },
  { code: 512, name: 'uint16', bytes: 2, array: Uint16Array, range: [0, 65535] },
  { code: 8, name: 'int32', bytes: 4, array: Int32Array, range: [-2147483648, 2147483647] },
  { code: 768, name: 'uint32', bytes: 4, array: Uint32Array, range: [0, 4294967295] },
  { code: 16, name: 'float32', bytes: 4, array: Float32Array },
  { code: 64, name: 'float64', bytes: 8, array: Float64Array }
]

/** Known but unsupported codes, with the reason given to the user. */
const refused: Record<number, string> = {
  1: 'binary (1 bit per voxel)',
  32: 'complex64',
  128: 'RGB24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'RGBA32'
}

const byCode = new Map(supported.map((d) => [d.code, d]))
const byName = new Map(supported.map((d) => [d.name, d]))

/**
 * The datatype for a header code, or a sentence saying why it cannot be read.
 */
export function datatypeForCode(code: number): NiftiDatatype | string {
  const dt = byCode.get(code)
  if (dt) return dt
  const what = refused[code]
  if (what)
    return `datatype ${code} (${what}) is not supported: only real-valued scalar images (uint8, int8, int16, uint16, int32, uint32, float32, float64) can be used`
  return `unknown datatype code ${code}`
}

export function datatypeByName(name: NiftiDatatypeName): NiftiDatatype {
  const dt = byName.get(name)
  if (!dt) throw new Error(`datatypeByName: unknown datatype '${name}'`)
  return dt
}
