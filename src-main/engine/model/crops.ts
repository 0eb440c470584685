/**
 * Hippocampal crops as the model receives them, the paper's augmentation (random crop inside the
 * margin, random flips, random transposes of equal-sized axes) and the assembly of a batch.
 *
 * A sample is channel-major in NIfTI voxel order: value (c, i, j, k) is at
 * c * (nx*ny*nz) + i + nx * (j + ny * k), 0-based, i along x, j along y, k along z.
 * The batch tensor is NDHWC: [N, D, H, W, C] = [N, z, y, x, c].
 */
import type { SeededRandom } from '../../domain/random/mulberry32'

export interface CropDataset {
  /** Crop size in voxels [nx, ny, nz]. */
  dims: [number, number, number]
  /** Images per sample (e.g. 1 modality image, or 2). */
  channels: number
  /** One Float32Array of length channels * nx * ny * nz per subject row. */
  samples: Float32Array[]
}

/** @throws naming the sample and the problem when a crop is malformed. */
export function validateCrops(crops: CropDataset, where: string): void {
  const { dims, channels, samples } = crops
  if (!Array.isArray(dims) || dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${where}: crop dims must be three positive integers [nx, ny, nz], got ${JSON.stringify(dims)}`)
  }
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`${where}: crop channels must be a positive integer, got ${channels}`)
  if (!Array.isArray(samples) || samples.length === 0) throw new Error(`${where}: the crop dataset has no samples`)
  const expected = channels * dims[0] * dims[1] * dims[2]
  samples.forEach((s, i) => {
    if (!(s instanceof Float32Array)) throw new Error(`${where}: sample ${i} is not a Float32Array`)
    if (s.length !== expected) throw new Error(`${where}: sample ${i} has ${s.length} values, expected ${channels} x ${dims.join(' x ')} = ${expected}`)
  })
}

/** Where and how one sample is read. All per axis in output order [x, y, z]. */
export interface Augmentation {
  /** First voxel of the window along each SOURCE axis (0-based). */
  offset: [number, number, number]
  /** Output axis a reads source axis perm[a] (only between axes of equal output size). */
  perm: [number, number, number]
  /** Output axis a runs backwards. */
  flip: [boolean, boolean, boolean]
}

export interface AugmentOptions {
  flip: boolean
  transpose: boolean
}

const PERMS: [number, number, number][] = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0]
]

/** No augmentation: the centred window (inference). */
export function centredWindow(dims: readonly number[], size: readonly number[]): Augmentation {
  return {
    offset: [0, 1, 2].map((a) => Math.floor((dims[a] - size[a]) / 2)) as [number, number, number],
    perm: [0, 1, 2],
    flip: [false, false, false]
  }
}

/** A random window inside the crop, random flips, and a random permutation among axes whose
 *  output sizes are equal (e.g. x and z of a 32x40x32 input). */
export function drawAugmentation(rng: SeededRandom, dims: readonly number[], size: readonly number[], opts: AugmentOptions): Augmentation {
  const offset = [0, 1, 2].map((a) => rng.int(dims[a] - size[a] + 1)) as [number, number, number]
  const flip = [0, 1, 2].map(() => (opts.flip ? rng.next() < 0.5 : false)) as [boolean, boolean, boolean]
  let perm: [number, number, number] = [0, 1, 2]
  if (opts.transpose) {
    const allowed = PERMS.filter((p) => p.every((src, a) => size[src] === size[a]))
    perm = allowed[rng.int(allowed.length)]
  }
  return { offset, perm, flip }
}

/**
 * Gathers samples into one NDHWC batch [N, sz, sy, sx, C] (as a flat Float32Array).
 * @param size output window [sx, sy, sz] in voxels, each <= the crop dims
 */
export function assembleBatch(crops: CropDataset, indices: readonly number[], size: readonly number[], augs: readonly Augmentation[]): Float32Array {
  const [nx, ny, nz] = crops.dims
  const channels = crops.channels
  const volume = nx * ny * nz
  const [sx, sy, sz] = size
  const sourceStride = [1, nx, nx * ny]
  const out = new Float32Array(indices.length * sx * sy * sz * channels)
  let o = 0
  indices.forEach((row, n) => {
    const sample = crops.samples[row]
    if (!sample) throw new Error(`assembleBatch: sample index ${row} is outside the dataset (0..${crops.samples.length - 1})`)
    const { offset, perm, flip } = augs[n]
    // Per output axis: source index of its first voxel and the step between voxels.
    const start = [0, 0, 0]
    const step = [0, 0, 0]
    for (let a = 0; a < 3; a++) {
      const src = perm[a]
      const first = offset[src] + (flip[a] ? size[a] - 1 : 0)
      if (offset[src] < 0 || offset[src] + size[a] > crops.dims[src]) throw new Error(`assembleBatch: window along axis ${src} leaves the crop`)
      start[a] = first * sourceStride[src]
      step[a] = (flip[a] ? -1 : 1) * sourceStride[src]
    }
    for (let z = 0; z < sz; z++) {
      const pz = start[2] + z * step[2]
      for (let y = 0; y < sy; y++) {
        const pzy = pz + start[1] + y * step[1]
        for (let x = 0; x < sx; x++) {
          const p = pzy + start[0] + x * step[0]
          for (let c = 0; c < channels; c++) out[o++] = sample[c * volume + p]
        }
      }
    }
  })
  return out
}
