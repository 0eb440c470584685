import { describe, expect, it } from 'vitest'
import { HYPERPARAMETER_DEFAULTS, MIN_VAL_LABELS_FOR_SELECTION } from '../../../src-main/domain/training'
import { engineConfigFor } from '../../../src-main/runs/plan'
import { resolveTrainConfig } from '../../../src-main/domain/train-config'

const base = { method: 'tcgm' as const, preset: 'tiny', seeds: 1 }

describe('engineConfigFor: the run configuration from the user options', () => {
  it("selectBy 'auto' keeps the last epoch unless validation has enough visible labels of every class", () => {
    const few = engineConfigFor(base, 30, [MIN_VAL_LABELS_FOR_SELECTION, MIN_VAL_LABELS_FOR_SELECTION - 1])
    expect(few.selectionMetric).toBe('last')
    const enough = engineConfigFor(base, 30, [MIN_VAL_LABELS_FOR_SELECTION, MIN_VAL_LABELS_FOR_SELECTION])
    expect(enough.selectionMetric).toBe('aggregator-balanced-accuracy')
  })

  it('an explicit choice wins, even with few validation labels', () => {
    expect(engineConfigFor({ ...base, hyperparameters: { selectBy: 'auc' } }, 30, [1, 1]).selectionMetric).toBe('aggregator-auc')
    expect(engineConfigFor({ ...base, hyperparameters: { selectBy: 'last' } }, 30, [50, 50]).selectionMetric).toBe('last')
  })

  it('defaults: a third of the epochs of warm-up, the engine learning rates; a batch size sets TC batches to twice it', () => {
    const d = resolveTrainConfig(engineConfigFor(base, 30, [0, 0]))
    expect(d.warmupEpochs).toBe(10)
    expect(d.lrLabelled).toBe(HYPERPARAMETER_DEFAULTS.lrLabelled)
    expect(d.lrUnlabelled).toBe(HYPERPARAMETER_DEFAULTS.lrUnlabelled)
    expect(d.batchSize).toBe(HYPERPARAMETER_DEFAULTS.batchSize)
    const one = resolveTrainConfig(engineConfigFor(base, 1, [0, 0]))
    expect(one.warmupEpochs).toBe(0)
    const custom = resolveTrainConfig(engineConfigFor({ ...base, hyperparameters: { batchSize: 12, warmupEpochs: 50 } }, 30, [0, 0]))
    expect(custom.batchSize).toBe(12)
    expect(custom.tcBatchSize).toBe(24)
    expect(custom.warmupEpochs).toBe(29)
  })
})
