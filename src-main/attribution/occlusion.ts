/**
 * Occlusion sensitivity (Zeiler & Fergus 2014) of a classifier over one crop: a cube of voxels
 * of one channel is replaced by a baseline value, the occluded crop is classified, and every
 * voxel of the cube is charged the drop in the probability of a chosen class. A voxel's value is
 * the mean drop over every cube position that covered it.
 *
 * Crops are channel-major in NIfTI voxel order (as src-main/model/crops.ts):
 * value (c, i, j, k) at c * (nx*ny*nz) + i + nx * (j + ny * k), 0-based. Only the window the
 * model reads (the centred inference window) is occluded; voxels outside it get NaN, since the
 * model never sees them.
 *
 * Channels are occluded one at a time: for the hippocampal crops, channel 0 is the left
 * hippocampus and channel 1 the right one, so each gets a map of its own.
 */

/** Classifies crops (each channels * nx*ny*nz values); resolves with probabilities [B, C] row-major. */
export type PredictProbs = (samples: Float32Array[]) => Promise<Float32Array>

export interface OcclusionInput {
  /** Crop size in voxels [nx, ny, nz]. */
  dims: [number, number, number]
  channels: number
  /** One crop, channel-major. */
  data: Float32Array
  /** The part of the crop the model reads: first voxel and size per axis [x, y, z]. */
  window: { offset: [number, number, number]; size: [number, number, number] }
}

export interface OcclusionOptions {
  /** Edge of the occluding cube in voxels (default 4: 8 mm on the 2 mm grid). */
  cube?: number
  /** Step between cube positions in voxels (default 2: every voxel covered by about 8 cubes). */
  stride?: number
  /** The class whose probability drop is recorded (0-based). */
  classIndex: number
  /** Occluded crops per predict call (default 32). */
  batchSize?: number
  signal?: AbortSignal
  /** Called after each batch with the forward passes done and the total. */
  onProgress?: (done: number, total: number) => void
}

export interface OcclusionResult {
  /** Mean drop of p(class) per crop voxel, channel-major like the input; NaN outside the window. */
  map: Float32Array
  /** Probabilities of the unoccluded crop, every class. */
  probabilities: Float32Array
  /** Forward passes made (occluded crops plus the unoccluded one). */
  passes: number
  /** Per channel, the value the cubes were filled with. */
  baseline: number[]
}

export const DEFAULT_CUBE = 4
export const DEFAULT_STRIDE = 2

/**
 * Start positions of a cube of `cube` voxels sliding by `stride` over `size` voxels, the last one
 * moved back so the cube ends on the last voxel: every voxel is covered.
 */
export function cubeStarts(size: number, cube: number, stride: number): number[] {
  if (cube >= size) return [0]
  const starts: number[] = []
  for (let s = 0; s + cube <= size; s += stride) starts.push(s)
  if (starts[starts.length - 1]! + cube < size) starts.push(size - cube)
  return starts
}

/**
 * Occlusion sensitivity of `predict` over the input's window.
 * The baseline is the channel's mean over the window (not zero): zero is no tissue (grey matter)
 * or no uptake (SUVR), values a brain never holds inside the hippocampal box, so a zero cube adds
 * an artificial edge the network reacts to; the mean removes the cube's structure and keeps the
 * intensity level the network was trained on.
 * @throws the signal's reason when cancelled (checked between batches)
 */
