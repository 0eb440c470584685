/**
 * The researcher's journey in browser mode, keyboard only where it matters:
 * create a small demo study -> label 10 subjects with the keys (reloading the page half-way:
 * nothing may be lost) -> train TCGM with the quickest preset -> read each modality's diagnosis
 * beside the aggregator's -> export -> the predictions TSV has ClinicaDL's columns and one row
 * per subject. A screenshot of each view goes to test-output/screenshots/journey-*.png.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import type { Page } from 'playwright-core'
import { browserForSuite, screenshot, type BrowserSession } from './browser'
import { callBridge } from './bridge-api'

const bridge = inject('bridge')
let session: BrowserSession
let page: Page
let study = ''
let subjectCount = 0
const labelled = new Map<string, string>()

/** Demo size and training length: as small as still gives both classes in every split. */
const DEMO_SUBJECTS = 24
const EPOCHS = 2

function api<T>(name: string, args: unknown): Promise<T> {
  return callBridge<T>(bridge, name, args)
}

async function nav(name: RegExp): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name }).click()
}

async function labelWithKeyboard(count: number): Promise<void> {
  const current = page.getByTestId('current-subject')
  for (let i = 0; i < count; i++) {
    await current.waitFor()
    const id = (await current.textContent())!.trim()
    // The source group is shown beside the images: label AD as AD, everything else NC, so the
    // training set holds both classes.
    const group = (await page.locator('.meta dd').nth(1).textContent())?.trim() ?? ''
    const key = /^(AD|Dementia)$/i.test(group) ? '2' : /^(CN|NC)$/i.test(group) ? '1' : String((i % 2) + 1)
    await page.keyboard.press(key)
    labelled.set(id, key === '2' ? 'AD' : 'NC')
    await current.filter({ hasNotText: id }).waitFor({ timeout: 15_000 })
  }
  await page
    .getByTestId('save-line')
    .filter({ hasText: /^Saved/ })
    .waitFor({ timeout: 15_000 })
}

async function expectLabelsOnDisk(): Promise<void> {
  const list = await api<{ rows: Array<{ id: string; label: string | null }> }>('subjects.list', { study })
  const onDisk = new Map(list.rows.map((r) => [r.id, r.label]))
  for (const [id, label] of labelled) expect(onDisk.get(id), `label of ${id}`).toBe(label)
}

browserForSuite('journey', { width: 1400, height: 900 }, (s) => {
  session = s
  page = s.page
})

