import { mkdtempSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseServeArgs } from '../../../src-main/settings/serve-args'
import { defaultUserDataDir } from '../../../src-main/settings/user-data'

describe('browser mode command line', () => {
  it('defaults to a free port, the home folder and the app data folder', () => {
    const o = parseServeArgs([], { XDG_CONFIG_HOME: '/cfg' })
    expect(o.port).toBe(0)
    if (process.platform === 'linux') expect(o.userDataDir).toBe('/cfg/TCGM Lab')
    expect(o.roots).toEqual([homedir(), o.userDataDir])
  })

  it('takes a port, repeated roots and a data folder', () => {
    const a = mkdtempSync(join(tmpdir(), 'tcgm-root-a-'))
    const b = mkdtempSync(join(tmpdir(), 'tcgm-root-b-'))
    expect(parseServeArgs(['--port', '8123', '--root', a, '--root', b, '--user-data', '/tmp/ud'])).toEqual({
      port: 8123,
      roots: [a, b],
      userDataDir: '/tmp/ud',
      demo: false
    })
    expect(parseServeArgs(['--demo']).demo).toBe(true)
  })

  it('says what is wrong with bad input', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tcgm-root-')), 'f.txt')
    writeFileSync(file, '')
    expect(() => parseServeArgs(['--port', '99999'])).toThrow("--port must be an integer from 0 to 65535, got '99999'")
    expect(() => parseServeArgs(['--port', 'http'])).toThrow(/got 'http'/)
    expect(() => parseServeArgs(['--root', '/no/such/folder'])).toThrow('--root /no/such/folder: no such folder')
    expect(() => parseServeArgs(['--root', file])).toThrow(`--root ${file}: no such folder`)
    expect(() => parseServeArgs(['--colour'])).toThrow(/colour/)
  })
})

describe('app data folder', () => {
  it("matches Electron's userData location on each platform", () => {
    expect(defaultUserDataDir('TCGM Lab', { APPDATA: 'C:\\Users\\r\\AppData\\Roaming' }, 'win32')).toBe(join('C:\\Users\\r\\AppData\\Roaming', 'TCGM Lab'))
    expect(defaultUserDataDir('TCGM Lab', {}, 'darwin')).toBe(join(homedir(), 'Library', 'Application Support', 'TCGM Lab'))
    expect(defaultUserDataDir('TCGM Lab', {}, 'linux')).toBe(join(homedir(), '.config', 'TCGM Lab'))
  })
})
