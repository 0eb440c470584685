/**
 * The application menu: File (New study, Open study, Export), the standard Edit, View and
 * Window menus, and About with the version and compute backend. App-specific items send a
 * `menu.command` event to the window, which decides what to show.
 */
import type { MenuItemConstructorOptions } from 'electron'
import type { PayloadOf } from '../api/contract'

export type MenuCommand = PayloadOf<'menu.command'>['command']

export interface MenuOptions {
  readonly appName: string
  readonly isMac: boolean
  /** Development builds get the developer tools entry. */
  readonly isDev: boolean
  readonly onCommand: (command: MenuCommand) => void
  /** Shows the About box (version, compute backend). */
  readonly onAbout: () => void
}

/** One line per fact, for the About box. */
export function aboutText(info: { name: string; version: string; backend: { name: string; reason: string } }): string {
  return `${info.name} ${info.version}\nCompute backend: ${info.backend.name}\n${info.backend.reason}`
}

export function buildMenuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const command = (c: MenuCommand) => () => o.onCommand(c)
  const about: MenuItemConstructorOptions = { id: 'about', label: `About ${o.appName}`, click: () => o.onAbout() }

  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { id: 'newStudy', label: 'New Study…', accelerator: 'CmdOrCtrl+N', click: command('newStudy') },
      { id: 'openStudy', label: 'Open Study…', accelerator: 'CmdOrCtrl+O', click: command('openStudy') },
      { type: 'separator' },
      { id: 'export', label: 'Export Predictions…', accelerator: 'CmdOrCtrl+E', click: command('export') },
      ...(o.isMac ? [] : [{ type: 'separator' } as const, { role: 'quit' } as const])
    ]
  }
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { role: 'reload' },
      ...(o.isDev ? [{ role: 'toggleDevTools' } as const] : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' }
    ]
  }
  const macApp: MenuItemConstructorOptions = {
    label: o.appName,
    submenu: [
      about,
      { type: 'separator' },
      { role: 'services' },
      { type: 'separator' },
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      { type: 'separator' },
      { role: 'quit' }
    ]
  }
  const help: MenuItemConstructorOptions = { role: 'help', submenu: [about] }

  return [...(o.isMac ? [macApp] : []), file, { role: 'editMenu' }, view, { role: 'windowMenu' }, ...(o.isMac ? [] : [help])]
}
