import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startTrainingRun } from '../../../src-main/runs/worker/client'
import type { RunSpec } from '../../../src-main/runs/worker/protocol'
import { buildGaussianSimRun } from '../../../src-main/runs/kinds/gaussian-sim'
import { trainTcgm, type TrainProgress } from '../../../src-main/engine/train/train-tcgm'

const tmp = mkdtempSync(join(tmpdir(), 'tcgm-worker-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const params = { modalities: 3, classes: 3, dim: 10, separation: 2.3, n: 500, labelRate: 0.02, seed: 3, valFraction: 0.1, hidden: [8] }
const train = { method: 'tcgm' as const, epochs: 6, warmupEpochs: 2, batchSize: 8, tcBatchSize: 16, lrLabelled: 0.01, lrUnlabelled: 0.003, seed: 3 }

describe('training worker process', () => {
  it('a run killed with SIGKILL mid-epoch is reported, and resuming it gives the uninterrupted result', async () => {
    const runDir = join(tmp, 'killed')
    const spec: RunSpec = { kind: 'gaussian-sim', params, train, runDir, progressIntervalMs: 0 }
    let killedAt: TrainProgress | null = null
    const handle = startTrainingRun(spec, {
      onEvent: (e) => {
        if (killedAt || e.type !== 'progress') return
        const p = e.progress
        if (p.type === 'step' && p.epoch === 3 && p.step > 2 && p.step < p.stepsInEpoch - 5) {
          killedAt = p
          process.kill(handle.pid!, 'SIGKILL')
        }
      }
    })
    await expect(handle.done).rejects.toThrow(/exited on signal SIGKILL before finishing \(last progress: epoch 4\/6/)
    expect(killedAt).not.toBeNull()
    expect(existsSync(join(runDir, 'checkpoints', 'loop.ckpt'))).toBe(true)

    const resumed = startTrainingRun({ ...spec, resume: true, progressIntervalMs: 200 }, { onEvent: () => {} })
    const r = await resumed.done
    if (r.status !== 'completed') throw new Error('resumed run did not complete')

    const ref = buildGaussianSimRun(params)
    const full = await trainTcgm(ref.models, ref.data, train)
    expect(r.result.selectedEpoch).toBe(full.selectedEpoch)
    r.result.posteriors.modalities.forEach((p, m) => expect(Array.from(p)).toEqual(Array.from(full.posteriors.modalities[m]!)))
    expect(Array.from(r.result.posteriors.aggregator)).toEqual(Array.from(full.posteriors.aggregator))
    expect(r.result.history.map((h) => h.tcGain)).toEqual(full.history.map((h) => h.tcGain))
  })

  it('cancel stops the worker with a cancelled status', async () => {
    const handle = startTrainingRun(
      { kind: 'gaussian-sim', params, train: { ...train, epochs: 200 }, runDir: join(tmp, 'cancelled') },
      {
        onEvent: (e) => {
          if (e.type === 'progress' && e.progress.epoch >= 1) handle.cancel()
        }
      }
    )
    const r = await handle.done
    expect(r.status).toBe('cancelled')
    if (r.status === 'cancelled') expect(r.epoch).toBeLessThan(5)
  })

  it('reports a failure inside the worker with its message', async () => {
    const handle = startTrainingRun({ kind: 'no-such-kind', params: {}, train, runDir: join(tmp, 'bad') }, { onEvent: () => {} })
    await expect(handle.done).rejects.toThrow(/unknown run kind 'no-such-kind' \(known: tables, gaussian-sim/)
    // Factory errors travel the same way; the message itself is checked in-process.
    expect(() => buildGaussianSimRun({ ...params, classes: 1 })).toThrow(/gaussian-sim parameters: classes/)
  })
})
