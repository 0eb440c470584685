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
 * - connect-src: 'self' only (the Electron page talks over IPC and needs no network); the
 *   browser-mode bridge serves its page with {@link bridgeCspHeader} / {@link bridgeCspMeta}, which
 *   add its own WebSocket origin (ws://127.0.0.1:PORT, ws://localhost:PORT) and nothing else.
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
  'connect-src': ["'self'", 'blob:'],
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

/** The bridge's own origins on `port`: 'self' covers its HTTP, and these its event WebSocket
 *  (not every browser lets 'self' match ws:). */
function withBridge(directives: Readonly<Record<string, readonly string[]>>, port: number): Record<string, readonly string[]> {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bridge CSP: port ${port} is not a TCP port`)
  return { ...directives, 'connect-src': [...directives['connect-src']!, `ws://127.0.0.1:${port}`, `ws://localhost:${port}`] }
}

/** The browser-mode page's meta CSP: {@link cspMeta} with the bridge's own WebSocket origin. */
export function bridgeCspMeta(port: number): string {
  return join(withBridge(cspDirectives, port))
}

/** The browser-mode page's response header: {@link cspHeader} with the bridge's own WebSocket origin. */
export function bridgeCspHeader(port: number): string {
  return join({ ...withBridge(cspDirectives, port), ...headerOnly })
}
