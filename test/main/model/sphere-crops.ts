import type { CropDataset } from '../../../src-main/engine/model/crops'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'

/**
 * Two classes of 12^3 two-channel volumes: a sphere at the centre brighter (class 1) or darker
 * (class 0) than the background, in channel 0 only, under noise. Flip- and transpose-invariant.
 */
export function sphereCrops(n: number, seed: number): { crops: CropDataset; labels: number[] } {
  const rng = new SeededRandom(seed)
  const e = 12
  const samples: Float32Array[] = []
  const labels: number[] = []
  for (let s = 0; s < n; s++) {
    const y = s % 2
    const v = new Float32Array(2 * e ** 3)
    for (let k = 0; k < e; k++)
      for (let j = 0; j < e; j++)
        for (let i = 0; i < e; i++) {
          const r2 = (i - 5.5) ** 2 + (j - 5.5) ** 2 + (k - 5.5) ** 2
          const p = i + e * (j + e * k)
          v[p] = (r2 < 9 ? (y === 1 ? 1 : -1) : 0) + 0.5 * rng.normal()
          v[e ** 3 + p] = rng.normal()
        }
    samples.push(v)
    labels.push(y)
  }
  return { crops: { dims: [e, e, e], channels: 2, samples }, labels }
}
