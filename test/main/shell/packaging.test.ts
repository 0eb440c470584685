/** The electron-builder configuration is valid against electron-builder's own schema and points
 *  at files that exist (artifacts cannot be built here: electron-builder downloads Electron). */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '../../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string
  build: Record<string, unknown> & {
    linux: { target: string[]; icon: string; maintainer: string }
    win: { target: string[]; icon: string }
    mac: { target: string[]; icon: string }
    asarUnpack: string[]
  }
  homepage?: string
}

function pngSize(file: string): [number, number] {
  const b = readFileSync(file)
  expect(b.subarray(1, 4).toString('ascii')).toBe('PNG')
  return [b.readUInt32BE(16), b.readUInt32BE(20)]
}

describe('packaging configuration', () => {
  it('validates against the electron-builder schema', () => {
    // ajv and the schema ship with electron-builder (app-builder-lib).
    const req = createRequire(require.resolve('app-builder-lib/package.json'))
    const Ajv = req('ajv') as new (o: object) => { validate(s: object, d: unknown): boolean; errors: unknown }
    const schema = JSON.parse(readFileSync(req.resolve('app-builder-lib/scheme.json'), 'utf8')) as object
    // validateSchema off: the schema is electron-builder's own; checking it against the JSON
    // Schema meta-schema would only cost time.
    const ajv = new Ajv({ allErrors: false, strict: false, validateSchema: false, code: { optimize: false } })
    const valid = ajv.validate(schema, pkg.build)
    expect(ajv.errors, JSON.stringify(ajv.errors)).toBeNull()
    expect(valid).toBe(true)
  })

  it('builds Linux AppImage and deb, Windows nsis and macOS dmg, with the native tfjs packages unpacked', () => {
    expect(pkg.build.linux.target).toEqual(['AppImage', 'deb'])
    expect(pkg.build.win.target).toEqual(['nsis'])
    expect(pkg.build.mac.target).toEqual(['dmg'])
    expect(pkg.build.asarUnpack).toContain('node_modules/@tensorflow/tfjs-node*/**')
    expect(pkg.build.linux.maintainer).toMatch(/<.+@.+>/)
    expect(pkg.homepage).toBeTruthy() // the deb target refuses to build without it
    expect(pkg.main).toBe('./out/main/index.js')
  })

  it('has the icons it names: a 512 px PNG, the Linux size set, .ico and .icns', () => {
    expect(pngSize(join(root, 'resources/icons/icon.png'))).toEqual([512, 512])
    for (const s of [16, 32, 48, 64, 128, 256, 512]) expect(pngSize(join(root, `resources/icons/${s}x${s}.png`))).toEqual([s, s])
    const ico = readFileSync(join(root, pkg.build.win.icon))
    expect(ico.readUInt16LE(2)).toBe(1) // type: icon
    expect(ico.readUInt16LE(4)).toBeGreaterThanOrEqual(4) // images
    const icns = readFileSync(join(root, pkg.build.mac.icon))
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns')
    expect(icns.readUInt32BE(4)).toBe(icns.length)
    expect(existsSync(join(root, pkg.build.linux.icon))).toBe(true)
  })
})
