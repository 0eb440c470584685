/** The options of the app's one window: every renderer hardening Electron offers, on. */
import type { BrowserWindowConstructorOptions } from 'electron'

export function hardenedWindowOptions(preloadPath: string, title: string): BrowserWindowConstructorOptions {
  return {
    title,
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    show: false, // shown on 'ready-to-show', so no white flash
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false
    }
  }
}
