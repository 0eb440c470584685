/**
 * Debian's Chromium driven by playwright-core, with the flags of DESIGN.md (headless, no
 * network chatter, WebGL through SwiftShader) and a fresh profile per launch. Collects page
 * errors and console errors (CSP violations show up there) so tests can assert there are none.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { chromiumArgs, chromiumPath } from './chromium'

export { chromiumArgs, chromiumPath } from './chromium'

export const screenshotDir = resolve(__dirname, '../../test-output/screenshots')

export interface BrowserSession {
  readonly context: BrowserContext
  readonly page: Page
  /** Uncaught page errors and console errors, in order. */
  readonly problems: string[]
  close(): Promise<void>
}

export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<BrowserSession> {
  if (!existsSync(chromiumPath)) {
    // Not a skip: CI installs chromium (.ci/run), so its absence is a broken environment.
    throw new Error(`Chromium not found at ${chromiumPath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`)
  }
  const profile = mkdtempSync(join(tmpdir(), 'tcgm-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`)
  })
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`)
  })
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

/** Saves a full-page screenshot to test-output/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true })
  const file = join(screenshotDir, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/**
 * One browser for a test file: launched before its first test, closed after its last, and a
 * screenshot `<prefix>-failed-<test name>` whenever a test fails (what the researcher would have
 * seen). `onReady` receives the session once it is launched.
 */
export function browserForSuite(prefix: string, viewport: { width: number; height: number }, onReady: (s: BrowserSession) => void): void {
  let session: BrowserSession | undefined
  beforeAll(async () => {
    session = await launchBrowser(viewport)
    onReady(session)
  })
  afterEach(async (ctx) => {
    if (session && ctx.task.result?.state === 'fail') await screenshot(session.page, `${prefix}-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`)
  })
  afterAll(async () => {
    await session?.close()
  })
}