describe('the researcher journey', () => {
  it('creates a small demo study with one click', async () => {
    await page.goto(bridge.url)
    await page.getByTestId('demo-subjects').fill(String(DEMO_SUBJECTS))
    await page.getByTestId('create-demo').click()
    await page.getByRole('status').filter({ hasText: 'Creating the demo study' }).first().waitFor({ timeout: 15_000 })
    await page.getByTestId('subjects-count').waitFor({ timeout: 120_000 })
    study = (await api<Array<{ path: string }>>('studies.recent', {}))[0].path
    subjectCount = (await api<{ rows: unknown[] }>('subjects.list', { study })).rows.length
    expect(subjectCount).toBe(DEMO_SUBJECTS)
    await page.locator('.vt-row').first().waitFor()
    await screenshot(page, 'journey-1-subjects')
  })

  it('labels 10 subjects with the keyboard; a reload half-way loses nothing', async () => {
    await nav(/^Label$/)
    // The demo's diagnoses came with the data: hide them all (kept for evaluation), then label by hand.
    await page.getByTestId('rate-percent').fill('0')
    await page.getByTestId('rate-hide').click()
    await page.getByTestId('rate-done').waitFor({ timeout: 30_000 })
    expect(await page.getByTestId('current-label').textContent()).toBe('unlabelled')
    await labelWithKeyboard(5)
    await screenshot(page, 'journey-2-label')
    await expectLabelsOnDisk()

    await page.reload()
    // Back on the same view of the same study, with the labels given so far.
    await page.getByTestId('current-subject').waitFor({ timeout: 30_000 })
    await expectLabelsOnDisk()
    // Labelling resumes on a subject that has no label yet.
    expect(labelled.has((await page.getByTestId('current-subject').textContent())!.trim())).toBe(false)
    await labelWithKeyboard(5)
    expect(labelled.size).toBe(10)
    await expectLabelsOnDisk()
    // Undo with the keyboard, then label again: the log keeps the order.
    const [lastId] = [...labelled.keys()].slice(-1)
    await page.keyboard.press('u')
    await page.getByTestId('current-subject').filter({ hasText: lastId }).waitFor({ timeout: 15_000 })
    await page.keyboard.press(labelled.get(lastId) === 'AD' ? '2' : '1')
    await page.getByTestId('current-subject').filter({ hasNotText: lastId }).waitFor({ timeout: 15_000 })
    await page
      .getByTestId('save-line')
      .filter({ hasText: /^Saved/ })
      .waitFor({ timeout: 15_000 })
    await expectLabelsOnDisk()
    await screenshot(page, 'journey-3-label-done')
  })

  it('trains TCGM with the quickest preset and shows live curves', async () => {
    await nav(/^Train$/)
    await page.getByTestId('preset').selectOption('tiny')
    await page.getByTestId('epochs').fill(String(EPOCHS))
    await page.getByTestId('train-start').click()
    await page.getByTestId('train-status').waitFor({ timeout: 60_000 })
    await page.getByTestId('see-results').waitFor({ timeout: 170_000 })
    await page.locator('.chart canvas').first().waitFor()
    await screenshot(page, 'journey-4-train')
  })

  it("shows each modality's diagnosis beside the aggregator's", async () => {
    await page.getByTestId('see-results').click()
    await page.getByTestId('metrics').waitFor({ timeout: 30_000 })
    await page.locator('.vt-row').first().waitFor()
    const smri = (await page.getByTestId('result-smri').first().textContent())!.trim()
    const pet = (await page.getByTestId('result-pet').first().textContent())!.trim()
    expect(smri).toMatch(/^(NC|AD) \d+ %$/)
    expect(pet).toMatch(/^(NC|AD) \d+ %$/)
    expect(await page.getByTestId('metrics').textContent()).toContain('Aggregator')
    await screenshot(page, 'journey-5-results')
  })

  it('exports: the predictions TSV has the right columns and one row per subject', async () => {
    const out = join(bridge.root, 'export')
    await page.getByTestId('export-folder').fill(out)
    await page.getByTestId('export-run').click()
    await page.getByTestId('export-result').waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('export-result').textContent()).toContain(out)
    await page.getByTestId('export-result').scrollIntoViewIfNeeded()
    await screenshot(page, 'journey-6-export')

    const tsvName = readdirSync(out).find((f) => /predictions.*\.tsv$/.test(f))
    expect(tsvName, `a predictions TSV in ${out} (found ${readdirSync(out).join(', ')})`).toBeDefined()
    const lines = readFileSync(join(out, tsvName!), 'utf8').trimEnd().split('\n')
    const header = lines[0].split('\t')
    for (const col of ['participant_id', 'session_id', 'true_label', 'predicted_label', 'proba0', 'proba1', 'split']) expect(header).toContain(col)
    expect(header.some((c) => /smri/i.test(c))).toBe(true)
    expect(header.some((c) => /pet/i.test(c))).toBe(true)
    const rows = lines.slice(1).map((l) => l.split('\t'))
    expect(rows).toHaveLength(subjectCount)
    const ids = rows.map((r) => r[header.indexOf('participant_id')])
    expect(new Set(ids).size).toBe(subjectCount)
    for (const r of rows) expect(r).toHaveLength(header.length)
  })

  it('after training, the table shows the predictions and "Label next" says why it suggests a subject', async () => {
    await nav(/^Subjects$/)
    await page.locator('.vt-row').first().waitFor()
    await page
      .getByText(/^(NC|AD) \d+ %$/)
      .first()
      .waitFor({ timeout: 15_000 })
    await screenshot(page, 'journey-7-subjects-predicted')
    await nav(/^Label$/)
    const reason = page.getByTestId('suggestion-reason')
    await reason.waitFor({ timeout: 15_000 })
    expect(await reason.textContent()).toMatch(/disagree|least certain/)
    await screenshot(page, 'journey-8-label-next')
    await nav(/^Start$/)
    await page.getByTestId('current-study').waitFor()
    await screenshot(page, 'journey-9-start')
    expect(session.problems).toEqual([])
  })
})
