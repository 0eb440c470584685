/** The memory check refuses a network that cannot fit before anything is built, saying why. */
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src-main/engine/model/config'
import { checkTrainingFits, estimateTrainingBytes, WASM_HEAP_LIMIT } from '../../../src-main/engine/model/memory'

const GiB = 2 ** 30

describe('training memory estimate', () => {
  it('grows with the batch and the input, and counts the paper network far larger than the small one', () => {
    const small = resolveConfig('small', 2, 2)
    const paper = resolveConfig('paper', 2, 2)
    expect(estimateTrainingBytes(small, [17, 21, 20], 32)).toBeGreaterThan(estimateTrainingBytes(small, [17, 21, 20], 16))
    expect(estimateTrainingBytes(small, [24, 24, 24], 16)).toBeGreaterThan(estimateTrainingBytes(small, [17, 21, 20], 16))
    // Measured on wasm (tf.profile peakBytes): 3.4 GiB for one 32^3 sample of the paper network.
    expect(estimateTrainingBytes(paper, [32, 32, 32], 1)).toBeGreaterThan(3.4 * GiB)
    expect(estimateTrainingBytes(small, [17, 21, 20], 16)).toBeLessThan(0.5 * GiB)
  })

  it('refuses the paper network at 64^3 on wasm and on a machine without the memory, naming what to change', () => {
    const paper = resolveConfig('paper', 2, 2)
    expect(() => checkTrainingFits('mri network', paper, [64, 64, 64], 12, WASM_HEAP_LIMIT, 64 * GiB)).toThrow(
      /^mri network: training needs about \d+\.\d GiB, more than the backend's 4\.0 GiB per process; use a smaller preset, input or batch/
    )
    expect(() => checkTrainingFits('mri network', paper, [64, 64, 64], 12, null, 64 * GiB)).toThrow(/but the machine has 64\.0 GiB free/)
    expect(() => checkTrainingFits('mri network', resolveConfig('small', 2, 2), [17, 21, 20], 32, WASM_HEAP_LIMIT, 8 * GiB)).not.toThrow()
  })
})
