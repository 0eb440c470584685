/**
 * Occlusion sensitivity on classifiers whose answer depends only on a known region: the map is
 * positive there, exactly 0 wherever no occluding cube reaches that region, NaN outside the
 * model's window; cancelling stops it between batches.
 */
import { describe, expect, it } from 'vitest'
import { cubeStarts, occlusionSensitivity, type OcclusionInput, type PredictProbs } from '../../../src-main/attribution/occlusion'

const dims: [number, number, number] = [14, 16, 12]
const n = dims[0] * dims[1] * dims[2]
const at = (c: number, i: number, j: number, k: number) => c * n + i + dims[0] * (j + dims[1] * k)
/** The region the model looks at: channel 0, x 6..7, y 7..9, z 5..6. */
const region = { c: 0, x: [6, 7], y: [7, 9], z: [5, 6] }
const inRegion = (c: number, i: number, j: number, k: number) =>
  c === region.c && i >= region.x[0] && i <= region.x[1] && j >= region.y[0] && j <= region.y[1] && k >= region.z[0] && k <= region.z[1]

function input(): OcclusionInput {
  const data = new Float32Array(2 * n)
  for (let v = 0; v < data.length; v++) data[v] = 0.5 + 0.1 * Math.sin(v * 0.7)
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) if (inRegion(0, i, j, k)) data[at(0, i, j, k)] = 2
  return { dims, channels: 2, data, window: { offset: [1, 1, 1], size: [12, 14, 10] } }
}

/** p(class 1) = sigmoid(4 * (mean over the region - 1)): it only sees the region. */
const regionModel: PredictProbs = async (samples) => {
  const out = new Float32Array(samples.length * 2)
  samples.forEach((s, b) => {
    let sum = 0
    let cnt = 0
    for (let k = region.z[0]; k <= region.z[1]; k++)
      for (let j = region.y[0]; j <= region.y[1]; j++) for (let i = region.x[0]; i <= region.x[1]; i++, cnt++) sum += s[at(0, i, j, k)]!
    const p = 1 / (1 + Math.exp(-4 * (sum / cnt - 1)))
    out[2 * b] = 1 - p
    out[2 * b + 1] = p
  })
  return out
}

describe('cubeStarts', () => {
  it.each([
    [12, 4, 2, [0, 2, 4, 6, 8]],
    [13, 4, 2, [0, 2, 4, 6, 8, 9]],
    [3, 4, 2, [0]],
    [10, 4, 4, [0, 4, 6]]
  ])('size %i, cube %i, stride %i', (size, cube, stride, expected) => {
    expect(cubeStarts(size, cube, stride)).toEqual(expected)
  })
})

describe('occlusionSensitivity', () => {
  it('puts the attribution on the region the model reads and 0 where no cube reaches it', async () => {
    const x = input()
    const r = await occlusionSensitivity(x, regionModel, { classIndex: 1, cube: 4, stride: 2, batchSize: 7 })
    expect(r.probabilities[1]).toBeCloseTo(1 / (1 + Math.exp(-4)), 6)
    // Positions: 5 (x) * 6 (y) * 5 (z) per channel, both channels, plus the unoccluded pass.
    expect(r.passes).toBe(2 * cubeStarts(12, 4, 2).length * cubeStarts(14, 4, 2).length * cubeStarts(10, 4, 2).length + 1)
    let maxAt = -1
    for (let c = 0; c < 2; c++)
      for (let k = 0; k < dims[2]; k++)
        for (let j = 0; j < dims[1]; j++)
          for (let i = 0; i < dims[0]; i++) {
            const v = r.map[at(c, i, j, k)]!
            const inWindow = i >= 1 && i <= 12 && j >= 1 && j <= 14 && k >= 1 && k <= 10
            if (!inWindow) {
              expect(v, `outside the window (${c},${i},${j},${k})`).toBeNaN()
              continue
            }
            if (maxAt < 0 || v > r.map[maxAt]!) maxAt = at(c, i, j, k)
            // A voxel more than cube - 1 = 3 voxels from the region shares no cube with it.
            const far =
              c === 1 || i < region.x[0] - 3 || i > region.x[1] + 3 || j < region.y[0] - 3 || j > region.y[1] + 3 || k < region.z[0] - 3 || k > region.z[1] + 3
            if (far) expect(v, `far voxel (${c},${i},${j},${k})`).toBe(0)
            if (inRegion(c, i, j, k)) expect(v, `region voxel (${i},${j},${k})`).toBeGreaterThan(0.05)
          }
    // The strongest voxel is in the region, or touches it (a cube blurs the map by its size).
    const c = Math.floor(maxAt / n)
    const rest = maxAt % n
    const [mi, mj, mk] = [rest % dims[0], Math.floor(rest / dims[0]) % dims[1], Math.floor(rest / (dims[0] * dims[1]))]
    expect(c).toBe(0)
    expect(
      mi >= region.x[0] - 1 && mi <= region.x[1] + 1 && mj >= region.y[0] - 1 && mj <= region.y[1] + 1 && mk >= region.z[0] - 1 && mk <= region.z[1] + 1
    ).toBe(true)
    // Baseline: each channel's mean over the window.
    expect(r.baseline[0]).toBeGreaterThan(0.5)
  })

  it('records the drop of the chosen class: negative for the other class', async () => {
    const x = input()
    const r = await occlusionSensitivity(x, regionModel, { classIndex: 0, cube: 4, stride: 2 })
    expect(r.map[at(0, 6, 8, 5)]!).toBeLessThan(-0.05)
  })

  it("stops between batches when cancelled, with the signal's reason", async () => {
    const controller = new AbortController()
    let calls = 0
    const counting: PredictProbs = async (s) => {
      calls++
      return regionModel(s)
    }
    const run = occlusionSensitivity(input(), counting, {
      classIndex: 1,
      batchSize: 10,
      signal: controller.signal,
      onProgress: (done) => {
        if (done > 20) controller.abort(new Error('cancelled by the test'))
      }
    })
    await expect(run).rejects.toThrow('cancelled by the test')
    expect(calls).toBeLessThanOrEqual(4)
  })

  it('refuses a window outside the crop and a class the model does not have', async () => {
    const x = input()
    await expect(occlusionSensitivity({ ...x, window: { offset: [4, 1, 1], size: [12, 14, 10] } }, regionModel, { classIndex: 1 })).rejects.toThrow(
      /leaves the crop/
    )
    await expect(occlusionSensitivity(x, regionModel, { classIndex: 2 })).rejects.toThrow(/class 2 is not one of the model's 2 classes/)
  })
})
