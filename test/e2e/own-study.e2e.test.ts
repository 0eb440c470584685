/**
 * Issue 15's journey, in one browser session: the demo (hidden diagnoses stay hidden) -> a
 * second, empty study of the researcher's own -> import a small BIDS folder with good subjects
 * and one bad scan (the reason shown at preview and after the import) -> label with the keys ->
 * train -> import one more subject into the same study -> place it into the split -> train
 * again -> compare the two runs -> export. Screenshots: test-output/screenshots/own-*.png.
 */
import { promises as fsp, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import type { Page } from 'playwright-core'
import { generateDemoCohort, type DemoResult } from '../../src-main/demo/cohort'
import { browserForSuite, screenshot, type BrowserSession } from './browser'
import { callBridge } from './bridge-api'

const bridge = inject('bridge')
let session: BrowserSession
let page: Page
let cohort: DemoResult
const EPOCHS = 2
const GOOD = 10
const ownFolder = join(bridge.root, 'own-study')
const bids = join(bridge.root, 'own-bids')
const truth = new Map<string, 'NC' | 'AD'>()

const bidsId = (ptid: string) => `sub-ADNI${ptid.replace(/_S_/, 'S')}`

async function putSubject(root: string, s: DemoResult['subjects'][number]): Promise<void> {
  const id = bidsId(s.ptid)
  const anat = join(root, id, 'ses-M00', 'anat')
  const pet = join(root, id, 'ses-M00', 'pet')
  await fsp.mkdir(anat, { recursive: true })
  await fsp.mkdir(pet, { recursive: true })
  await fsp.copyFile(s.smri!, join(anat, `${id}_ses-M00_T1w.nii.gz`))
  await fsp.copyFile(s.pet!, join(pet, `${id}_ses-M00_pet.nii.gz`))
}

function api<T>(name: string, args: unknown): Promise<T> {
  return callBridge<T>(bridge, name, args)
}

async function nav(name: RegExp): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name }).click()
}

async function train(expectPlacement: boolean): Promise<void> {
  await nav(/^Train$/)
  if (expectPlacement) {
    await page.getByTestId('split-choice').waitFor({ timeout: 15_000 })
    expect(await page.getByTestId('split-place').isChecked()).toBe(true)
    await screenshot(page, 'own-7-place-into-split')
  }
  await page.getByTestId('preset').selectOption('tiny')
  await page.getByTestId('epochs').fill(String(EPOCHS))
  await page.getByTestId('train-start').click()
  await page.getByTestId('train-status').waitFor({ timeout: 60_000 })
  await page.getByTestId('see-results').waitFor({ timeout: 240_000 })
}

browserForSuite('own', { width: 1400, height: 900 }, (s) => {
  session = s
  page = s.page
})

