/**
 * Viewer benchmark: time to first render of an sMRI + PET pair and time per slice change, in
 * headless Debian Chromium with WebGL through SwiftShader (the flags of DESIGN.md).
 *
 *   node --import tsx bench/viewer-bench.ts [--slices N] [--layout all|fused|compare] [--keep] [--page DIR]
 *
 * The page is the real ViewerView (bench/viewer/) built with Vite under the app's CSP; its API
 * client answers `viewer.subject` with real MNI volumes: the shared fixtures' ICBM 2009a grey
 * matter map as sMRI and SPM12's PET template as PET (through our reader and the viewer's
 * payload code, encoded with the bridge's typed-array codec). Cohort distributions are
 * placeholders drawn from two normal laws: they only fill the summary panel.
 *
 * What it measures (all in the page, with performance.now()):
 * - first render, main panel / all panels: from the moment the viewer has the subject's payload
 *   (start of its load(): volumes into cornerstone, views built) until the main panel's views
 *   (the first row: sMRI + PET fused, or sMRI in 'compare') / every view have drawn their first
 *   slice (cornerstone's IMAGE_RENDERED: the pixels are on the view's canvas). The main panel is
 *   drawn one frame before the others, so "all panels" is the time to the complete picture.
 * - page load -> first render: from page.goto until every view has drawn (bundle, cornerstone
 *   init, fetch and decode of the payload included), measured from Node.
 * - slice change, main panel / all panels: from a wheel event on the main panel's axial view until
 *   its axial view / every axial view has drawn the next slice, before the browser composites the
 *   frame (the old single measure was "all panels"). The views whose slice did not change (coronal
 *   and sagittal) are not drawn again; "views drawn per slice change" counts what was drawn.
 * The load average of the machine is printed with the numbers (SwiftShader runs on the CPU), and
 * so is the render scale the viewer chose (under software WebGL it draws at reduced resolution).
 *
 * Writes a screenshot to bench-output/viewer-bench.png.
 */
import { createServer, type Server } from 'node:http'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg as osLoadavg, tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { build } from 'vite'
import vue from '@vitejs/plugin-vue'
import { chromium } from 'playwright-core'
import type { ViewerSubject } from '../src-main/api/contracts/viewer'
import { encodeWire } from '../src-main/api/wire/typed-codec'
import { readNifti } from '../src-main/readers/nifti/read'
import { cspMeta } from '../src-main/api/csp'
import { boxesOnGrid } from '../src-main/viewer/subject-view'
import { volumeToPayload } from '../src-main/viewer/payload'
import { fixturesDir, haveFixtures, fixturesSkipReason, repoRoot } from '../test/helpers/shared'
import { chromiumArgs, chromiumPath } from '../test/e2e/chromium'

const types: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json'
}

/** Deterministic normal draws (Box-Muller on a small LCG) for the placeholder cohort. */
function normals(n: number, mean: number, sd: number, seed: number): number[] {
  let s = seed >>> 0
  const u = () => ((s = (1664525 * s + 1013904223) >>> 0) + 1) / 4294967297
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()))
}

