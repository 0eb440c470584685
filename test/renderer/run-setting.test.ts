/** The run comparison shows what each run trained with: the resolved engine config, not the typed choices. */
import { describe, expect, it } from 'vitest'
import { HYPERPARAMETER_DEFAULTS } from '../../src-main/domain/training'
import { runSetting } from '../../src-renderer/src/display/run-config'

describe('runSetting', () => {
  it('shows the resolved value of a setting the researcher left at its default', () => {
    const config = { hyperparameters: {}, train: { lrLabelled: HYPERPARAMETER_DEFAULTS.lrLabelled, batchSize: 8 } }
    expect(runSetting(config, 'lrLabelled')).toBe(String(HYPERPARAMETER_DEFAULTS.lrLabelled))
    expect(runSetting(config, 'batchSize')).toBe('8')
  })

  it('prefers what the engine used over what was typed', () => {
    expect(runSetting({ hyperparameters: { batchSize: 32 }, train: { batchSize: 16 } }, 'batchSize')).toBe('16')
  })

  it('falls back to the typed value for a run without a resolved config, and says when nothing is recorded', () => {
    expect(runSetting({ hyperparameters: { lrUnlabelled: 0.001 } }, 'lrUnlabelled')).toBe('0.001')
    expect(runSetting({ hyperparameters: {} }, 'lrUnlabelled')).toBe('–')
    expect(runSetting({ train: null }, 'lrUnlabelled')).toBe('–')
  })
})
