/**
 * A volume as the viewer receives it (contract `VolumePayload`): grid, affine, Float32 data,
 * finite range, a robust display range and what the values mean.
 */
import { basename } from 'node:path'
import type { VolumePayload } from '../domain/viewer-records'
import type { Modality } from '../domain/modality'
import type { Volume } from '../volume/types'

/**
 * Value at quantile q (0..1) of the non-zero finite voxels, by sorting a strided sample of at
 * most `maxSamples` of them (exact for smaller volumes). Zero voxels are the background
 * outside the brain on MNI grids and would drag the lower end to 0. Returns null when no
 * voxel is non-zero and finite.
 */
export function nonZeroQuantiles(data: Float32Array, qs: readonly number[], maxSamples = 200_000): number[] | null {
  let count = 0
  for (let i = 0; i < data.length; i++) if (data[i] !== 0 && Number.isFinite(data[i])) count++
  if (count === 0) return null
  const stride = Math.max(1, Math.floor(count / maxSamples))
  const sample = new Float32Array(Math.ceil(count / stride))
  let seen = 0
  let n = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v === 0 || !Number.isFinite(v)) continue
    if (seen++ % stride === 0 && n < sample.length) sample[n++] = v
  }
  const sorted = sample.subarray(0, n).sort()
  return qs.map((q) => sorted[Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))))])
}

export interface PayloadMeaning {
  quantity: string
  units: string
}

/**
 * Builds the payload of a volume. Non-finite voxels (NaN / Inf) are shown as 0 (a copy is made
 * only when there are some); the source file's name, not its folder, goes to the renderer.
 * @throws when the data length does not match the grid.
 */
export function volumeToPayload(volume: Volume, modality: Modality, sourceFile: string, meaning: PayloadMeaning): VolumePayload {
  const [nx, ny, nz] = volume.dims
  if (volume.data.length !== nx * ny * nz) {
    throw new Error(`${sourceFile}: ${volume.data.length} voxels for a ${nx}x${ny}x${nz} grid`)
  }
  let data = volume.data
  let min = Infinity
  let max = -Infinity
  let nonFinite = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (!Number.isFinite(v)) nonFinite++
    else {
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  if (nonFinite > 0) {
    data = Float32Array.from(data, (v) => (Number.isFinite(v) ? v : 0))
    min = Math.min(min, 0)
    max = Math.max(max, 0)
  }
  if (min > max) {
    min = 0
    max = 0
  }
  const q = nonZeroQuantiles(data, [0.02, 0.995])
  let robust: [number, number] = q ? [q[0], q[1]] : [min, max]
  if (!(robust[1] > robust[0])) robust = max > min ? [min, max] : [min, min + 1]
  return {
    modality,
    source: basename(sourceFile),
    dims: [nx, ny, nz],
    spacing: [volume.spacing[0], volume.spacing[1], volume.spacing[2]],
    affine: volume.affine.map((row) => row.slice(0, 4)),
    data,
    min,
    max,
    robustRange: robust,
    quantity: meaning.quantity,
    units: meaning.units
  }
}
