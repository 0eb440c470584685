/**
 * The viewer end to end in browser mode (Debian Chromium, WebGL through SwiftShader): a small
 * demo study is created in the UI, a subject opened from the subjects table, and the rendered
 * pixels are checked:
 * - the sMRI is drawn (not a blank canvas);
 * - the PET overlay colours the fused view inside the hippocampal box, and wherever the PET
 *   alone is below the threshold (transparent there) the fused view stays grey-scale;
 * - a click in one view moves the crosshair, and the slices, of the other views of both panels;
 * - after a short training run, the PET model's attribution map is computed from the side panel
 *   and its colours appear inside the hippocampal boxes and nowhere else.
 * Screenshots: test-output/screenshots/viewer-*.png.
 */
import { describe, expect, inject, it } from 'vitest'
import type { Page } from 'playwright-core'
import { browserForSuite, screenshot, type BrowserSession } from './browser'
import { callBridge } from './bridge-api'

const bridge = inject('bridge')
let session: BrowserSession
let page: Page
let subjectId = ''
let study = ''

function api<T>(name: string, args: unknown): Promise<T> {
  return callBridge<T>(bridge, name, args)
}

interface CanvasStats {
  width: number
  height: number
  /** Pixels brighter than a dark background. */
  lit: number
  /** Pixels with a clearly coloured (not grey) RGB. */
  coloured: number
  /** Rough fingerprint of the image, to see that a slice changed. */
  hash: number
}

/**
 * Pixel statistics of a view's canvas, computed in the page. `which` is 'image' (cornerstone's
 * canvas) or 'overlay' (the crosshair / boxes layer); `rect` limits the count to a region.
 */
async function canvasStats(viewport: string, which: 'image' | 'overlay', rect?: { x: number; y: number; w: number; h: number }): Promise<CanvasStats> {
  const selector = which === 'image' ? 'canvas.cornerstone-canvas' : 'canvas.vp-overlay'
  return page.evaluate(`(() => {
    const cell = document.querySelector('[data-viewport="${viewport}"]').parentElement
    const canvas = cell.querySelector('${selector}')
    const ctx = canvas.getContext('2d')
    const { width, height } = canvas
    const r = ${JSON.stringify(rect ?? null)} || { x: 0, y: 0, w: width, h: height }
    const d = ctx.getImageData(r.x, r.y, r.w, r.h).data
    let lit = 0, coloured = 0, hash = 0
    for (let i = 0; i < d.length; i += 4) {
      const max = Math.max(d[i], d[i + 1], d[i + 2]), min = Math.min(d[i], d[i + 1], d[i + 2])
      if (max > 30) lit++
      if (max - min > 60) coloured++
      hash = (hash * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1000003
    }
    return { width, height, lit, coloured, hash }
  })()`)
}

/** Bounding rectangle of the pixels of one colour family on a view's overlay canvas. */
async function overlayRect(viewport: string, kind: 'box' | 'crosshair'): Promise<{ x: number; y: number; w: number; h: number } | null> {
  // Boxes are drawn yellow (255, 214, 0), the crosshair green (80, 220, 120).
  const test = kind === 'box' ? 'd[i] > 200 && d[i + 1] > 150 && d[i + 2] < 90' : 'd[i] < 140 && d[i + 1] > 170 && d[i + 2] > 80 && d[i + 2] < 170'
  return page.evaluate(`(() => {
    const cell = document.querySelector('[data-viewport="${viewport}"]').parentElement
    const canvas = cell.querySelector('canvas.vp-overlay')
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
    let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] < 128 || !(${test})) continue
      const p = i / 4, x = p % canvas.width, y = Math.floor(p / canvas.width)
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y
    }
    return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }
  })()`)
}

