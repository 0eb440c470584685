/**
 * src-main/index.ts and src-main/preload.ts with Electron mocked (there is no Electron binary
 * here): the window gets the hardened options and the preload, the CSP and navigation guard are
 * installed, the API is bound to IPC, the menu is set, a second instance quits, and the preload
 * exposes only contract names.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../../src-main/api/ipc-channels'

const electron = vi.hoisted(() => {
  const listeners = new Map<string, (...a: unknown[]) => void>()
  const windows: {
    options: Record<string, unknown>
    loadFile: ReturnType<typeof vi.fn>
    webContents: { send: ReturnType<typeof vi.fn>; isDestroyed: () => boolean }
  }[] = []
  class BrowserWindow {
    options: Record<string, unknown>
    loadFile = vi.fn(async () => undefined)
    loadURL = vi.fn(async () => undefined)
    webContents = { send: vi.fn(), isDestroyed: () => false }
    constructor(options: Record<string, unknown>) {
      this.options = options
      windows.push(this)
    }
    once() {}
    on() {}
    static getAllWindows = () => windows
  }
  return {
    listeners,
    windows,
    lock: true,
    app: {
      isPackaged: true,
      requestSingleInstanceLock: vi.fn(() => electron.lock),
      quit: vi.fn(),
      exit: vi.fn(),
      getPath: vi.fn((name: string) => `/tmp/tcgm-mock-${name}`),
      on: vi.fn((name: string, fn: (...a: unknown[]) => void) => listeners.set(name, fn)),
      whenReady: vi.fn(() => Promise.resolve())
    },
    BrowserWindow,
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    Menu: { buildFromTemplate: vi.fn((t: unknown) => ({ template: t })), setApplicationMenu: vi.fn() },
    session: { defaultSession: { webRequest: { onHeadersReceived: vi.fn() }, setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() } },
    dialog: { showOpenDialog: vi.fn(), showMessageBox: vi.fn() },
    shell: { openExternal: vi.fn() },
    utilityProcess: { fork: vi.fn() },
    contextBridge: { exposeInMainWorld: vi.fn() },
    ipcRenderer: { invoke: vi.fn(), on: vi.fn(), removeListener: vi.fn() }
  }
})

vi.mock('electron', () => electron)
// The wiring is under test, not the services: the app's handlers are real, the other domains'
// (which load imaging and TensorFlow code) are left out to keep this test fast.
vi.mock('../../../src-main/api/handlers', async () => ({ handlers: (await import('../../../src-main/api/handlers/app')).appHandlers }))

function reset(): void {
  vi.resetModules()
  electron.windows.length = 0
  electron.listeners.clear()
  electron.lock = true
  vi.clearAllMocks()
}

async function startMain(): Promise<void> {
  await import('../../../src-main/index')
  await new Promise((r) => setTimeout(r, 0)) // let whenReady().then(start) run
}

describe('Electron main', () => {
  // One start of main for the checks below; it is not changed by them.
  beforeAll(async () => {
    reset()
    await startMain()
  })

  it('opens one hardened window with the preload and the bundled page', () => {
    expect(electron.windows).toHaveLength(1)
    const w = electron.windows[0]!
    expect(w.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
    expect((w.options.webPreferences as { preload: string }).preload).toMatch(/[/\\]preload[/\\]preload\.js$/)
    expect(w.loadFile).toHaveBeenCalledWith(expect.stringMatching(/[/\\]renderer[/\\]index\.html$/))
  })

  it('installs the CSP header, the permission refusals, the navigation guard and the menu', () => {
    expect(electron.session.defaultSession.webRequest.onHeadersReceived).toHaveBeenCalledOnce()
    expect(electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalledOnce()
    expect(electron.listeners.has('web-contents-created')).toBe(true)
    const guarded = { on: vi.fn(), setWindowOpenHandler: vi.fn() }
    electron.listeners.get('web-contents-created')!({}, guarded)
    expect(guarded.on.mock.calls.map((c) => c[0])).toEqual(expect.arrayContaining(['will-navigate', 'will-redirect', 'will-attach-webview']))
    expect(guarded.setWindowOpenHandler).toHaveBeenCalledOnce()
    const template = electron.Menu.buildFromTemplate.mock.calls[0]![0] as { submenu?: { id?: string }[] }[]
    const ids = template.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu.map((i) => i.id) : []))
    expect(ids).toEqual(expect.arrayContaining(['newStudy', 'openStudy', 'export', 'about']))
    expect(electron.Menu.setApplicationMenu).toHaveBeenCalledOnce()
  })

  it('binds the API to IPC: requests from the app page run, others are refused, events reach the window', async () => {
    expect(electron.ipcMain.handle).toHaveBeenCalledWith(CALL_CHANNEL, expect.any(Function))
    const handle = electron.ipcMain.handle.mock.calls[0]![1] as (e: unknown, name: unknown, args: unknown) => Promise<{ ok: boolean; error?: { code: string } }>
    const page = `file://${(electron.windows[0]!.loadFile.mock.calls[0] as unknown as [string])[0]}`
    const refused = await handle({ senderFrame: { url: 'https://evil.example/' } }, 'files.roots', {})
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    const invalid = await handle({ senderFrame: { url: page } }, 'files.list', { path: 7 })
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-args' } })
    const ok = await handle({ senderFrame: { url: page } }, 'job.cancel', { jobId: 'none' })
    expect(ok).toEqual({ ok: true, result: { cancelled: false } })

    // The menu's commands arrive in the window as events.
    const template = electron.Menu.buildFromTemplate.mock.calls[0]![0] as { submenu?: { id?: string; click?: () => void }[] }[]
    template.flatMap((m) => m.submenu ?? []).find((i) => i.id === 'newStudy')!.click!()
    expect(electron.windows[0]!.webContents.send).toHaveBeenCalledWith(EVENT_CHANNEL, 'menu.command', { command: 'newStudy' })
  })

  it('quits when another instance already runs', async () => {
    reset()
    electron.lock = false
    await startMain()
    expect(electron.app.quit).toHaveBeenCalled()
    expect(electron.windows).toHaveLength(0)
  })
})

describe('preload', () => {
  beforeEach(reset)

  async function loadPreload() {
    await import('../../../src-main/preload')
    const [key, api] = electron.contextBridge.exposeInMainWorld.mock.calls[0]! as [
      string,
      { shell: string; call: (n: string, a: unknown) => Promise<unknown>; on: (n: string, l: (p: unknown) => void) => () => void }
    ]
    return { key, api }
  }

  it("exposes window.api with call, on and shell 'electron'", async () => {
    const { key, api } = await loadPreload()
    expect(key).toBe('api')
    expect(api.shell).toBe('electron')
    expect(Object.keys(api).sort()).toEqual(['call', 'on', 'shell'])
  })

  it('calls only contract requests, and turns errors into "[code] message"', async () => {
    const { api } = await loadPreload()
    await expect(api.call('fs.readFile', {})).rejects.toThrow("[unknown-request] unknown request 'fs.readFile'")
    expect(electron.ipcRenderer.invoke).not.toHaveBeenCalled()
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, result: [] })
    await expect(api.call('studies.recent', {})).resolves.toEqual([])
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(CALL_CHANNEL, 'studies.recent', {})
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'invalid-args', message: "invalid argument for 'x'" } })
    await expect(api.call('studies.recent', {})).rejects.toThrow("[invalid-args] invalid argument for 'x'")
  })

  it('subscribes only to contract events and passes each listener its own event', async () => {
    const { api } = await loadPreload()
    expect(() => api.on('process.exit', () => undefined)).toThrow(/unknown event 'process\.exit'/)
    const seen: unknown[] = []
    const off = api.on('menu.command', (p) => seen.push(p))
    const forward = electron.ipcRenderer.on.mock.calls[0]![1] as (e: unknown, name: string, payload: unknown) => void
    forward({}, 'job.done', { jobId: 'x' })
    forward({}, 'menu.command', { command: 'export' })
    expect(seen).toEqual([{ command: 'export' }])
    off()
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith(EVENT_CHANNEL, forward)
  })
})
