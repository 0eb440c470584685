/**
 * Where Debian's Chromium is and the flags of DESIGN.md it runs with (headless, no network
 * chatter, WebGL through SwiftShader). Free of vitest, so benchmarks in plain Node can use it.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader'
]