/** Where the crosshair's vertical and horizontal lines are on a view (overlay pixels, column / row). */
async function crosshairAt(viewport: string): Promise<{ x: number; y: number }> {
  return page.evaluate(`(() => {
    const cell = document.querySelector('[data-viewport="${viewport}"]').parentElement
    const canvas = cell.querySelector('canvas.vp-overlay')
    const { width, height } = canvas
    const d = canvas.getContext('2d').getImageData(0, 0, width, height).data
    const green = (x, y) => { const i = 4 * (y * width + x); return d[i + 3] > 128 && d[i] < 140 && d[i + 1] > 170 && d[i + 2] > 80 && d[i + 2] < 170 }
    // The vertical line crosses row 3 (away from the edge letters), the horizontal one column 3... unless
    // it is hidden behind a letter: take the column / row with the most green pixels.
    let bestX = -1, nX = 0, bestY = -1, nY = 0
    for (let x = 0; x < width; x++) { let n = 0; for (let y = 0; y < height; y++) if (green(x, y)) n++; if (n > nX) { nX = n; bestX = x } }
    for (let y = 0; y < height; y++) { let n = 0; for (let x = 0; x < width; x++) if (green(x, y)) n++; if (n > nY) { nY = n; bestY = y } }
    return { x: bestX, y: bestY }
  })()`)
}

