/** The pieces of the Electron shell that keep the renderer locked down, tested without the
 *  Electron binary (it cannot run here): window options, CSP, session, navigation, dialogs. */
import { describe, expect, it, vi } from 'vitest'
import { cspDirectives, cspHeader, cspMeta } from '../../../src-main/api/csp'
import { appUrlMatcher, guardNavigation } from '../../../src-main/shell/navigation-guard'
import { openDialogOptions } from '../../../src-main/shell/native-dialog'
import { secureSession } from '../../../src-main/shell/security'
import { hardenedWindowOptions } from '../../../src-main/shell/window-options'

vi.mock('electron', () => ({}))

describe('window options', () => {
  it('turn on every renderer protection and load the preload', () => {
    const o = hardenedWindowOptions('/app/out/preload/preload.js', 'TCGM Lab')
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/preload/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false
    })
    expect(o.show).toBe(false)
  })
})

describe('content security policy', () => {
  const directive = (policy: string, name: string) =>
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .find(([n]) => n === name)
      ?.slice(1)

  it('allows only the app itself: no remote hosts, no eval, no plugins, no framing', () => {
    expect(directive(cspHeader, 'default-src')).toEqual(["'self'"])
    expect(directive(cspHeader, 'script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"])
    expect(directive(cspHeader, 'object-src')).toEqual(["'none'"])
    expect(directive(cspHeader, 'base-uri')).toEqual(["'none'"])
    expect(directive(cspHeader, 'frame-ancestors')).toEqual(["'none'"])
    for (const sources of Object.values(cspDirectives)) {
      for (const s of sources) {
        expect(s, 'no remote origin may appear').toMatch(/^('self'|'none'|'unsafe-inline'|'wasm-unsafe-eval'|data:|blob:|(ws|http):\/\/127\.0\.0\.1:\*)$/)
      }
    }
    expect(cspHeader).not.toContain("'unsafe-eval'")
  })

  it('leaves header-only directives out of the meta tag', () => {
    expect(cspMeta).not.toContain('frame-ancestors')
    expect(cspHeader.startsWith(cspMeta)).toBe(true)
  })

  it('is set on every response of the session, and every permission is refused', () => {
    let onHeaders: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null = null
    let onRequest: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null
    let onCheck: (() => boolean) | null = null
    secureSession({
      webRequest: { onHeadersReceived: (fn: typeof onHeaders) => (onHeaders = fn) },
      setPermissionRequestHandler: (fn: typeof onRequest) => (onRequest = fn),
      setPermissionCheckHandler: (fn: typeof onCheck) => (onCheck = fn)
    } as never)
    const answer = vi.fn()
    onHeaders!({ responseHeaders: { 'Content-Type': ['text/html'] } }, answer)
    expect(answer).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [cspHeader], 'X-Content-Type-Options': ['nosniff'] }
    })
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal']) {
      const cb = vi.fn()
      onRequest!({}, permission, cb)
      expect(cb).toHaveBeenCalledWith(false)
    }
    expect(onCheck!()).toBe(false)
  })
})

describe('navigation guard', () => {
  const isAppUrl = appUrlMatcher('file:///opt/tcgm/resources/app.asar/out/renderer/index.html', 'http://localhost:5173')

  it("recognises only the app's page", () => {
    expect(isAppUrl('file:///opt/tcgm/resources/app.asar/out/renderer/index.html#/viewer')).toBe(true)
    expect(isAppUrl('file:///opt/tcgm/resources/app.asar/out/renderer/index.html?x=1')).toBe(true)
    expect(isAppUrl('file:///etc/passwd')).toBe(false)
    expect(isAppUrl('http://localhost:5173/')).toBe(true)
    expect(isAppUrl('http://localhost:5174/')).toBe(false)
    expect(isAppUrl('https://example.org/')).toBe(false)
    expect(isAppUrl('not a url')).toBe(false)
    expect(appUrlMatcher('file:///a/index.html')('http://localhost:5173/')).toBe(false)
  })

  function fakeContents() {
    const handlers = new Map<string, (event: { preventDefault(): void }, url: string) => void>()
    let openHandler: ((d: { url: string }) => { action: string }) | null = null
    const contents = {
      on: (name: string, fn: (event: { preventDefault(): void }, url: string) => void) => handlers.set(name, fn),
      setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn)
    }
    return { contents, handlers, open: (url: string) => openHandler!({ url }) }
  }

  const flush = () => new Promise((r) => setTimeout(r, 0))

  it('denies navigation away from the app; https links open outside only after the user agrees', async () => {
    const { contents, handlers } = fakeContents()
    const confirmExternal = vi.fn(async (url: string) => url.includes('yes'))
    const openExternal = vi.fn(async () => undefined)
    guardNavigation(contents as never, { isAppUrl, confirmExternal, openExternal })

    const nav = (url: string, event = 'will-navigate') => {
      const e = { preventDefault: vi.fn() }
      handlers.get(event)!(e, url)
      return e.preventDefault.mock.calls.length > 0
    }
    expect(nav('file:///opt/tcgm/resources/app.asar/out/renderer/index.html')).toBe(false)
    expect(nav('https://example.org/no')).toBe(true)
    expect(nav('https://example.org/yes')).toBe(true)
    expect(nav('http://plain.example/yes')).toBe(true)
    expect(nav('file:///etc/passwd', 'will-redirect')).toBe(true)
    await flush()
    expect(confirmExternal.mock.calls.map((c) => c[0])).toEqual(['https://example.org/no', 'https://example.org/yes'])
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://example.org/yes')
    const attach = { preventDefault: vi.fn() }
    handlers.get('will-attach-webview')!(attach, '')
    expect(attach.preventDefault).toHaveBeenCalled()
  })

  it('denies every window.open', async () => {
    const { contents, open } = fakeContents()
    const openExternal = vi.fn(async () => undefined)
    guardNavigation(contents as never, { isAppUrl, confirmExternal: async () => true, openExternal })
    expect(open('https://example.org/paper')).toEqual({ action: 'deny' })
    expect(open('file:///opt/tcgm/resources/app.asar/out/renderer/index.html')).toEqual({ action: 'deny' })
    expect(open('javascript:alert(1)')).toEqual({ action: 'deny' })
    await flush()
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://example.org/paper')
  })
})

describe('native dialog options', () => {
  it('maps pick modes and extensions to the open dialog', () => {
    expect(openDialogOptions({ mode: 'openFolder' })).toEqual({ properties: ['openDirectory'] })
    expect(openDialogOptions({ mode: 'saveFolder', title: 'Export to' })).toEqual({
      properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
      title: 'Export to'
    })
    expect(openDialogOptions({ mode: 'openFile', extensions: ['.nii.gz', 'tsv'] })).toEqual({
      properties: ['openFile'],
      filters: [
        { name: '.nii.gz, tsv', extensions: ['nii.gz', 'gz', 'tsv'] },
        { name: 'All files', extensions: ['*'] }
      ]
    })
  })
})