export async function benchSubject(): Promise<ViewerSubject> {
  const gmFile = join(fixturesDir, 'icbm2009a_gm_mni2mm.nii.gz')
  const petFile = join(fixturesDir, 'spm12_pet_template_mni2mm.nii')
  const gm = await readNifti(gmFile)
  const pet = await readNifti(petFile)
  return {
    subject: 'bench_S_0001',
    classNames: ['NC', 'AD'],
    label: null,
    smri: volumeToPayload(gm, 'smri', gmFile, { quantity: 'Grey-matter probability', units: 'p' }),
    pet: volumeToPayload(pet, 'pet', petFile, { quantity: 'PET template uptake', units: 'a.u.' }),
    boxes: boxesOnGrid(gm),
    measures: [
      {
        key: 'hippocampalGmMl',
        label: 'Hippocampal grey matter',
        description: 'Grey matter inside the two hippocampal boxes',
        units: 'mL',
        subject: 7.1,
        cohortRange: { min: 5, max: 9, n: 80 },
        groups: [
          { name: 'NC', values: normals(40, 7.5, 0.6, 1) },
          { name: 'AD', values: normals(40, 6.2, 0.7, 2) }
        ]
      },
      {
        key: 'hippocampalMeanSuvr',
        label: 'Hippocampal mean SUVR',
        description: 'Mean SUVR inside the two hippocampal boxes',
        units: 'SUVR',
        subject: 1.1,
        cohortRange: { min: 0.8, max: 1.4, n: 80 },
        groups: [
          { name: 'NC', values: normals(40, 1.2, 0.08, 3) },
          { name: 'AD', values: normals(40, 1.0, 0.09, 4) }
        ]
      }
    ],
    prediction: {
      runId: 'bench',
      verdicts: [
        { model: 'smri', probabilities: [0.7, 0.3], predicted: 'NC', confidence: 0.7 },
        { model: 'pet', probabilities: [0.35, 0.65], predicted: 'AD', confidence: 0.65 },
        { model: 'aggregator', probabilities: [0.56, 0.44], predicted: 'NC', confidence: 0.56 }
      ]
    },
    consultedRunId: 'bench'
  }
}

/** Builds the harness page into `outDir` (production build, like the app's renderer). */
export async function buildHarness(outDir: string): Promise<void> {
  await build({
    root: resolve(repoRoot, 'bench/viewer'),
    base: './',
    logLevel: 'warn',
    configFile: false,
    resolve: { alias: { '@contract': resolve(repoRoot, 'src-main/api') } },
    plugins: [vue(), { name: 'bench-csp', transformIndexHtml: (html: string) => html.replace('%TCGM_CSP%', cspMeta) }],
    // Not minified: saves a minute of CPU on shared machines; rendering timings do not depend on it.
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 8000, minify: false }
  })
}

export function serve(dir: string, subjectWire: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    if (path === '/subject.wire') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(subjectWire)
      return
    }
    const file = resolve(dir, '.' + (path === '/' ? '/index.html' : path))
    if (!file.startsWith(dir)) {
      res.writeHead(403).end()
      return
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' })
        res.end(body)
      },
      () => res.writeHead(404).end()
    )
  })
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })))
}