describe("a researcher's own study, end to end", () => {
  it('the demo hides its hidden diagnoses in the Subjects table', async () => {
    cohort = await generateDemoCohort(join(bridge.root, 'own-cohort'), { subjects: GOOD + 2, seed: 11, missingPet: 0 })
    await page.goto(bridge.url)
    await page.getByTestId('demo-subjects').fill('24')
    await page.getByTestId('create-demo').click()
    await page.getByTestId('subjects-count').waitFor({ timeout: 180_000 })
    await page.locator('.vt-row').first().waitFor()
    const demo = (await api<Array<{ path: string }>>('studies.recent', {}))[0]!.path
    const rows = (await api<{ rows: Array<{ id: string; group: string | null; labelHidden: boolean }> }>('subjects.list', { study: demo })).rows
    const hidden = rows.filter((r) => r.labelHidden)
    expect(hidden.length).toBeGreaterThan(10)
    for (const r of hidden) expect(r.group, r.id).toBeNull()
    const firstHidden = [...rows]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, 10)
      .find((r) => r.labelHidden)!
    const row = page.locator('.vt-row').filter({ hasText: firstHidden.id })
    expect((await row.locator('[role="cell"]').nth(1).textContent())!.trim()).toBe('–')
    expect((await row.locator('[role="cell"]').nth(3).textContent())!.trim()).toBe('hidden')
    await screenshot(page, 'own-1-demo-subjects')
    // Searching "AD" finds only subjects whose visible data say AD, never a hidden diagnosis.
    await page.getByTestId('subjects-search').fill('AD')
    const expected = rows.filter((r) => !r.labelHidden && ((r.group ?? '').toLowerCase().includes('ad') || r.id.toLowerCase().includes('ad'))).length
    await page
      .getByTestId('subjects-count')
      .filter({ hasText: new RegExp(`^${expected} of 24 shown`) })
      .waitFor({ timeout: 5_000 })
    await page.getByTestId('subjects-search').fill('')
  }, 300_000)

  it('creates a second, empty study of its own name', async () => {
    await nav(/^Start$/)
    await page.getByTestId('new-study-folder').fill(ownFolder)
    await page.getByTestId('new-study-name').fill('Own cohort')
    await page.getByTestId('create-study').click()
    await page.getByTestId('import-target').filter({ hasText: 'Own cohort' }).waitFor({ timeout: 15_000 })
    expect(await page.getByTestId('nav-study').textContent()).toBe('Own cohort')
    await screenshot(page, 'own-2-new-study')
  })

  it('previews a BIDS folder: the bad scan is marked with its reason; after the import every problem is listed', async () => {
    for (const s of cohort.subjects.slice(0, GOOD)) {
      await putSubject(bids, s)
      truth.set(s.ptid, s.y ? 'AD' : 'NC')
    }
    // One bad scan: an sMRI that is not a NIfTI file (its PET is fine). (A scan outside MNI space is registered, not refused.)
    const badId = 'sub-ADNI999S9999'
    await fsp.mkdir(join(bids, badId, 'ses-M00', 'anat'), { recursive: true })
    await fsp.mkdir(join(bids, badId, 'ses-M00', 'pet'), { recursive: true })
    await fsp.writeFile(join(bids, badId, 'ses-M00', 'anat', `${badId}_ses-M00_T1w.nii.gz`), Buffer.from('not a nifti at all'))
    await fsp.copyFile(cohort.subjects[GOOD]!.pet!, join(bids, badId, 'ses-M00', 'pet', `${badId}_ses-M00_pet.nii.gz`))

    await page.getByTestId('import-source').fill(bids)
    await page.getByRole('button', { name: 'Preview' }).click()
    await page.getByTestId('import-preview').waitFor({ timeout: 30_000 })
    const bad = page.getByTestId('preview-smri-999_S_9999')
    await bad.waitFor()
    expect(await bad.textContent()).toContain('will be skipped')
    expect(await bad.getAttribute('title')).toMatch(/export the scan again as NIfTI/)
    expect(await page.getByTestId('import-preview').textContent()).toMatch(/999_S_9999 sMRI will be skipped/)
    await bad.scrollIntoViewIfNeeded()
    await screenshot(page, 'own-3-preview-bad-scan')

    await page.getByRole('button', { name: /^Import \d+ subjects$/ }).click()
    await page.getByTestId('subjects-count').waitFor({ timeout: 180_000 })
    await nav(/^Start$/)
    const problems = page.getByTestId('import-problems')
    await problems.waitFor({ timeout: 15_000 })
    expect(await problems.textContent()).toMatch(/999_S_9999.*skipped.*not a NIfTI/s)
    await problems.scrollIntoViewIfNeeded()
    await screenshot(page, 'own-4-import-problems')
  }, 300_000)

  it('labels every subject with the keys and trains', async () => {
    await nav(/^Label$/)
    const current = page.getByTestId('current-subject')
    for (let i = 0; i < GOOD + 1; i++) {
      await current.waitFor()
      const id = (await current.textContent())!.trim()
      await page.keyboard.press(truth.get(id) === 'AD' ? '2' : '1')
      if (i < GOOD) await current.filter({ hasNotText: id }).waitFor({ timeout: 15_000 })
    }
    await page
      .getByTestId('save-line')
      .filter({ hasText: /^Saved/ })
      .waitFor({ timeout: 15_000 })
    await screenshot(page, 'own-5-labelled')
    await train(false)
    await screenshot(page, 'own-6-trained')
  }, 400_000)

  it('imports one more subject, places it into the split and trains again', async () => {
    await putSubject(bids, cohort.subjects[GOOD + 1]!)
    await nav(/^Start$/)
    await page.getByTestId('import-source').fill(bids)
    await page.getByRole('button', { name: 'Preview' }).click()
    await page.getByTestId('import-preview').waitFor({ timeout: 30_000 })
    await page.getByRole('button', { name: /^Import \d+ subjects$/ }).click()
    await page.getByTestId('subjects-count').waitFor({ timeout: 180_000 })
    const summary = await api<{ unsplit: number }>('study.open', { study: ownFolder })
    expect(summary.unsplit).toBe(1)
    await train(true)
    expect((await api<{ unsplit: number }>('study.open', { study: ownFolder })).unsplit).toBe(0)
    await screenshot(page, 'own-8-trained-again')
  }, 500_000)

  it('compares the two runs and exports the second', async () => {
    const runs = await api<Array<{ id: string; status: string }>>('runs.list', { study: ownFolder })
    expect(runs.map((r) => r.status)).toEqual(['done', 'done'])
    for (const r of runs) await page.getByLabel(`Compare run ${r.id}`).check()
    await page.getByTestId('compare-runs').click()
    await page.getByTestId('compare').waitFor({ timeout: 30_000 })
    await page.getByTestId('compare').scrollIntoViewIfNeeded()
    await screenshot(page, 'own-9-compare')

    await page.getByTestId('see-results').click()
    await page.getByTestId('metrics').waitFor({ timeout: 30_000 })
    const out = join(bridge.root, 'own-export')
    await page.getByTestId('export-folder').fill(out)
    await page.getByTestId('export-run').click()
    await page.getByTestId('export-result').waitFor({ timeout: 60_000 })
    await screenshot(page, 'own-10-export')
    const tsv = readdirSync(out).find((f) => /predictions.*\.tsv$/.test(f))!
    const lines = readFileSync(join(out, tsv), 'utf8').trimEnd().split('\n')
    expect(lines.length - 1).toBe(GOOD + 2) // every subject of the study, the placed one included

    // The Subjects table names the run it shows: the one just looked at in Results.
    await nav(/^Subjects$/)
    const select = page.getByTestId('subjects-run')
    await select.waitFor({ timeout: 15_000 })
    expect(await select.inputValue()).toBe(runs[0]!.id)
    await screenshot(page, 'own-11-subjects-run')

    // Dark mode follows the system; the images keep their pixels (drawn from data and colormap).
    const bg = () => page.evaluate<string>(`getComputedStyle(document.querySelector('.shell')).backgroundColor`)
    const light = await bg()
    await page.emulateMedia({ colorScheme: 'dark' })
    const dark = await bg()
    expect(dark).not.toBe(light)
    const [r, g, b] = dark.match(/\d+/g)!.map(Number)
    expect(r! + g! + b!).toBeLessThan(150)
    await screenshot(page, 'own-12-dark')
    await page.emulateMedia({ colorScheme: 'light' })
    expect(session.problems).toEqual([])
  }, 180_000)
})
