/**
 * Electron main: one hardened window, the menu, the API over IPC, worker processes over
 * utilityProcess. Wiring only; the pieces live in shell/ and api/ where tests reach them.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, utilityProcess } from 'electron'
import { productName, version } from '../package.json'
import { bindIpc } from './api/adapters/ipc'
import { handlers } from './api/handlers'
import { createApiRuntime, type ApiRuntime } from './api/runtime'
import { describeBackends } from './engine/backend/candidates'
import { createLogger } from './log'
import { setWorkerFactory } from './process/fork'
import { readRecentStudies } from './settings/recent-studies'
import { aboutText, buildMenuTemplate } from './shell/menu'
import { pickWithDialog } from './shell/native-dialog'
import { appUrlMatcher, guardNavigation } from './shell/navigation-guard'
import { secureSession } from './shell/security'
import { utilityWorkerFactory } from './shell/utility-worker'
import { hardenedWindowOptions } from './shell/window-options'

const log = createLogger('main')
const indexHtml = join(__dirname, '../renderer/index.html')
const devServerUrl = process.env.ELECTRON_RENDERER_URL
const isAppUrl = appUrlMatcher(pathToFileURL(indexHtml).toString(), app.isPackaged ? undefined : devServerUrl)

let mainWindow: BrowserWindow | null = null
let runtime: ApiRuntime | null = null

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(hardenedWindowOptions(join(__dirname, '../preload/preload.js'), productName))
  win.once('ready-to-show', () => win.show())
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null
  })
  if (!app.isPackaged && devServerUrl) void win.loadURL(devServerUrl)
  else void win.loadFile(indexHtml)
  return win
}

async function showAbout(): Promise<void> {
  runtime?.hub.emit('menu.command', { command: 'about' })
  const backend = await describeBackends()
  const options = { type: 'info' as const, title: `About ${productName}`, message: aboutText({ name: productName, version, backend }), buttons: ['OK'] }
  if (mainWindow) await dialog.showMessageBox(mainWindow, options)
  else await dialog.showMessageBox(options)
}

function start(): void {
  secureSession(session.defaultSession)
  setWorkerFactory(utilityWorkerFactory((path, args, options) => utilityProcess.fork(path, args, options)))

  runtime = createApiRuntime({
    shell: 'electron',
    userDataDir: app.getPath('userData'),
    // Paths the user chose through a dialog are granted by dialog.pick; the data folder is always
    // allowed; a recent study stays allowed across launches (api/path-access.ts).
    allowedRoots: [],
    moreAllowedRoots: async () => (await readRecentStudies(app.getPath('userData'))).map((s) => s.path),
    pickNative: (args) => pickWithDialog(dialog, mainWindow, args),
    startWithDemo: process.argv.includes('--demo'),
    validateOutputs: !app.isPackaged,
    handlers
  })
  bindIpc({
    ipcMain,
    dispatch: runtime.dispatch,
    hub: runtime.hub,
    targets: () => BrowserWindow.getAllWindows().map((w) => w.webContents),
    isAppUrl
  })

  const emitCommand = (command: 'newStudy' | 'openStudy' | 'export' | 'about'): void => runtime?.hub.emit('menu.command', { command })
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      buildMenuTemplate({
        appName: productName,
        isMac: process.platform === 'darwin',
        isDev: !app.isPackaged,
        onCommand: emitCommand,
        onAbout: () => void showAbout().catch((err: unknown) => log.error(`About box: ${String(err)}`))
      })
    )
  )
  mainWindow = createWindow()
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the study folders' writer locks; it gets focused instead.
  app.quit()
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })

  app.on('web-contents-created', (_event, contents) => {
    guardNavigation(contents, {
      isAppUrl,
      confirmExternal: async (url) => {
        const options = {
          type: 'question' as const,
          buttons: ['Open in browser', 'Cancel'],
          defaultId: 1,
          cancelId: 1,
          message: `Open this link in your web browser?\n${url}`
        }
        const { response } = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options)
        return response === 0
      },
      openExternal: (url) => shell.openExternal(url)
    })
  })

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    if (runtime && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })
  app.on('before-quit', () => runtime?.jobs.cancelAll())

  app.whenReady().then(start, (err: unknown) => {
    log.error(`could not start: ${String(err)}`)
    app.exit(1)
  })
}