function loadavg(): string {
  return osLoadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b)
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  return `mean ${mean.toFixed(1)} ms, median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (n=${xs.length})`
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      slices: { type: 'string', default: '20' },
      layout: { type: 'string', default: 'all' },
      keep: { type: 'boolean', default: false },
      page: { type: 'string' }
    }
  })
  if (!haveFixtures) {
    console.error(fixturesSkipReason)
    return 2
  }
  const slices = Number(values.slices)
  const work = await mkdtemp(join(tmpdir(), 'tcgm-viewer-bench-'))
  // --page DIR: a harness page built before (kept with --keep), to skip the build.
  const outDir = values.page ? resolve(values.page) : join(work, 'page')
  let t = performance.now()
  if (!values.page) {
    await buildHarness(outDir)
    console.log(`harness build: ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
  const wire = encodeWire(await benchSubject())
  const { server, url } = await serve(outDir, wire)
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('console', (m) => (m.type() === 'error' ? problems.push(`console: ${m.text()}`) : undefined))
    t = performance.now()
    await page.goto(`${url}?layout=${encodeURIComponent(values.layout!)}`)
    await page.waitForSelector('[data-testid=viewer][data-first-render-ms]:not([data-first-render-ms=""])', { timeout: 60_000 })
    const pageToFirstRender = performance.now() - t
    const firstRender = Number(await page.getAttribute('[data-testid=viewer]', 'data-first-render-ms'))
    const views = await page.locator('[data-viewport]').count()
    const canvasSize = await page.evaluate(
      `(() => { const c = document.querySelector('canvas.cornerstone-canvas'); return c.width + 'x' + c.height + ' (element ' + c.clientWidth + 'x' + c.clientHeight + ' CSS px)' })()`
    )
    // The resolution the viewer chose: fraction of the display's pixel ratio, the ratio, the renderer.
    const renderScale = await page.getAttribute('[data-testid=viewer]', 'data-render-scale')
    const renderRatio = await page.getAttribute('[data-testid=viewer]', 'data-render-ratio')
    const renderer = await page.getAttribute('[data-testid=viewer]', 'data-renderer')
    // Timings of blank views would mean nothing: check that the first view drew an image.
    const lit = Number(
      await page.evaluate(`(() => {
        const c = document.querySelector('[data-viewport]').parentElement.querySelector('canvas.cornerstone-canvas')
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
        let n = 0
        for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) > 30) n++
        return n / (c.width * c.height)
      })()`)
    )
    if (lit < 0.05) throw new Error(`the first view is blank (${(100 * lit).toFixed(1)}% lit): timings would be meaningless`)

    const mainRender = Number(await page.getAttribute('[data-testid=viewer]', 'data-main-render-ms'))
    const mainViews = await page.locator('.panel-row:first-child [data-viewport]').count()

    // Slice changes: wheel on the main panel's axial view; each returns when the main panel's
    // axial view, then every axial view, drew its new slice.
    const perSlice: { main: number; all: number; views: number }[] = []
    for (let i = 0; i < slices; i++) {
      perSlice.push((await page.evaluate(`window.benchSliceChange(${i % 10 < 5 ? 100 : -100})`)) as { main: number; all: number; views: number })
    }
    await mkdir(resolve(repoRoot, 'bench-output'), { recursive: true })
    const shot = resolve(repoRoot, 'bench-output/viewer-bench.png')
    await page.screenshot({ path: shot })
    const axialViews = await page.locator('[data-viewport$="-axial"]').count()
    const drawn = [...new Set(perSlice.map((s) => s.views))].join(' or ')
    console.log(
      `views: ${views} (layout '${values.layout}'), ${canvasSize} canvas px each, volumes 91x109x91 sMRI + PET; first view ${(100 * lit).toFixed(0)}% lit; load ${loadavg()}`
    )
    console.log(`render scale: ${renderScale} of the display's resolution (pixel ratio ${renderRatio}; WebGL renderer: ${renderer || 'unknown'})`)
    console.log(`first render, main panel (payload in hand -> its ${mainViews} views drawn): ${mainRender.toFixed(0)} ms   [goal < 1500 ms]`)
    console.log(`first render, all panels (payload in hand -> every view drawn): ${firstRender.toFixed(0)} ms   [goal < 1500 ms]`)
    console.log(
      `page load -> first render, all panels (bundle, cornerstone init, fetch + decode ${(wire.length / 1e6).toFixed(1)} MB): ${pageToFirstRender.toFixed(0)} ms`
    )
    console.log(
      `slice change, main panel (wheel -> its axial view drew the new slice, before the browser composites the frame): ${stats(perSlice.map((s) => s.main))}   [goal < 50 ms]`
    )
    console.log(`slice change, all panels (wheel -> all ${axialViews} axial views drew the new slice): ${stats(perSlice.map((s) => s.all))}   [goal < 50 ms]`)
    console.log(`views drawn per slice change: ${drawn} (of ${views})`)
    console.log(`screenshot: ${shot}`)
    if (problems.length) console.log(`page problems:\n  ${problems.join('\n  ')}`)
    return 0
  } finally {
    await browser.close()
    server.close()
    if (!values.keep) await rm(work, { recursive: true, force: true })
    else console.log(`page kept in ${outDir}`)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(__filename)) {
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(err)
      process.exitCode = 1
    }
  )
}
