/** Browser mode end to end: the built UI, served by `serve.js`, talks to main through the bridge
 *  and shows the app info with the compute backend. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { bridgeCspHeader, bridgeCspMeta } from '../../src-main/api/csp'
import { launchBrowser, screenshot, type BrowserSession } from './browser'

const bridge = inject('bridge')
let session: BrowserSession

beforeAll(async () => {
  session = await launchBrowser()
})

afterAll(async () => {
  await session?.close()
})

async function apiCall(name: string, args: unknown): Promise<unknown> {
  const res = await fetch(`${bridge.origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tcgm-token': bridge.token },
    body: JSON.stringify({ name, args })
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { result: unknown }).result
}

describe('app info in browser mode', () => {
  it('shows version, shell and the compute backend with its reason', async () => {
    const info = (await apiCall('app.info', {})) as { version: string; backend: { name: string; reason: string } }
    const { page } = session
    await page.goto(bridge.url)
    const backend = page.getByTestId('backend-name')
    await backend.waitFor({ timeout: 15_000 })
    expect(await backend.textContent()).toBe(info.backend.name)
    expect(await page.getByTestId('backend-reason').textContent()).toBe(info.backend.reason)
    expect(await page.getByTestId('app-version').textContent()).toContain(info.version)
    expect(await page.getByTestId('app-shell').textContent()).toContain('browser mode')
    // The navigation shell is there.
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Start' }).count()).toBe(1)
    // The one CSP, in the built page's meta tag and in the response header.
    // Changed on purpose: the bridge narrows connect-src to its own port (was any port on 127.0.0.1).
    const port = Number(new URL(bridge.origin).port)
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')
    expect(meta).toBe(bridgeCspMeta(port))
    expect(/connect-src ([^;]*)/.exec(meta!)![1]!.split(' ')).toEqual(["'self'", 'blob:', `ws://127.0.0.1:${port}`, `ws://localhost:${port}`])
    const response = await page.request.get(bridge.origin + '/')
    expect(response.headers()['content-security-policy']).toBe(bridgeCspHeader(port))
    // The token left the address bar (it stays in sessionStorage for reloads).
    expect(new URL(page.url()).searchParams.has('token')).toBe(false)
    await screenshot(page, 'app-info')
    expect(session.problems).toEqual([])
  })

  it('keeps working after a reload without the token in the URL', async () => {
    const { page } = session
    await page.reload()
    await page.getByTestId('backend-name').waitFor({ timeout: 15_000 })
    expect(session.problems).toEqual([])
  })

  it('refuses a page opened without the token, saying how to get in', async () => {
    // A new tab has its own sessionStorage, so it knows no token.
    const page = await session.context.newPage()
    try {
      await page.goto(bridge.origin + '/')
      await page.getByText('opened without its access token').first().waitFor({ timeout: 15_000 })
      await screenshot(page, 'app-info-no-token')
    } finally {
      await page.close()
    }
  })
})
