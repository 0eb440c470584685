/** Training control: start (with the split made first), events build the curves, ETA, stop, adoption after reload. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount } from '@vue/test-utils'
import type { TrainingProgressDetail, RunSummary } from '@contract/contracts/study'
import { HYPERPARAMETER_DEFAULTS } from '../../src-main/domain/training'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useTrainingStore } from '../../src-renderer/src/stores/training'
import { useJobsStore } from '../../src-renderer/src/stores/jobs'
import TrainView from '../../src-renderer/src/views/TrainView.vue'
import { FakeApi, STUDY, studySummary } from './fake-api'

const JOB = 'job-1'

function detail(overrides: Partial<TrainingProgressDetail>): TrainingProgressDetail {
  return {
    runId: 'run-1',
    seed: 0,
    seedIndex: 0,
    seeds: 1,
    epoch: 1,
    epochs: 3,
    phase: 'ce',
    step: null,
    steps: null,
    ceLoss: null,
    tcGain: null,
    val: null,
    etaSeconds: null,
    ...overrides
  }
}

const runSummary: RunSummary = {
  id: 'run-1',
  method: 'tcgm',
  preset: 'tiny',
  seeds: 1,
  epochs: 3,
  status: 'done',
  createdAt: '2026-11-26T10:00:00Z',
  finishedAt: '2026-11-26T10:01:00Z',
  testAccuracy: 0.8,
  message: null
}

describe('training store', () => {
  let api: FakeApi

  beforeEach(async () => {
    setActivePinia(createPinia())
    api = new FakeApi()
      .handle('study.open', () => studySummary({ counts: { ...studySummary().counts, labelled: 10 } }))
      .handle('splits.make', () => ({ train: 4, val: 1, test: 1 }))
      .handle('training.start', () => ({ jobId: JOB }))
      .handle('job.cancel', () => ({ cancelled: true }))
      .handle('runs.list', () => [])
      .handle('runs.get', () => {
        throw new Error('no curves yet')
      })
    setApi(api)
    await useStudyStore().open(STUDY)
  })

  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it('makes the split when the study has none, then starts with the chosen settings', async () => {
    const training = useTrainingStore()
    training.method = 'ce'
    training.choosePreset('tiny')
    training.epochs = 3
    expect(await training.start()).toBe(true)
    expect(api.calls.map((c) => c.name).filter((n) => n === 'splits.make' || n === 'training.start')).toEqual(['splits.make', 'training.start'])
    expect(api.callsOf('training.start')[0]).toMatchObject({
      study: STUDY,
      method: 'ce',
      preset: 'tiny',
      epochs: 3,
      seeds: 1,
      hyperparameters: { lrLabelled: HYPERPARAMETER_DEFAULTS.lrLabelled, batchSize: HYPERPARAMETER_DEFAULTS.batchSize, selectBy: 'auto' }
    })
    // An emptied field means "the default": it is not sent (warm-up: a third of the epochs, chosen in main).
    expect(api.callsOf('training.start')[0]!.hyperparameters).not.toHaveProperty('warmupEpochs')
    expect(training.running).toBe(true)
  })

  it('progress events update the curves (last value of an epoch wins), the ETA and the status', async () => {
    const training = useTrainingStore()
    await training.start()
    api.emit('job.progress', {
      jobId: JOB,
      kind: 'training',
      fraction: 0.1,
      message: 'epoch 1',
      detail: detail({ step: 1, steps: 2, ceLoss: 0.9, etaSeconds: 120 })
    })
    api.emit('job.progress', {
      jobId: JOB,
      kind: 'training',
      fraction: 0.2,
      message: 'epoch 1',
      detail: detail({ step: 2, steps: 2, ceLoss: 0.7, tcGain: 0.05, etaSeconds: 100 })
    })
    api.emit('job.progress', {
      jobId: JOB,
      kind: 'training',
      fraction: 0.33,
      message: 'eval',
      detail: detail({
        phase: 'eval',
        val: {
          smri: { accuracy: 0.7, balancedAccuracy: 0.65 },
          pet: { accuracy: 0.6, balancedAccuracy: 0.62 },
          aggregator: { accuracy: 0.8, balancedAccuracy: 0.78 }
        },
        etaSeconds: 90
      })
    })
    api.emit('job.progress', { jobId: JOB, kind: 'training', fraction: 0.5, message: 'epoch 2', detail: detail({ epoch: 2, ceLoss: 0.5, etaSeconds: 60 }) })
    // Another job's events and malformed details are ignored.
    api.emit('job.progress', { jobId: 'other', kind: 'import', fraction: 0.5, message: 'x', detail: { files: 3 } })

    expect(training.curves[0]).toEqual([
      { epoch: 1, ceLoss: 0.7, tcGain: 0.05, val: { smri: 0.65, pet: 0.62, aggregator: 0.78 } },
      { epoch: 2, ceLoss: 0.5, tcGain: null, val: {} }
    ])
    expect(training.etaSeconds).toBe(60)
    expect(training.runId).toBe('run-1')
    expect(useJobsStore().jobs[JOB].fraction).toBe(0.5)
  })

  it('stop cancels the job; the cancellation ends the run and lists the runs again', async () => {
    const training = useTrainingStore()
    await training.start()
    await training.stop()
    expect(api.callsOf('job.cancel')).toEqual([{ jobId: JOB }])
    expect(useJobsStore().jobs[JOB].cancelling).toBe(true)
    api.emit('job.error', { jobId: JOB, kind: 'training', message: 'cancelled by the user', cancelled: true })
    await flushPromises()
    expect(training.running).toBe(false)
    expect(training.lastFinished).toEqual({ runId: null, state: 'cancelled' })
    expect(useJobsStore().jobs[JOB].state).toBe('cancelled')
    expect(api.callsOf('runs.list').length).toBeGreaterThan(0)
  })

  it('a finished job offers its run', async () => {
    const training = useTrainingStore()
    await training.start()
    api.emit('job.done', { jobId: JOB, kind: 'training', result: runSummary })
    await flushPromises()
    expect(training.running).toBe(false)
    expect(training.lastFinished).toEqual({ runId: 'run-1', state: 'done' })
  })

  it('after a reload, adopts a running training job from its first event and reads its curves so far', async () => {
    api.handle('runs.get', () => ({
      summary: { ...runSummary, status: 'running' },
      config: {},
      classNames: ['NC', 'AD'],
      curves: [{ seed: 0, points: [{ epoch: 1, ceLoss: 0.8, tcGain: null, val: { aggregator: 0.7 } }] }],
      metrics: [],
      predictions: [],
      confusion: [],
      roc: null
    }))
    const training = useTrainingStore()
    training.connect()
    api.emit('job.progress', { jobId: 'job-9', kind: 'training', fraction: 0.6, message: 'epoch 2', detail: detail({ epoch: 2, ceLoss: 0.4 }) })
    await flushPromises()
    expect(training.jobId).toBe('job-9')
    expect(training.curves[0].map((p) => [p.epoch, p.ceLoss])).toEqual([
      [1, 0.8],
      [2, 0.4]
    ])
    await training.stop()
    expect(api.callsOf('job.cancel')).toEqual([{ jobId: 'job-9' }])
  })
})

describe('Train view', () => {
  it('shows the backend and its reason, live status and ETA, and Stop calls job.cancel', async () => {
    setActivePinia(createPinia())
    const api = new FakeApi()
      .handle('study.open', () => studySummary({ counts: { ...studySummary().counts, labelled: 10 }, hasSplits: true }))
      .handle('app.info', () => ({
        name: 'TCGM Lab',
        version: '0.1.0',
        platform: 'linux',
        arch: 'x64',
        node: '20',
        shell: 'browser',
        backend: { name: 'wasm', reason: 'tfjs-node-gpu not installed; tfjs-node not installed', tried: [] },
        startWithDemo: false
      }))
      .handle('runs.list', () => [])
      .handle('training.start', () => ({ jobId: JOB }))
      .handle('job.cancel', () => ({ cancelled: true }))
    setApi(api)
    await useStudyStore().open(STUDY)
    const wrapper = mount(TrainView)
    await flushPromises()
    expect(wrapper.get('[data-testid="backend"]').text()).toContain('wasm')
    expect(wrapper.get('[data-testid="backend"]').text()).toContain('tfjs-node-gpu not installed')
    expect(wrapper.get('[data-testid="train-stop"]').attributes('disabled')).toBeDefined()

    await wrapper.get('[data-testid="train-start"]').trigger('click')
    await flushPromises()
    api.emit('job.progress', { jobId: JOB, kind: 'training', fraction: 0.25, message: 'epoch 1', detail: detail({ ceLoss: 0.6, etaSeconds: 75 }) })
    await flushPromises()
    expect(wrapper.get('[data-testid="train-status"]').text()).toContain('epoch 1 of 3')
    expect(wrapper.get('[data-testid="eta"]').text()).toBe('1 min 15 s')
    // No validation scores in the events (fewer than 10 validation labels per class): the chart says why it is empty.
    expect(wrapper.get('[data-testid="val-empty"]').text()).toContain('fewer than')
    expect(wrapper.get('[data-testid="val-empty"]').text()).toContain('visible labels in some class')

    await wrapper.get('[data-testid="train-stop"]').trigger('click')
    await flushPromises()
    expect(api.callsOf('job.cancel')).toEqual([{ jobId: JOB }])
    wrapper.unmount()
    setApi(null)
    localStorage.clear()
  })
})

describe('Train view after an import into a split study', () => {
  async function mountWithUnsplit() {
    setActivePinia(createPinia())
    let unsplit = 4
    const api = new FakeApi()
      .handle('study.open', () => studySummary({ counts: { ...studySummary().counts, labelled: 10 }, hasSplits: true, unsplit }))
      .handle('app.info', () => ({
        name: 'TCGM Lab',
        version: '0.1.0',
        platform: 'linux',
        arch: 'x64',
        node: '20',
        shell: 'browser',
        backend: { name: 'wasm', reason: '', tried: [] },
        startWithDemo: false
      }))
      .handle('runs.list', () => [])
      .handle('splits.place', () => {
        unsplit = 0
        return { placed: { train: 2, val: 1, test: 1 }, counts: { train: 62, val: 21, test: 21 } }
      })
      .handle('splits.make', () => {
        unsplit = 0
        return { train: 62, val: 21, test: 21 }
      })
      .handle('training.start', () => ({ jobId: JOB }))
    setApi(api)
    await useStudyStore().open(STUDY)
    const wrapper = mount(TrainView)
    await flushPromises()
    return { api, wrapper }
  }

  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it('offers to place the new subjects (the default) and does so before the run starts', async () => {
    const { api, wrapper } = await mountWithUnsplit()
    const choice = wrapper.get('[data-testid="split-choice"]')
    expect(choice.text()).toContain('4 subjects were imported after the split')
    expect((wrapper.get('[data-testid="split-place"]').element as HTMLInputElement).checked).toBe(true)
    expect(choice.text()).not.toContain('no longer comparable')
    await wrapper.get('[data-testid="train-start"]').trigger('click')
    await flushPromises()
    expect(api.calls.map((c) => c.name).filter((n) => n.startsWith('splits.') || n === 'training.start')).toEqual(['splits.place', 'training.start'])
    expect(api.callsOf('splits.make')).toEqual([])
    expect(wrapper.find('[data-testid="split-choice"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('a re-split warns that old runs are no longer comparable, and makes a new split', async () => {
    const { api, wrapper } = await mountWithUnsplit()
    await wrapper.get('[data-testid="split-resplit"]').setValue(true)
    expect(wrapper.get('[data-testid="split-choice"]').text()).toContain('no longer comparable')
    await wrapper.get('[data-testid="train-start"]').trigger('click')
    await flushPromises()
    expect(api.calls.map((c) => c.name).filter((n) => n.startsWith('splits.') || n === 'training.start')).toEqual(['splits.make', 'training.start'])
    wrapper.unmount()
  })
})

describe('run states in the Train view', () => {
  const stopped: RunSummary = {
    ...runSummary,
    status: 'cancelled',
    finishedAt: '2026-11-26T10:01:00Z',
    testAccuracy: null,
    message: 'cancelled during seed 0, epoch 2'
  }

  async function mountTrain(runsNow: () => RunSummary[]) {
    setActivePinia(createPinia())
    const api = new FakeApi()
      .handle('study.open', () => studySummary({ counts: { ...studySummary().counts, labelled: 10 }, hasSplits: true }))
      .handle('app.info', () => ({
        name: 'TCGM Lab',
        version: '0.1.0',
        platform: 'linux',
        arch: 'x64',
        node: '20',
        shell: 'browser',
        backend: { name: 'wasm', reason: '', tried: [] },
        startWithDemo: false
      }))
      .handle('runs.list', runsNow)
      .handle('runs.get', () => {
        throw new Error('no curves yet')
      })
      .handle('training.start', () => ({ jobId: JOB }))
      .handle('training.resume', () => ({ jobId: 'job-2' }))
      .handle('job.cancel', () => ({ cancelled: true }))
    setApi(api)
    await useStudyStore().open(STUDY)
    const wrapper = mount(TrainView)
    await flushPromises()
    return { api, wrapper }
  }

  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it('Stop ends the job with a stopped (resumable) run: never "finished", no results to see', async () => {
    const { api, wrapper } = await mountTrain(() => [stopped])
    await wrapper.get('[data-testid="train-start"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-testid="train-stop"]').trigger('click')
    // main answers a stopped run with its summary (job.done), not with an error
    api.emit('job.done', { jobId: JOB, kind: 'training', result: stopped })
    await flushPromises()
    const text = wrapper.get('[data-testid="train-finished"]').text()
    expect(text).toContain('Run run-1 stopped')
    expect(text).toContain('can be resumed')
    expect(text).not.toContain('finished.')
    expect(wrapper.find('[data-testid="see-results"]').exists()).toBe(false)
    expect(wrapper.get('[data-run="run-1"] [data-testid="run-state"]').text()).toBe('stopped (resumable)')
    wrapper.unmount()
  })

  it('a resumed run shows as running while it runs, then finished', async () => {
    let list = [stopped]
    const { api, wrapper } = await mountTrain(() => list)
    expect(wrapper.get('[data-run="run-1"] [data-testid="run-state"]').text()).toBe('stopped (resumable)')
    await wrapper.get('[data-run="run-1"] button').trigger('click') // Resume
    await flushPromises()
    expect(api.callsOf('training.resume')).toEqual([{ study: STUDY, runId: 'run-1' }])
    expect(wrapper.get('[data-run="run-1"] [data-testid="run-state"]').text()).toBe('running')
    list = [runSummary]
    api.emit('job.done', { jobId: 'job-2', kind: 'training', result: runSummary })
    await flushPromises()
    expect(wrapper.get('[data-run="run-1"] [data-testid="run-state"]').text()).toBe('finished')
    expect(wrapper.get('[data-testid="train-finished"]').text()).toContain('Run run-1 finished.')
    wrapper.unmount()
  })
})
