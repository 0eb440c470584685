/**
 * Attribution maps of a finished run, end to end in main: a study with a cached crop and a run
 * folder as training leaves it (selected-models.ckpt with real 'tiny' DenseNet states), maps
 * computed in-process and in the attribution worker, placed inside the hippocampal boxes of the
 * MNI grid, cached in the run folder and recomputed when the run's models change; clear errors
 * naming the run, the subject and the files.
 */
import { promises as fsp, mkdtempSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeAttribution, readAttribution } from '../../../src-main/attribution'
import { computeCropAttribution, type AttributionTask } from '../../../src-main/attribution/compute'
import { AttributionMap, AttributionSummary } from '../../../src-main/api/contracts/viewer'
import { handlers } from '../../../src-main/api/handlers'
import { createApiRuntime } from '../../../src-main/api/runtime'
import { recordEvents } from '../../helpers/api-events'
import { cropIndexOnGrid } from '../../../src-main/attribution/crop-to-grid'
import { createStateNet } from '../../../src-main/attribution/state-net'
import { chooseBackend } from '../../../src-main/engine/backend/choose'
import { MNI_2MM } from '../../../src-main/volume/grid'
import { createImageModalityModel } from '../../../src-main/engine/model/image-model'
import { HIPPOCAMPUS_BOXES, boxToVoxelRange } from '../../../src-main/roi/boxes'
import { writeCacheEntry } from '../../../src-main/study/cache'
import { createStudy, mutateStudy, saveStudyFile } from '../../../src-main/study/study'
import { writeCheckpoint } from '../../../src-main/engine/train/checkpoint'
import type { ModelState } from '../../../src-main/engine/train/modality-model'

