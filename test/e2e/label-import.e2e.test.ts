/**
 * Browser mode end to end: a labels TSV written beside the study is chosen with the in-app file
 * browser on the Label view and imported; the result lists what was set and the subject the study
 * does not hold, and the new label shows on the current subject and is on disk. Then renaming a
 * class in use is refused with main's reason, and a series of the demo's ADNI folder set to
 * "ignore" in the import preview drops its modality. Screenshots: test-output/screenshots/label-import*.png.
 */
import { writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import type { Page } from 'playwright-core'
import { browserForSuite, screenshot, type BrowserSession } from './browser'
import { callBridge } from './bridge-api'

const bridge = inject('bridge')
let session: BrowserSession
let page: Page

browserForSuite('label-import', { width: 1400, height: 1000 }, (s) => {
  session = s
  page = s.page
})

type Rows = { rows: Array<{ id: string; label: string | null }> }

describe('labels from a file', () => {
  it('imports a labels TSV chosen in the in-app browser and shows the labels', async () => {
    await page.goto(bridge.url)
    await page.getByTestId('demo-subjects').fill('4')
    await page.getByTestId('create-demo').click()
    await page.getByTestId('subjects-count').waitFor({ timeout: 60_000 })
    const study = (await callBridge<Array<{ path: string }>>(bridge, 'studies.recent', {}))[0].path
    // The demo hides some of its diagnoses for evaluation; show them all, so every subject has a visible label to correct.
    await callBridge(bridge, 'labels.simulateRate', { study, rate: 1, seed: 0 })

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: /^Label$/ })
      .click()
    const current = (await page.getByTestId('current-subject').textContent())!.trim()
    const before = new Map((await callBridge<Rows>(bridge, 'subjects.list', { study })).rows.map((r) => [r.id, r.label]))
    const other = [...before.keys()].find((id) => id !== current)!
    // Flip the current subject's diagnosis, repeat another's as it is, and name a subject the study lacks.
    expect(before.get(current)).toMatch(/^(NC|AD)$/)
    const flipped = before.get(current) === 'AD' ? 'NC' : 'AD'
    const file = join(bridge.root, 'corrected-labels.tsv')
    writeFileSync(file, `participant_id\tlabel\n${current}\t${flipped}\n${other}\t${before.get(other)}\n099_S_9999\tAD\n`)

    await page.getByTestId('label-import-open').click()
    await page.getByRole('button', { name: 'Browse…' }).click()
    await page.locator(`.fb-entry[data-name="${basename(bridge.root)}"]`).click()
    await page.locator('.fb-entry[data-name="corrected-labels.tsv"]').click()
    expect(await page.getByTestId('label-file').inputValue()).toBe(file)
    await page.getByTestId('label-import-run').click()

    const result = page.getByTestId('label-import-result')
    await result.waitFor({ timeout: 15_000 })
    expect(await result.textContent()).toContain('1 label set, 1 already known')
    expect(await page.getByTestId('label-import-unknown').textContent()).toContain('099_S_9999')
    await page.getByTestId('current-label').filter({ hasText: flipped }).waitFor({ timeout: 10_000 })
    const after = new Map((await callBridge<Rows>(bridge, 'subjects.list', { study })).rows.map((r) => [r.id, r.label]))
    expect(after.get(current)).toBe(flipped)
    await result.scrollIntoViewIfNeeded()
    await screenshot(page, 'label-import')
    expect(session.problems).toEqual([])

    // With labels in the study, renaming a class in use is refused by main, and the window says why.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: /^Start$/ })
      .click()
    await page.getByTestId('settings-edit').click()
    await page.getByTestId('settings-class-0').fill('CN')
    await page.getByTestId('settings-save').click()
    const refusal = page.getByTestId('settings-error')
    await refusal.waitFor({ timeout: 10_000 })
    expect(await refusal.textContent()).toContain('cannot remove class NC: subjects are labelled with it')
    expect(await page.getByTestId('settings-classes').textContent()).toBe('NC / AD')
    await screenshot(page, 'label-import-settings-refused')
    await page.getByRole('button', { name: 'Cancel' }).click()

    // Previewing the demo's ADNI folder again: a series set to "ignore" drops that modality.
    const { source } = await callBridge<{ source: string | null }>(bridge, 'study.open', { study })
    await page.getByTestId('import-source').fill(source!)
    await page.getByRole('button', { name: 'Preview' }).click()
    const series = page.getByTestId('import-series')
    await series.waitFor({ timeout: 15_000 })
    const selects = series.locator('select')
    const values = await Promise.all((await selects.all()).map((sel) => sel.inputValue()))
    expect(values).toContain('pet')
    await selects.nth(values.indexOf('pet')).selectOption('ignore')
    await page.getByTestId('import-preview').filter({ hasText: '0 with PET' }).waitFor({ timeout: 15_000 })
    expect(await series.textContent()).toContain('chosen by the user')
    await series.scrollIntoViewIfNeeded()
    await screenshot(page, 'label-import-series')
    // The refused class rename is the researcher's to fix: the bridge answers it as a bad request
    // (HTTP 400, which Chromium logs), never as a fault of the app (500); nothing else went wrong.
    expect(session.problems.filter((p) => /\b500\b/.test(p))).toEqual([])
    expect(session.problems.filter((p) => !/\b400\b/.test(p))).toEqual([])
  })
})
