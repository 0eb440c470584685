import { describe, expect, it, vi } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import { aboutText, buildMenuTemplate } from '../../../src-main/shell/menu'

vi.mock('electron', () => ({}))

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])])
}

describe('application menu', () => {
  it('has New study, Open study, Export and About, sending commands to the window', () => {
    const onCommand = vi.fn()
    const onAbout = vi.fn()
    const items = flatten(buildMenuTemplate({ appName: 'TCGM Lab', isMac: false, isDev: false, onCommand, onAbout }))
    const byId = (id: string) => items.find((i) => i.id === id)!
    for (const id of ['newStudy', 'openStudy', 'export'] as const) {
      ;(byId(id).click as () => void)()
      expect(onCommand).toHaveBeenLastCalledWith(id)
    }
    expect(byId('newStudy').accelerator).toBe('CmdOrCtrl+N')
    expect(byId('about').label).toBe('About TCGM Lab')
    ;(byId('about').click as () => void)()
    expect(onAbout).toHaveBeenCalledOnce()
    const roles = items.map((i) => i.role).filter(Boolean)
    expect(roles).toEqual(expect.arrayContaining(['editMenu', 'windowMenu', 'quit', 'reload', 'togglefullscreen']))
    expect(roles).not.toContain('toggleDevTools')
  })

  it('puts About in the app menu on macOS and offers developer tools in development', () => {
    const template = buildMenuTemplate({ appName: 'TCGM Lab', isMac: true, isDev: true, onCommand: () => undefined, onAbout: () => undefined })
    expect(template[0]!.label).toBe('TCGM Lab')
    expect((template[0]!.submenu as MenuItemConstructorOptions[])[0]!.id).toBe('about')
    expect(flatten(template).map((i) => i.role)).toContain('toggleDevTools')
  })

  it('writes the version and compute backend in the About box', () => {
    expect(aboutText({ name: 'TCGM Lab', version: '0.1.0', backend: { name: 'wasm', reason: 'tfjs-node not installed' } })).toBe(
      'TCGM Lab 0.1.0\nCompute backend: wasm\ntfjs-node not installed'
    )
  })
})
