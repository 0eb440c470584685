import { describe, expect, it } from 'vitest'
import { assembleBatch, centredWindow, drawAugmentation, validateCrops, type CropDataset } from '../../../src-main/engine/model/crops'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'

/** Value encodes its own coordinates: c*1000 + i*100 + j*10 + k. */
function codedCrop(nx: number, ny: number, nz: number, channels: number): CropDataset {
  const s = new Float32Array(channels * nx * ny * nz)
  for (let c = 0; c < channels; c++)
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) s[c * nx * ny * nz + i + nx * (j + ny * k)] = c * 1000 + i * 100 + j * 10 + k
  return { dims: [nx, ny, nz], channels, samples: [s] }
}

/** Element (z, y, x, c) of an NDHWC sample. */
const at = (b: Float32Array, size: number[], channels: number, x: number, y: number, z: number, c: number) =>
  b[((z * size[1] + y) * size[0] + x) * channels + c]

describe('assembleBatch', () => {
  it('reads NIfTI-ordered channel-major samples into NDHWC, centred window', () => {
    const crops = codedCrop(5, 4, 3, 2)
    const size = [3, 2, 3]
    const b = assembleBatch(crops, [0], size, [centredWindow(crops.dims, size)])
    // Centred offsets: x (5-3)/2 = 1, y 1, z 0.
    expect(at(b, size, 2, 0, 0, 0, 0)).toBe(1 * 100 + 1 * 10 + 0)
    expect(at(b, size, 2, 2, 1, 2, 1)).toBe(1000 + 3 * 100 + 2 * 10 + 2)
  })

  it('flips and transposes as the augmentation says', () => {
    const crops = codedCrop(4, 4, 2, 1)
    const size = [4, 4, 2]
    const b = assembleBatch(crops, [0], size, [{ offset: [0, 0, 0], perm: [1, 0, 2], flip: [true, false, false] }])
    // Output x runs backwards along source y; output y runs along source x.
    expect(at(b, size, 1, 0, 2, 1, 0)).toBe(2 * 100 + 3 * 10 + 1)
    expect(at(b, size, 1, 3, 0, 0, 0)).toBe(0)
  })

  it('transposes only axes of equal size and stays inside the crop', () => {
    const rng = new SeededRandom(4)
    const seen = new Set<string>()
    for (let t = 0; t < 200; t++) {
      const a = drawAugmentation(rng, [10, 12, 10], [8, 9, 8], { flip: true, transpose: true })
      seen.add(a.perm.join(''))
      expect(a.offset[0]).toBeLessThanOrEqual(2)
      expect(a.offset[1]).toBeLessThanOrEqual(3)
    }
    expect([...seen].sort()).toEqual(['012', '210'])
  })

  it('rejects malformed crops naming the sample', () => {
    const crops = codedCrop(3, 3, 3, 1)
    crops.samples.push(new Float32Array(5))
    expect(() => validateCrops(crops, 'mri crops')).toThrow('mri crops: sample 1 has 5 values, expected 1 x 3 x 3 x 3 = 27')
  })
})