const root = mkdtempSync(join(tmpdir(), 'tcgm-attribution-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

const study = join(root, 'study')
const runId = '20260101-000000-tcgm-abcd'
const index = cropIndexOnGrid(MNI_2MM, 2)
const dims = index.dims
const cropSize = 2 * dims[0] * dims[1] * dims[2]
const states: ModelState[] = []
let crop: Float32Array

const inProcess = (task: AttributionTask, cb: Parameters<typeof computeCropAttribution>[1]) => computeCropAttribution(task, cb)
const ckptFile = () => join(study, 'runs', runId, 'seed-0', 'checkpoints', 'selected-models.ckpt')

async function writeRun(status: 'done' | 'failed' = 'done'): Promise<void> {
  const run = join(study, 'runs', runId)
  await fsp.mkdir(join(run, 'seed-0', 'checkpoints'), { recursive: true })
  await fsp.writeFile(
    join(run, 'config.json'),
    JSON.stringify({
      id: runId,
      method: 'tcgm',
      preset: 'tiny',
      seeds: [0],
      epochs: 2,
      hyperparameters: {},
      train: {},
      createdAt: '2026-01-01T00:00:00Z',
      classNames: ['NC', 'AD']
    })
  )
  await fsp.writeFile(
    join(run, 'status.json'),
    JSON.stringify({ status, message: null, pid: process.pid, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' })
  )
  await fsp.writeFile(
    join(run, 'seed-0', 'result.json'),
    JSON.stringify({
      seed: 0,
      subjectIds: ['S1', 'S2'],
      classNames: ['NC', 'AD'],
      modalities: ['smri', 'pet'],
      selectedEpoch: 1,
      posteriors: {
        modalities: [
          [0.3, 0.7, 0.5, 0.5],
          [0.6, 0.4, null, null]
        ],
        aggregator: [0.4, 0.6, 0.5, 0.5]
      },
      predicted: [1, 0],
      evaluation: {},
      history: [],
      seconds: 1
    })
  )
  writeCheckpoint(ckptFile(), { kind: 'tcgm-selected-models', epoch: 1, modalities: ['smri', 'pet'], models: states })
}

beforeAll(async () => {
  await chooseBackend('wasm', undefined, {})
  crop = new Float32Array(cropSize)
  for (let v = 0; v < cropSize; v++) crop[v] = 0.5 + 0.4 * Math.sin(v * 0.37) * Math.cos(v * 0.011)
  // Two 'tiny' DenseNets as training builds them (random weights: the maps are not about
  // anatomy here, only about where they land).
  for (const [m, seed] of [
    ['smri', 3],
    ['pet', 4]
  ] as const) {
    const model = await createImageModalityModel({ modality: m, numClasses: 2, preset: 'tiny', crops: { dims, channels: 2, samples: [crop] }, seed })
    states.push(await model.getState())
    await model.dispose()
  }
  await createStudy(study)
  const key = 'abcdef0123456789abcdef01'
  await writeCacheEntry(
    study,
    {
      key,
      source: '/cohort/S1_T1.nii.gz',
      modality: 'smri',
      settingsHash: 'x',
      createdAt: '2026-01-01T00:00:00Z',
      stats: { hippocampalGmMl: 1, hippocampalMeanSuvr: null, nonFiniteVoxels: 0 },
      steps: []
    },
    { dims, channels: 2, data: crop },
    { left: MNI_2MM.affine, right: MNI_2MM.affine }
  )
  await mutateStudy(study, async (s) => {
    const scan = {
      path: '/cohort/S1_T1.nii.gz',
      visit: 'bl',
      size: 1,
      mtimeMs: 1,
      series: null,
      imageId: null,
      suv: null,
      cacheKey: key,
      stats: null,
      input: null,
      qc: null
    }
    s.file.subjects.push({ id: 'S1', sessionId: 'ses-M00', group: null, sex: null, age: null, scans: { smri: scan } })
    s.file.subjects.push({ id: 'S2', sessionId: 'ses-M00', group: null, sex: null, age: null, scans: { smri: { ...scan, cacheKey: null } } })
    await saveStudyFile(s)
  })
  await writeRun()
}, 60_000)

describe('the state network', () => {
  it('classifies like the model it was saved from', async () => {
    const model = await createImageModalityModel({ modality: 'smri', numClasses: 2, preset: 'tiny', crops: { dims, channels: 2, samples: [crop] }, seed: 3 })
    const logp = await model.predictLogProbs([0])
    const before = tf.memory().numTensors
    const net = createStateNet(states[0]!, 'test state')
    const p = await net.predictProbs([crop], dims, 2)
    expect(p[0]).toBeCloseTo(Math.exp(logp[0]!), 5)
    expect(p[1]).toBeCloseTo(Math.exp(logp[1]!), 5)
    net.dispose()
    expect(tf.memory().numTensors).toBe(before)
    await model.dispose()
  })
})

describe('attribution maps of a run', () => {
  it('maps onto the hippocampal boxes of the MNI grid only, and caches the map in the run folder', async () => {
    // Cubes every 4 voxels instead of 2 (default): 4x fewer forward passes for the test.
    const quick = { stride: 4 }
    expect(await readAttribution({ study, subject: 'S1', modality: 'smri' }, quick)).toBeNull()
    const progress: number[] = []
    const { map, cached } = await computeAttribution(
      { study, subject: 'S1', modality: 'smri' },
      { ...quick, compute: inProcess, onProgress: (f) => progress.push(f) }
    )
    expect(cached).toBe(false)
    expect(map).toMatchObject({
      runId,
      subject: 'S1',
      modality: 'smri',
      className: 'AD',
      classIndex: 1,
      seeds: [0],
      cubeVoxels: 4,
      strideVoxels: 4,
      exportedProbability: 0.7
    })
    expect(progress.length).toBeGreaterThan(3)
    expect(progress.at(-1)).toBeCloseTo(1, 6)
    expect(map.volume.dims).toEqual([91, 109, 91])
    expect(map.volume.affine).toEqual(MNI_2MM.affine)
    expect(map.volume.units).toBe('Δ p(AD)')
    // Non-zero voxels only inside the boxes; some in each box.
    const inBox = new Uint8Array(map.volume.data.length)
    const perBox = [0, 0]
    ;[HIPPOCAMPUS_BOXES.left, HIPPOCAMPUS_BOXES.right].forEach((box, b) => {
      const [[i0, i1], [j0, j1], [k0, k1]] = boxToVoxelRange(box, MNI_2MM)
      for (let k = k0; k <= k1; k++) for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) inBox[i + 91 * (j + 109 * k)] = b + 1
    })
    let outside = 0
    map.volume.data.forEach((v, g) => {
      if (v === 0) return
      if (!inBox[g]) outside++
      else perBox[inBox[g]! - 1]!++
    })
    expect(outside).toBe(0)
    expect(perBox[0]).toBeGreaterThan(1000)
    expect(perBox[1]).toBeGreaterThan(1000)
    expect(map.maxAbs).toBeGreaterThan(0)
    expect(map.volume.robustRange).toEqual([-map.maxAbs, map.maxAbs])

    // The second look reads the file back.
    const file = join(study, 'runs', runId, 'attribution', 'S1-smri.bin')
    await fsp.stat(file)
    const again = await computeAttribution(
      { study, subject: 'S1', modality: 'smri' },
      { ...quick, compute: () => Promise.reject(new Error('must not compute')) }
    )
    expect(again.cached).toBe(true)
    expect(Array.from(again.map.volume.data)).toEqual(Array.from(map.volume.data))
    expect((await readAttribution({ study, subject: 'S1', modality: 'smri' }, quick))?.probability).toBe(map.probability)
    // Other occlusion settings are another map.
    expect(await readAttribution({ study, subject: 'S1', modality: 'smri' })).toBeNull()
    // A damaged cache file counts as absent (computed again and overwritten), not as an error.
    const good = await fsp.readFile(file)
    await fsp.writeFile(file, good.subarray(0, good.length - 6))
    expect(await readAttribution({ study, subject: 'S1', modality: 'smri' }, quick)).toBeNull()
    await fsp.writeFile(file, good)
  }, 60_000)

  it("recomputes when the run's models change (a retrained or resumed run)", async () => {
    writeCheckpoint(ckptFile(), { kind: 'tcgm-selected-models', epoch: 1, modalities: ['smri', 'pet'], models: [states[1]!, states[0]!] })
    utimesSync(ckptFile(), new Date(), new Date(Date.now() + 5000))
    expect(await readAttribution({ study, subject: 'S1', modality: 'smri' }, { stride: 4 })).toBeNull()
    let computed = 0
    const { cached } = await computeAttribution({ study, subject: 'S1', modality: 'smri' }, { compute: (t, cb) => (computed++, inProcess(t, cb)), stride: 4 })
    expect(cached).toBe(false)
    expect(computed).toBe(1)
    await writeRun()
  }, 60_000)

  it('runs in the attribution worker, and cancelling stops it', async () => {
    const controller = new AbortController()
    const fractions: number[] = []
    const run = computeAttribution(
      { study, subject: 'S1', modality: 'smri', runId },
      {
        stride: 8,
        signal: controller.signal,
        onProgress: (f) => {
          fractions.push(f)
          if (f > 0.05) controller.abort(new Error('cancelled by the test'))
        }
      }
    )
    await expect(run).rejects.toThrow('cancelled by the test')
    expect(fractions.length).toBeGreaterThan(0)
    expect(await readAttribution({ study, subject: 'S1', modality: 'smri' }, { stride: 8 })).toBeNull()
    // Uncancelled, the worker finishes and its map is the in-process one.
    const viaWorker = await computeAttribution({ study, subject: 'S1', modality: 'smri' }, { stride: 8 })
    expect(viaWorker.cached).toBe(false)
    await fsp.rm(join(study, 'runs', runId, 'attribution'), { recursive: true })
    const local = await computeAttribution({ study, subject: 'S1', modality: 'smri' }, { stride: 8, compute: inProcess })
    const a = viaWorker.map.volume.data
    const b = local.map.volume.data
    let worst = 0
    for (let g = 0; g < a.length; g++) worst = Math.max(worst, Math.abs(a[g]! - b[g]!))
    expect(worst).toBeLessThan(1e-5)
  }, 120_000)

  it('names the run, the subject or the file in its errors', async () => {
    const ask = (over: Partial<Parameters<typeof readAttribution>[0]>) => readAttribution({ study, subject: 'S1', modality: 'smri', ...over })
    await expect(ask({ runId: 'no-such-run' })).rejects.toThrow(/run 'no-such-run' is not a run of .*study/)
    await expect(ask({ subject: 'S9' })).rejects.toThrow(/no subject 'S9'/)
    await expect(ask({ modality: 'pet' })).rejects.toThrow(/subject S1 has no PET scan/)
    await expect(ask({ subject: 'S2' })).rejects.toThrow(/subject S2: the sMRI scan .* was not preprocessed/)
    await writeRun('failed')
    await expect(ask({ runId })).rejects.toThrow(new RegExp(`run ${runId} is failed, not finished`))
    await expect(ask({})).rejects.toThrow(/no finished training run/)
    await writeRun()
    await fsp.rm(ckptFile())
    await expect(ask({})).rejects.toThrow(
      new RegExp(`run ${runId} seed 0: the model files are missing \\(looked for .*selected-models.ckpt and .*loop.ckpt\\)`)
    )
    await writeRun()
  })
})

describe('through the API', () => {
  const api = createApiRuntime({ shell: 'browser', userDataDir: join(root, 'user'), allowedRoots: [root], validateOutputs: true, handlers })
  const { events, jobEnd } = recordEvents(api)

  it('validates the arguments, and refuses an unknown run before starting a job', async () => {
    for (const bad of [
      { study, subject: 'S1', modality: 'ct' },
      { study, modality: 'smri' },
      { study, subject: 'S1', modality: 'smri', extra: 1 }
    ]) {
      const r = await api.dispatch('viewer.attribution.compute', bad)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('invalid-args')
    }
    const r = await api.dispatch('viewer.attribution.compute', { study, subject: 'S1', modality: 'smri', runId: 'nope' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).toMatch(/run 'nope' is not a run of/)
    expect(events.filter((e) => e.name.startsWith('job.'))).toEqual([])
  })

  it('a compute job reports progress and can be cancelled', async () => {
    const r = await api.dispatch('viewer.attribution.compute', { study, subject: 'S1', modality: 'smri' })
    expect(r.ok).toBe(true)
    const { jobId } = (r as { result: { jobId: string } }).result
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (events.some((e) => e.name === 'job.progress' && e.payload.jobId === jobId)) {
          clearInterval(t)
          resolve()
        }
      }, 20)
    })
    expect((await api.dispatch('job.cancel', { jobId })).ok).toBe(true)
    const end = await jobEnd(jobId)
    expect(end).toMatchObject({ name: 'job.error', payload: { cancelled: true } })
    expect((await api.dispatch('viewer.attribution', { study, subject: 'S1', modality: 'smri' })).ok).toBe(true)
  }, 30_000)

  it('answers a computed map within the contract (the Float32Array volume included), and a job reads it back', async () => {
    // A known crop map stands in for the forward passes (computed above and in the worker test).
    const fake = new Float32Array(cropSize).fill(NaN)
    fake[0] = 0.5
    await computeAttribution(
      { study, subject: 'S1', modality: 'smri' },
      { compute: async () => ({ map: fake, probabilities: [[0.4, 0.6]], window: { offset: [2, 2, 2], size: [17, 21, 20] }, passes: 1 }) }
    )
    const got = await api.dispatch('viewer.attribution', { study, subject: 'S1', modality: 'smri' })
    expect(got.ok).toBe(true)
    const map = AttributionMap.parse((got as { result: unknown }).result)
    expect(map.volume.data).toBeInstanceOf(Float32Array)
    expect(map.volume.data[index.gridIndex[0]!]).toBe(0.5)
    expect(map.probability).toBeCloseTo(0.6, 6)
    const r = await api.dispatch('viewer.attribution.compute', { study, subject: 'S1', modality: 'smri' })
    const end = await jobEnd((r as { result: { jobId: string } }).result.jobId)
    expect(end.name).toBe('job.done')
    expect(AttributionSummary.parse(end.payload.result)).toMatchObject({ runId, subject: 'S1', modality: 'smri', cached: true })
  })
})