export async function occlusionSensitivity(input: OcclusionInput, predict: PredictProbs, opts: OcclusionOptions): Promise<OcclusionResult> {
  const cube = opts.cube ?? DEFAULT_CUBE
  const stride = opts.stride ?? DEFAULT_STRIDE
  const batchSize = opts.batchSize ?? 32
  const { dims, channels, data, window } = input
  const [nx, ny, nz] = dims
  const n = nx * ny * nz
  if (data.length !== channels * n) throw new Error(`occlusionSensitivity: the crop has ${data.length} values, expected ${channels} x ${dims.join(' x ')}`)
  for (const [name, v] of [
    ['cube', cube],
    ['stride', stride],
    ['batchSize', batchSize]
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`occlusionSensitivity: ${name} must be a positive integer, got ${v}`)
  }
  for (let a = 0; a < 3; a++) {
    const { offset, size } = window
    if (!(Number.isInteger(offset[a]) && Number.isInteger(size[a]) && offset[a]! >= 0 && size[a]! >= 1 && offset[a]! + size[a]! <= dims[a]!)) {
      throw new Error(`occlusionSensitivity: window offset ${offset.join(',')} size ${size.join(',')} leaves the crop ${dims.join('x')} along axis ${'xyz'[a]}`)
    }
  }
  const checkAbort = () => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('occlusionSensitivity: cancelled')
  }
  checkAbort()

  const [ox, oy, oz] = window.offset
  const [sx, sy, sz] = window.size
  const baseline = Array.from({ length: channels }, (_, c) => {
    let sum = 0
    for (let k = 0; k < sz; k++) for (let j = 0; j < sy; j++) for (let i = 0; i < sx; i++) sum += data[c * n + ox + i + nx * (oy + j + ny * (oz + k))]!
    return sum / (sx * sy * sz)
  })

  const base = await predict([data])
  const C = base.length
  if (!(Number.isInteger(opts.classIndex) && opts.classIndex >= 0 && opts.classIndex < C)) {
    throw new Error(`occlusionSensitivity: class ${opts.classIndex} is not one of the model's ${C} classes`)
  }
  const p0 = base[opts.classIndex]!

  // Cube positions (x, y, z starts inside the window) for every channel.
  const xs = cubeStarts(sx, cube, stride)
  const ys = cubeStarts(sy, cube, stride)
  const zs = cubeStarts(sz, cube, stride)
  const ext = [Math.min(cube, sx), Math.min(cube, sy), Math.min(cube, sz)]
  const positions: [number, number, number, number][] = []
  for (let c = 0; c < channels; c++) for (const z of zs) for (const y of ys) for (const x of xs) positions.push([c, ox + x, oy + y, oz + z])
  const total = positions.length + 1

  const sum = new Float64Array(channels * n)
  const count = new Uint16Array(channels * n)
  const forEachVoxel = ([c, x0, y0, z0]: [number, number, number, number], f: (idx: number) => void) => {
    for (let k = z0; k < z0 + ext[2]!; k++)
      for (let j = y0; j < y0 + ext[1]!; j++) {
        const row = c * n + nx * (j + ny * k)
        for (let i = x0; i < x0 + ext[0]!; i++) f(row + i)
      }
  }
  let done = 1
  opts.onProgress?.(done, total)
  for (let b = 0; b < positions.length; b += batchSize) {
    checkAbort()
    const part = positions.slice(b, b + batchSize)
    const samples = part.map((pos) => {
      const s = new Float32Array(data)
      const fill = baseline[pos[0]]!
      forEachVoxel(pos, (idx) => (s[idx] = fill))
      return s
    })
    const probs = await predict(samples)
    if (probs.length !== part.length * C)
      throw new Error(`occlusionSensitivity: predict answered ${probs.length} values for ${part.length} crops x ${C} classes`)
    part.forEach((pos, r) => {
      const drop = p0 - probs[r * C + opts.classIndex]!
      forEachVoxel(pos, (idx) => {
        sum[idx] += drop
        count[idx]++
      })
    })
    done += part.length
    opts.onProgress?.(done, total)
    // Let a worker read its messages (a cancel) between batches.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  checkAbort()
  const map = new Float32Array(channels * n)
  for (let v = 0; v < map.length; v++) map[v] = count[v] ? sum[v]! / count[v]! : NaN
  return { map, probabilities: base, passes: total, baseline }
}