/** Waits until the viewer has rendered more views since `count`. */
async function rendersAfter(count: number, views: number): Promise<void> {
  // Polled from here: page.waitForFunction evaluates its predicate with eval() in the page,
  // which the app's CSP (rightly) refuses.
  const deadline = Date.now() + 15_000
  while ((await renderCount()) < count + views) {
    if (Date.now() > deadline)
      throw new Error(`the viewer did not render ${views} more view(s) within 15 s (render count ${await renderCount()}, expected >= ${count + views})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function renderCount(): Promise<number> {
  return Number(await page.getAttribute('[data-testid=viewer]', 'data-render-count'))
}

browserForSuite('viewer', { width: 1400, height: 1000 }, (s) => {
  session = s
  page = s.page
})

describe('the volume viewer', () => {
  it('opens a demo subject from the subjects table and draws every view', async () => {
    await page.goto(bridge.url)
    await page.getByTestId('demo-subjects').fill('6')
    await page.getByTestId('create-demo').click()
    await page.getByTestId('subjects-count').waitFor({ timeout: 60_000 })
    study = (await api<Array<{ path: string }>>('studies.recent', {}))[0].path
    const rows = (await api<{ rows: Array<{ id: string; hasSmri: boolean; hasPet: boolean }> }>('subjects.list', { study })).rows
    subjectId = rows.find((r) => r.hasSmri && r.hasPet)!.id
    await page.getByRole('button', { name: `Open ${subjectId} in the viewer` }).click()
    await page.waitForSelector('[data-testid=viewer][data-first-render-ms]:not([data-first-render-ms=""])', { timeout: 30_000 })
    // Under software WebGL a first opening shows the fused views only (each view costs every
    // slice change about 30 ms there) and the header says how to see each modality alone.
    expect(await page.getByTestId('layout').inputValue()).toBe('fused')
    expect(await page.locator('[data-viewport]').count()).toBe(3)
    expect(await page.getByTestId('render-note').textContent()).toMatch(/fused views only/)
    await screenshot(page, 'viewer-1a-opened-fused')
    const beforeLayout = await renderCount()
    await page.getByTestId('layout').selectOption('all')
    await rendersAfter(beforeLayout, 9)
    expect(await page.locator('[data-viewport]').count()).toBe(9)
    expect(await page.getByTestId('render-note').textContent()).not.toMatch(/fused views only/)
    await screenshot(page, 'viewer-1-opened')
    expect(session.problems).toEqual([])

    // WebGL here is SwiftShader: the views render at reduced resolution (about 2 device pixels per
    // voxel, backing store smaller than the element) and the header says so.
    const root = page.locator('[data-testid=viewer]')
    expect(await root.getAttribute('data-renderer')).toMatch(/swiftshader/i)
    const scale = Number(await root.getAttribute('data-render-scale'))
    expect(scale).toBeGreaterThanOrEqual(0.25)
    expect(scale).toBeLessThan(1)
    expect(await page.locator('[data-testid=render-note]').isVisible()).toBe(true)
    const ratio = Number(await root.getAttribute('data-render-ratio'))
    const [backing, css] = (await page.evaluate(
      `(() => { const c = document.querySelector('[data-viewport="fused-axial"] canvas.cornerstone-canvas'); return [c.width, c.clientWidth] })()`
    )) as number[]
    expect(Math.abs(backing - css * ratio)).toBeLessThanOrEqual(1)

    // The base image is not blank: a good part of the sMRI axial slice is lit, with detail.
    const smri = await canvasStats('smri-axial', 'image')
    expect(smri.width).toBeGreaterThan(100)
    expect(smri.lit / (smri.width * smri.height)).toBeGreaterThan(0.15)
    expect(smri.coloured).toBe(0)
    // ...and every view has drawn its slice by the time the viewer says it rendered.
    for (const kind of ['fused', 'smri', 'pet']) {
      for (const plane of ['axial', 'coronal', 'sagittal']) {
        const v = await canvasStats(`${kind}-${plane}`, 'image')
        expect(v.lit / (v.width * v.height), `${kind}-${plane} lit`).toBeGreaterThan(0.1)
      }
    }
    // The cursor readout names MNI mm and the voxel of each modality with their values.
    const box = await page.locator('[data-viewport="smri-axial"]').boundingBox()
    await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2)
    const readout = page.getByTestId('readout')
    await readout.filter({ hasText: 'sMRI voxel' }).waitFor()
    expect(await readout.textContent()).toMatch(
      /MNI \(-?\d+\.\d, -?\d+\.\d, -?\d+\.\d\) mm.*sMRI voxel \[\d+, \d+, \d+\] = .*PET voxel \[\d+, \d+, \d+\] = .*SUVR/s
    )
  })

  it('colours the hippocampal box with the PET overlay, and nothing where the PET is below the threshold', async () => {
    // The crosshair starts in the left hippocampus: the axial slice cuts its box.
    const hippocampus = await overlayRect('fused-axial', 'box')
    expect(hippocampus).not.toBeNull()
    const inside = { x: hippocampus!.x + 2, y: hippocampus!.y + 2, w: hippocampus!.w - 4, h: hippocampus!.h - 4 }

    // With the threshold at the bottom of the display range, the overlay covers the box region.
    const before = await renderCount()
    const min = await page.getByTestId('display-min').inputValue()
    await page.getByTestId('threshold').fill(min)
    await page.getByTestId('threshold').press('Enter')
    await rendersAfter(before, 9)
    const low = await canvasStats('fused-axial', 'image', inside)
    expect(low.coloured / (inside.w * inside.h)).toBeGreaterThan(0.5)
    await screenshot(page, 'viewer-2-threshold-low')

    // With the threshold above every PET value, the fused view is grey-scale anatomy only.
    const max = await page.getByTestId('display-max').inputValue()
    const again = await renderCount()
    await page.getByTestId('threshold').fill(String(Number(max) * 10))
    await page.getByTestId('threshold').press('Enter')
    await rendersAfter(again, 9)
    const high = await canvasStats('fused-axial', 'image')
    expect(high.coloured).toBe(0)
    expect(high.lit).toBeGreaterThan(0)

    // Threshold half-way: pixel by pixel, where the PET alone is transparent (black) the fused
    // view is grey, and where the PET alone is coloured the fused view is coloured too. The
    // fused and PET views have the same size and camera, so their pixels correspond.
    const mid = ((Number(min) + Number(max)) / 2).toFixed(3)
    const third = await renderCount()
    await page.getByTestId('threshold').fill(mid)
    await page.getByTestId('threshold').press('Enter')
    await rendersAfter(third, 9)
    const agreement = (await page.evaluate(`(() => {
      const read = (id) => { const c = document.querySelector('[data-viewport="' + id + '"]').parentElement.querySelector('canvas.cornerstone-canvas'); return c.getContext('2d').getImageData(0, 0, c.width, c.height).data }
      const fused = read('fused-axial'), pet = read('pet-axial')
      const isColoured = (d, i) => Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60
      let transparent = 0, greyWhereTransparent = 0, overlaid = 0, colouredWhereOverlaid = 0
      for (let i = 0; i < pet.length; i += 4) {
        const petMax = Math.max(pet[i], pet[i + 1], pet[i + 2])
        if (petMax < 8) { transparent++; if (!isColoured(fused, i)) greyWhereTransparent++ }
        else if (petMax > 120 && isColoured(pet, i)) { overlaid++; if (isColoured(fused, i)) colouredWhereOverlaid++ }
      }
      return { transparent, greyWhereTransparent, overlaid, colouredWhereOverlaid }
    })()`)) as { transparent: number; greyWhereTransparent: number; overlaid: number; colouredWhereOverlaid: number }
    expect(agreement.transparent).toBeGreaterThan(1000)
    expect(agreement.overlaid).toBeGreaterThan(200)
    // Edges between voxels interpolate: allow a thin margin.
    expect(agreement.greyWhereTransparent / agreement.transparent).toBeGreaterThan(0.97)
    expect(agreement.colouredWhereOverlaid / agreement.overlaid).toBeGreaterThan(0.9)
    await screenshot(page, 'viewer-3-threshold-mid')
  })

  it('moves the crosshair and the slices of every other view, in both panels, on a click', async () => {
    const sagittalBefore = await canvasStats('fused-sagittal', 'image')
    const coronalBefore = await crosshairAt('fused-coronal')
    const crosshairBefore = await page.getAttribute('[data-testid=viewer]', 'data-crosshair')

    // Click in the fused axial view, 40 px right and 30 px below the current crosshair.
    const axial = await crosshairAt('fused-axial')
    const frame = (await page.locator('[data-viewport="fused-axial"]').boundingBox())!
    const before = await renderCount()
    await page.mouse.click(frame.x + axial.x + 40, frame.y + axial.y + 30)
    // The coronal and sagittal views of the three rows change slice; the axial ones keep theirs.
    await rendersAfter(before, 6)
    const crosshairAfter = await page.getAttribute('[data-testid=viewer]', 'data-crosshair')
    expect(crosshairAfter).not.toBe(crosshairBefore)
    // Same z: the axial slice stays; x and y changed.
    const [x0, y0, z0] = crosshairBefore!.split(',').map(Number)
    const [x1, y1, z1] = crosshairAfter!.split(',').map(Number)
    expect(z1).toBe(z0)
    expect(x1).not.toBe(x0)
    expect(y1).not.toBe(y0)

    // The axial view's crosshair follows the click (within a voxel).
    const axialAfter = await crosshairAt('fused-axial')
    expect(Math.abs(axialAfter.x - (axial.x + 40))).toBeLessThanOrEqual(4)
    expect(Math.abs(axialAfter.y - (axial.y + 30))).toBeLessThanOrEqual(4)
    // The coronal view's vertical line moved sideways, by the same sign; the sagittal slice changed.
    const coronalAfter = await crosshairAt('fused-coronal')
    expect(coronalAfter.x - coronalBefore.x).toBeGreaterThan(10)
    expect((await canvasStats('fused-sagittal', 'image')).hash).not.toBe(sagittalBefore.hash)
    // Both panels agree: each modality alone shows the crosshair where the fused view does.
    for (const plane of ['axial', 'coronal', 'sagittal']) {
      const fused = await crosshairAt(`fused-${plane}`)
      for (const alone of ['smri', 'pet']) expect(await crosshairAt(`${alone}-${plane}`), `${alone}-${plane}`).toEqual(fused)
    }
    await screenshot(page, 'viewer-4-crosshair-moved')

    // The wheel scrolls slices: the axial view's slice changes and the crosshair's z moves by one voxel.
    const axialImage = await canvasStats('fused-axial', 'image')
    const wheelFrom = await renderCount()
    await page.mouse.move(frame.x + 20, frame.y + 20)
    await page.mouse.wheel(0, -100)
    await rendersAfter(wheelFrom, 3)
    const z2 = Number((await page.getAttribute('[data-testid=viewer]', 'data-crosshair'))!.split(',')[2])
    expect(Math.abs(z2 - z1)).toBe(2)
    expect((await canvasStats('fused-axial', 'image')).hash).not.toBe(axialImage.hash)
    expect(session.problems).toEqual([])
  })

  it("computes the PET model's attribution map after training and draws it inside the hippocampal boxes only", async () => {
    // A short run through the bridge (tiny preset, one epoch), as the Train view would start it.
    await api('training.start', { study, method: 'tcgm', preset: 'tiny', seeds: 1, epochs: 1 })
    const deadline = Date.now() + 60_000
    for (;;) {
      const runs = await api<Array<{ status: string; message: string | null }>>('runs.list', { study })
      if (runs[0]?.status === 'done') break
      if (runs[0] && !['running', 'interrupted'].includes(runs[0].status)) throw new Error(`training ${runs[0].status}: ${runs[0].message}`)
      if (Date.now() > deadline) throw new Error('training did not finish within 60 s')
      await new Promise((r) => setTimeout(r, 250))
    }
    // Open the subject again: the viewer now has the run's verdicts, and the Attribution section.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: /^Subjects$/ })
      .click()
    await page.getByRole('button', { name: `Open ${subjectId} in the viewer` }).click()
    await page.waitForSelector('[data-testid=viewer][data-first-render-ms]:not([data-first-render-ms=""])', { timeout: 30_000 })
    // PET above every value: no PET colour anywhere, so every coloured pixel is the map's.
    const max = await page.getByTestId('display-max').inputValue()
    const hidePet = await renderCount()
    await page.getByTestId('threshold').fill(String(Number(max) * 10))
    await page.getByTestId('threshold').press('Enter')
    await rendersAfter(hidePet, 9)

    await page.getByTestId('attribution-modality').selectOption('pet')
    const started = Date.now()
    await page.getByTestId('attribution-compute').click()
    await page.getByTestId('attribution-progress').waitFor({ timeout: 10_000 })
    const before = await renderCount()
    await page.getByTestId('attribution-legend').waitFor({ timeout: 90_000 })
    const computeSeconds = (Date.now() - started) / 1000
    await rendersAfter(before, 9)
    expect(await page.getByTestId('attribution-legend').textContent()).toMatch(/p\(AD\)/)
    await screenshot(page, 'viewer-5-attribution')
    console.log(`attribution map (PET, 1 seed, tiny): ${computeSeconds.toFixed(1)} s from the click to the legend`)

    // Each box's rectangle on the fused axial view (the slice cuts both hippocampi), from the
    // yellow outlines of the overlay, in the image canvas's pixels.
    const result = (await page.evaluate(`(() => {
      const cell = (id) => document.querySelector('[data-viewport="' + id + '"]').parentElement
      const ov = cell('fused-axial').querySelector('canvas.vp-overlay')
      const od = ov.getContext('2d').getImageData(0, 0, ov.width, ov.height).data
      const yellow = (x, y) => { const i = 4 * (y * ov.width + x); return od[i + 3] > 128 && od[i] > 200 && od[i + 1] > 150 && od[i + 2] < 90 }
      const cols = []
      for (let x = 0; x < ov.width; x++) { for (let y = 0; y < ov.height; y++) if (yellow(x, y)) { cols.push(x); break } }
      // Columns with yellow, split where more than 12 px apart: one run per box.
      const runs = []
      for (const x of cols) { const last = runs[runs.length - 1]; if (last && x - last[1] <= 12) last[1] = x; else runs.push([x, x]) }
      const boxes = runs.map(([x0, x1]) => {
        // The box's left edge (its label is drawn right of it) gives its top and bottom.
        let y0 = Infinity, y1 = -1
        for (let y = 0; y < ov.height; y++) for (let x = x0; x <= x0 + 1; x++) if (yellow(x, y)) { y0 = Math.min(y0, y); y1 = Math.max(y1, y) }
        return { x0, x1, y0, y1 }
      })
      const stats = (id) => {
        const c = cell(id).querySelector('canvas.cornerstone-canvas')
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
        const s = c.width / ov.width
        const voxel = boxes.length ? (boxes[0].x1 - boxes[0].x0) / 17 : 0
        let inside = 0, outside = 0
        for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
          const i = 4 * (y * c.width + x)
          if (!(d[i + 2] - d[i + 1] > 40 && d[i + 2] > 80)) continue
          // A voxel of tolerance around each box: edge voxels are drawn half a voxel beyond the
          // outline, which joins voxel centres, and interpolation softens the edge.
          const ox = x / s, oy = y / s
          const near = boxes.some((b) => ox >= b.x0 - voxel && ox <= b.x1 + voxel && oy >= b.y0 - voxel && oy <= b.y1 + voxel)
          if (near) inside++; else outside++
        }
        return { inside, outside }
      }
      return { boxes, fused: stats('fused-axial'), pet: stats('pet-axial'), smri: stats('smri-axial') }
    })()`)) as {
      boxes: Array<{ x0: number; x1: number; y0: number; y1: number }>
      fused: { inside: number; outside: number }
      pet: { inside: number; outside: number }
      smri: { inside: number; outside: number }
    }
    expect(result.boxes).toHaveLength(2)
    expect(result.fused.inside, JSON.stringify(result)).toBeGreaterThan(50)
    expect(result.fused.outside, JSON.stringify(result)).toBe(0)
    // On the PET's own view too, and not on the sMRI's.
    expect(result.pet.inside).toBeGreaterThan(50)
    expect(result.pet.outside).toBe(0)
    expect(result.smri.inside + result.smri.outside).toBe(0)
    expect(session.problems).toEqual([])
  }, 180_000)
})
