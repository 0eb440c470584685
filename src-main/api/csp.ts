/**
 * The renderer's Content-Security-Policy, one string for every place that sets it: the meta tag
 * of the built index.html (injected by electron.vite.config.ts), the Electron session's response
 * headers, and the loopback bridge's static file server.
 *
 * Why each relaxation exists:
 * - script-src 'wasm-unsafe-eval': lets WebAssembly compile (tfjs-backend-wasm, cornerstone3D
 *   codecs). It does not allow eval() of JavaScript.
 * - style-src 'unsafe-inline': Vue `:style` bindings are CSSOM writes and need nothing, but
 *   cornerstone3D tools write SVG annotation `style` attributes; styles cannot run code.
 * - connect-src ws/http on 127.0.0.1: the browser-mode bridge (HTTP requests, WebSocket events).
 * - worker-src blob:: cornerstone3D and tfjs start workers from blob URLs.
 * Nothing is ever loaded from another host.
 *
 * Pure module (no Node, no Electron): the Vite config imports it.
 */
export const cspDirectives: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'", 'blob:', 'ws://127.0.0.1:*', 'http://127.0.0.1:*'],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-src': ["'none'"]
}

/** Directives that browsers ignore in a meta tag and honour only as a response header. */
const headerOnly: Readonly<Record<string, readonly string[]>> = {
  'frame-ancestors': ["'none'"]
}

function join(directives: Readonly<Record<string, readonly string[]>>): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ')
}

/** For `<meta http-equiv="Content-Security-Policy">`. */
export const cspMeta = join(cspDirectives)

/** For the `Content-Security-Policy` response header (adds the header-only directives). */
export const cspHeader = join({ ...cspDirectives, ...headerOnly })
