/**
 * `info FILE [--json]`: what nibabel would say about a NIfTI file (shape, voxel sizes, stored
 * type, byte order, scaling, xform codes, the affine it chooses, orientation) plus min, max and
 * mean of the scaled data over all frames (finite voxels), and how many voxels are NaN or +-Inf.
 */
import { parseArgs } from 'node:util'
import { readNiftiFrames } from '../readers/nifti/read'
import { isNiftiError } from '../readers/nifti/errors'

export const summary = 'describe a NIfTI file (header, affine, orientation, value range); --json for machines'

export interface NiftiInfo {
  shape: number[]
  zooms: number[]
  datatype: string
  byteOrder: 'little' | 'big'
  scl: [number, number]
  qformCode: number
  sformCode: number
  affine: number[][]
  orientation: string
  /** Over the finite voxels only (null in JSON when none is finite). */
  min: number
  max: number
  mean: number
  /** NaN or +-Inf voxels after scaling (e.g. scl_slope 1e38 overflowing float32). */
  nonFinite: number
}

/** Header facts and value statistics (finite voxels only) of a NIfTI file. */
export async function niftiInfo(file: string): Promise<NiftiInfo> {
  const { info, data } = await readNiftiFrames(file)
  let min = Infinity
  let max = -Infinity
  let sum = 0
  let n = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v - v !== 0) continue
    if (v < min) min = v
    if (v > max) max = v
    sum += v
    n++
  }
  return {
    shape: info.originalDims,
    zooms: info.zooms,
    datatype: info.datatype,
    byteOrder: info.byteOrder,
    scl: info.scl,
    qformCode: info.qformCode,
    sformCode: info.sformCode,
    affine: info.affine,
    orientation: info.orientation,
    min: n ? min : NaN,
    max: n ? max : NaN,
    mean: n ? sum / n : NaN,
    nonFinite: data.length - n
  }
}

export async function run(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (err) {
    process.stderr.write(`info: ${(err as Error).message}\nusage: npm run cli -- info FILE [--json]\n`)
    return 2
  }
  if (parsed.values.help || parsed.positionals.length !== 1) {
    process.stderr.write('usage: npm run cli -- info FILE [--json]\n')
    return parsed.values.help ? 0 : 2
  }
  const file = parsed.positionals[0]
  try {
    const facts = await niftiInfo(file)
    if (parsed.values.json) {
      process.stdout.write(JSON.stringify(facts, null, 1) + '\n')
    } else {
      const rows: Array<[string, string]> = [
        ['shape', facts.shape.join(' x ')],
        ['voxel sizes', facts.zooms.map((z) => +z.toPrecision(6)).join(' x ')],
        ['datatype', `${facts.datatype} (${facts.byteOrder}-endian)`],
        ['scaling', `slope ${facts.scl[0]}, intercept ${facts.scl[1]}`],
        ['qform / sform code', `${facts.qformCode} / ${facts.sformCode}`],
        ['orientation', facts.orientation],
        ['affine', facts.affine.map((r) => r.map((v) => (+v.toPrecision(6)).toString().padStart(10)).join(' ')).join('\n' + ' '.repeat(20))],
        ['min / max / mean', `${facts.min} / ${facts.max} / ${+facts.mean.toPrecision(6)}`],
        ['NaN / Inf voxels', String(facts.nonFinite)]
      ]
      process.stdout.write(`${file}\n` + rows.map(([k, v]) => `  ${k.padEnd(20)}${v}`).join('\n') + '\n')
    }
    return 0
  } catch (err) {
    if (!isNiftiError(err)) throw err
    process.stderr.write(`error: ${err.message}\n`)
    return 1
  }
}
