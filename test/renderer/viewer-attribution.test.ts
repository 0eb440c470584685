/** The attribution map in the viewer: its two-sided transparency, and the store's read / compute / cancel cycle. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises } from '@vue/test-utils'
import type { AttributionMap } from '@contract/contracts/viewer'
import { setApi } from '../../src-renderer/src/api/client'
import { attributionOpacityPoints, defaultAttributionDisplay, showsAttribution } from '../../src-renderer/src/viewer/attribution'
import { useAttributionStore } from '../../src-renderer/src/viewer/attribution-store'
import { attributionColormap, colourAt, findColormap, overlayColormaps } from '../../src-renderer/src/viewer/colormaps'
import { FakeApi } from './fake-api'

/** Piecewise-linear value of the opacity function at x. */
function opacityAt(points: [number, number][], x: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!
    const [x1, y1] = points[i]!
    if (x <= x1) return x1 > x0 ? y0 + ((x - x0) / (x1 - x0)) * (y1 - y0) : y1
  }
  return points[points.length - 1]![1]
}

const MAP: AttributionMap = {
  runId: 'run-1',
  subject: '002_S_0295',
  modality: 'pet',
  className: 'AD',
  classIndex: 1,
  seeds: [0],
  cubeVoxels: 4,
  strideVoxels: 2,
  baseline: 'mean',
  probability: 0.7,
  exportedProbability: 0.7,
  maxAbs: 0.2,
  passes: 1441,
  seconds: 12,
  computedAt: '2026-11-27T00:00:00Z',
  volume: {
    modality: 'pet',
    source: 'attribution-run-1',
    dims: [2, 1, 1],
    spacing: [2, 2, 2],
    affine: [
      [-2, 0, 0, 90],
      [0, 2, 0, -126],
      [0, 0, 2, -72],
      [0, 0, 0, 1]
    ],
    data: new Float32Array([0.2, -0.1]),
    min: -0.1,
    max: 0.2,
    robustRange: [-0.2, 0.2],
    quantity: 'Occlusion',
    units: 'Δ p(AD)'
  }
}

describe('attribution display', () => {
  it('is transparent for |value| below the threshold on both sides, opaque beyond', () => {
    const d = { ...defaultAttributionDisplay(0.2), opacity: 0.8 }
    expect(d.range).toBe(0.2)
    expect(d.threshold).toBeCloseTo(0.03, 9)
    const pts = attributionOpacityPoints(d)
    for (const x of [0, 0.01, -0.01, 0.0299, -0.0299]) expect(opacityAt(pts, x), `at ${x}`).toBe(0)
    for (const x of [0.03, -0.03, 0.1, -0.2, 0.5, -0.5]) expect(opacityAt(pts, x), `at ${x}`).toBeCloseTo(0.8, 9)
  })

  it('shows the map on the fused views and on its own modality only', () => {
    expect(showsAttribution('fused', 'pet')).toBe(true)
    expect(showsAttribution('pet', 'pet')).toBe(true)
    expect(showsAttribution('smri', 'pet')).toBe(false)
    expect(showsAttribution('fused', null)).toBe(false)
  })

  it("has a colormap of its own whose every colour is bluer than green, unlike the PET's default hot map and grey", () => {
    expect(findColormap('tcgm-attribution')).toBe(attributionColormap)
    for (let t = 0; t <= 1; t += 0.05) {
      const [, g, b] = colourAt(attributionColormap, t)
      expect(b - g).toBeGreaterThan(60)
    }
    for (const id of ['tcgm-hot', 'tcgm-grey'])
      for (let t = 0; t <= 1; t += 0.05) {
        const [, g, b] = colourAt(findColormap(id), t)
        expect(b - g, `${id} at ${t}`).toBeLessThan(60)
      }
    expect(overlayColormaps.some((c) => c.id === attributionColormap.id)).toBe(false)
  })
})

describe('attribution store', () => {
  let api: FakeApi
  let computed: AttributionMap | null
  beforeEach(() => {
    setActivePinia(createPinia())
    computed = null
    api = new FakeApi()
      .handle('viewer.attribution', () => computed)
      .handle('viewer.attribution.compute', () => ({ jobId: 'job-7' }))
      .handle('job.cancel', () => ({ cancelled: true }))
    setApi(api)
  })
  afterEach(() => setApi(null))

  it('offers Compute when no map exists, computes it as a job with progress, then shows it', async () => {
    const s = useAttributionStore()
    s.setTarget('/study', '002_S_0295', 'run-1')
    await s.choose('pet')
    expect(s.status).toBe('missing')
    expect(api.callsOf('viewer.attribution')[0]).toEqual({ study: '/study', subject: '002_S_0295', runId: 'run-1', modality: 'pet' })
    const done = s.compute()
    await flushPromises()
    expect(s.status).toBe('computing')
    api.emit('job.progress', { jobId: 'job-7', kind: 'viewer.attribution', fraction: 0.25, message: 'seed 0 (1/1): 361/1441 forward passes' })
    expect(s.fraction).toBe(0.25)
    expect(s.message).toMatch(/361\/1441/)
    computed = MAP
    api.emit('job.done', { jobId: 'job-7', kind: 'viewer.attribution', result: {} })
    await done
    expect(s.status).toBe('ready')
    expect(s.map?.maxAbs).toBe(0.2)
    // Choosing none drops the map; choosing the modality again reads it back, no job.
    await s.choose('none')
    expect(s.map).toBeNull()
    await s.choose('pet')
    expect(s.status).toBe('ready')
    expect(api.callsOf('viewer.attribution.compute')).toHaveLength(1)
  })

  it('cancel ends the job and offers Compute again, without an error', async () => {
    const s = useAttributionStore()
    s.setTarget('/study', 'S', 'run-1')
    await s.choose('smri')
    const done = s.compute()
    await flushPromises()
    await s.cancel()
    expect(api.callsOf('job.cancel')).toEqual([{ jobId: 'job-7' }])
    api.emit('job.error', { jobId: 'job-7', kind: 'viewer.attribution', message: 'cancelled by the user', cancelled: true })
    await done
    expect(s.status).toBe('missing')
    expect(s.error).toBeNull()
  })

  it('stops a computation whose map is no longer wanted (another modality chosen)', async () => {
    const s = useAttributionStore()
    s.setTarget('/study', 'S', 'run-1')
    await s.choose('smri')
    const done = s.compute()
    await flushPromises()
    await s.choose('pet')
    expect(api.callsOf('job.cancel')).toEqual([{ jobId: 'job-7' }])
    api.emit('job.error', { jobId: 'job-7', kind: 'viewer.attribution', message: 'cancelled by the user', cancelled: true })
    await done
    expect(s.choice).toBe('pet')
    expect(s.status).toBe('missing')
    expect(s.error).toBeNull()
  })

  it("shows main's refusal, and forgets the map when the subject changes", async () => {
    const s = useAttributionStore()
    s.setTarget('/study', 'S', 'run-1')
    api.handle('viewer.attribution', () => {
      throw new Error('run run-1 seed 0: the model files are missing')
    })
    await s.choose('pet')
    expect(s.error).toMatch(/model files are missing/)
    s.setTarget('/study', 'T', 'run-1')
    expect(s.choice).toBe('none')
    expect(s.error).toBeNull()
  })
})
