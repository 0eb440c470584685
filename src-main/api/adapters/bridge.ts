/**
 * The loopback bridge: the API over HTTP + WebSocket on 127.0.0.1, for browser mode
 * (`npm run serve`) and the end-to-end tests. It also serves the built renderer.
 *
 * Protocol
 * - `POST /api/call` with JSON `{"name": "<request>", "args": {...}}` and the header
 *   `x-tcgm-token: <token>`. Answers 200 `{"result": ...}` or an error status with
 *   `{"error": {"code", "message"}}`: 401 missing or wrong token, 403 wrong Origin or Host, or a
 *   path outside the allowed folders, 400 malformed request line / JSON / unknown request /
 *   invalid argument (the zod issue, naming the field), 413 body too large, 503 too many bodies
 *   at once, 500 the app failed. Nothing runs unless the request passed every check.
 * - `GET /api/events?token=<token>` upgraded to a WebSocket: one text frame per event,
 *   `{"event": "<name>", "payload": ...}`. The server never reads from it: frames from the
 *   client are bounded ({@link MAX_CLIENT_FRAME_BYTES}) and a malformed one closes that socket.
 * - Bodies and frames are JSON with typed arrays as tagged base64 (see ../typed-codec.ts), decoded
 *   before validation.
 * - Everything else: static files of the built renderer (GET/HEAD), with the CSP header.
 *
 * Security: bound to 127.0.0.1 only, on a free port unless one is given; a random 32-byte token
 * per launch, compared in constant time; the Host header must name this port on 127.0.0.1 or
 * localhost (so a DNS-rebound name never reaches the page) and a request carrying an Origin header
 * must come from the bridge's own origin. No input ends the server: a request line, header, body
 * or frame it cannot parse is answered 4xx or closes that one connection, and is logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve } from 'node:path'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket } from 'ws'
import { isInside } from '../../files/allowed-roots'
import { createLogger } from '../../log'
import { bridgeCspHeader, bridgeCspMeta, cspMeta } from '../csp'
import { CALL_PATH, EVENTS_PATH, TOKEN_HEADER } from '../wire/bridge-protocol'
import type { ApiErrorShape } from '../contract'
import type { Dispatch } from '../dispatch'
import type { EventHub } from '../event-hub'
import { decodeWire, encodeWire } from '../wire/typed-codec'

const log = createLogger('bridge')

/** Bodies above this are refused (413). Requests carry paths, ids, options and at most a few
 *  thousand series overrides (a few KB); no request carries image data (results do). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/** Request bodies buffered at once, all connections together; beyond it a body is refused (503)
 *  until others have been read, so many large bodies cannot exhaust memory. */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024
/** The client never needs to send on the event socket; anything larger closes it (1009). */
export const MAX_CLIENT_FRAME_BYTES = 4096

export const mimeTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.nii': 'application/octet-stream',
  '.gz': 'application/gzip'
}

export interface BridgeOptions {
  readonly dispatch: Dispatch
  readonly hub: EventHub
  /** Folder of the built renderer (out/renderer); null serves no files (API only). */
  readonly staticDir: string | null
  /** 0 (default) picks a free port. */
  readonly port?: number
  readonly maxBodyBytes?: number
  readonly maxBufferedBytes?: number
  /** Fixed token, for tests only; by default 32 random bytes per launch. */
  readonly token?: string
}

export interface RunningBridge {
  /** http://127.0.0.1:<port> */
  readonly origin: string
  readonly port: number
  readonly token: string
  /** The address to open in a browser: origin + `/?token=`. */
  readonly url: string
  /** Stops accepting, closes the event sockets and the server. */
  close(): Promise<void>
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

const statusOfCode: Readonly<Record<string, number>> = { 'unknown-request': 400, 'invalid-args': 400, 'bad-request': 400, unauthorized: 401, forbidden: 403 }

const reasons: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  503: 'Service Unavailable'
}

/** Answers a raw socket (before or instead of an HTTP response object) and closes it. */
function refuseSocket(socket: Duplex, status: number, message: string): void {
  if (socket.writable)
    socket.end(`HTTP/1.1 ${status} ${reasons[status] ?? 'Bad Request'}\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n${message}\n`)
  socket.destroy()
}

/** The path of a request target, or an HttpError: only origin-form targets (`/path?query`). */
function requestPath(target: string | undefined): URL {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) {
    throw new HttpError(400, 'bad-request', 'the request target must be a path starting with /')
  }
  try {
    return new URL(target, 'http://127.0.0.1')
  } catch {
    throw new HttpError(400, 'bad-request', 'the request target is not a valid URL path')
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const token = options.token ?? randomBytes(32).toString('base64url')
  const tokenDigest = digest(token)
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  let buffered = 0 // bytes of request bodies held right now, all requests together
  const staticRoot = options.staticDir === null ? null : resolve(options.staticDir)
  let origin = '' // known once listening
  let hosts: readonly string[] = [] // the Host headers this server answers
  let origins: readonly string[] = []
  let csp = { header: '', meta: '' }

  /** Constant-time comparison (hashing first makes the lengths equal). */
  function tokenMatches(given: string | null | undefined): boolean {
    if (typeof given !== 'string' || given.length === 0) return false
    return timingSafeEqual(digest(given), tokenDigest)
  }

  /** Every request, page and API alike: a Host other than this port on loopback is a DNS
   *  rebinding (or a misdirected request) and gets nothing. */
  function checkHost(req: IncomingMessage): void {
    const host = req.headers.host
    if (host === undefined || !hosts.includes(host.toLowerCase())) {
      throw new HttpError(403, 'forbidden', `requests for host '${String(host ?? '').slice(0, 100)}' are refused; use ${origin}`)
    }
  }

  function checkAccess(req: IncomingMessage, given: string | null | undefined): void {
    const from = req.headers.origin
    // Browsers send Origin on every POST and WebSocket; tools without one still need the token.
    if (from !== undefined && !origins.includes(from)) {
      throw new HttpError(403, 'forbidden', `requests from origin '${from.slice(0, 200)}' are refused; only ${origin} may use this server`)
    }
    if (given === undefined || given === null || given === '') {
      throw new HttpError(401, 'unauthorized', 'the access token is missing; open the address printed by npm run serve')
    }
    if (!tokenMatches(given)) throw new HttpError(401, 'unauthorized', 'the access token is wrong (it changes at every launch of npm run serve)')
  }

  function send(res: ServerResponse, status: number, body: { result: unknown } | { error: ApiErrorShape }): void {
    let text: string
    try {
      text = encodeWire(body)
    } catch (err) {
      status = 500
      text = JSON.stringify({ error: { code: 'failed', message: `the result could not be encoded: ${(err as Error).message}` } })
    }
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff'
    })
    res.end(text)
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > maxBody) throw new HttpError(413, 'bad-request', `the request body (${declared} bytes) is larger than the limit of ${maxBody} bytes`)
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of req) {
        const n = (chunk as Buffer).length
        size += n
        if (size > maxBody) throw new HttpError(413, 'bad-request', `the request body is larger than the limit of ${maxBody} bytes`)
        if (buffered + n > maxBuffered) throw new HttpError(503, 'bad-request', 'the server is reading too many request bodies at once; try again')
        buffered += n
        chunks.push(chunk as Buffer)
      }
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
    } catch (err) {
      if (err instanceof TypeError) throw new HttpError(400, 'bad-request', 'the request body is not valid UTF-8')
      throw err
    } finally {
      buffered -= chunks.reduce((sum, c) => sum + c.length, 0)
    }
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'bad-request', `${req.method} ${CALL_PATH}: use POST`)
    checkAccess(req, req.headers[TOKEN_HEADER] as string | undefined)
    const type = req.headers['content-type'] ?? ''
    if (!type.startsWith('application/json')) throw new HttpError(415, 'bad-request', `the body must be application/json, not '${type}'`)
    const text = await readBody(req)
    let body: unknown
    try {
      body = decodeWire(text)
    } catch (err) {
      throw new HttpError(400, 'bad-request', `the request body is not valid JSON: ${(err as Error).message}`)
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(400, 'bad-request', 'the request body must be an object {"name": ..., "args": ...}')
    }
    const { name, args } = body as { name?: unknown; args?: unknown }
    const outcome = await options.dispatch(name, args)
    if (outcome.ok) send(res, 200, { result: outcome.result })
    else send(res, statusOfCode[outcome.error.code] ?? 500, { error: outcome.error })
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'bad-request', `${req.method} is not allowed here`)
    if (staticRoot === null) throw new HttpError(404, 'bad-request', 'no user interface is served by this bridge')
    let rel: string
    try {
      rel = decodeURIComponent(pathname)
    } catch {
      throw new HttpError(400, 'bad-request', 'the path is not valid URL encoding')
    }
    if (rel.includes('\0')) throw new HttpError(400, 'bad-request', 'the path contains a NUL character')
    if (rel.endsWith('/')) rel += 'index.html'
    const file = resolve(join(staticRoot, rel))
    if (!isInside(staticRoot, file)) throw new HttpError(404, 'bad-request', `not found: ${pathname}`)
    const info = await stat(file).catch(() => null)
    if (!info || !info.isFile()) throw new HttpError(404, 'bad-request', `not found: ${pathname}`)
    const ext = extname(file).toLowerCase()
    // The page's meta CSP (written at build time, shared with Electron) is narrowed to this port.
    const page = ext === '.html' ? Buffer.from((await readFile(file, 'utf8')).replace(cspMeta, csp.meta), 'utf8') : null
    res.writeHead(200, {
      'content-type': mimeTypes[ext] ?? 'application/octet-stream',
      'content-length': page ? page.length : info.size,
      'content-security-policy': csp.header,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      // index.html must be re-read after a rebuild; the hashed assets may be cached.
      'cache-control': ext === '.html' ? 'no-store' : 'public, max-age=3600'
    })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    if (page) res.end(page)
    else
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkHost(req)
    const { pathname } = requestPath(req.url)
    if (pathname === CALL_PATH) return handleCall(req, res)
    if (pathname.startsWith('/api/')) throw new HttpError(404, 'unknown-request', `no such endpoint: ${pathname.slice(0, 200)}`)
    return serveStatic(req, res, pathname)
  }

  const server = createServer((req, res) => {
    const what = `${req.method} ${String(req.url).slice(0, 200)}`
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'failed', err instanceof Error ? err.message : String(err))
      if (e.status >= 500) log.error(`${what}: ${e.message}`)
      else log.debug(`${what} refused (${e.status}): ${e.message}`)
      if (res.headersSent) {
        res.destroy()
        return
      }
      // Stop reading a refused body, then answer and close (what is left of it is not read).
      req.resume()
      res.setHeader('connection', 'close')
      send(res, e.status, { error: { code: e.code, message: e.message } })
    })
  })
  // A request line or header Node's parser cannot read never reaches the handler above.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    log.warn(`a malformed request was refused and its connection closed: ${err.code ?? err.message}`)
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
    refuseSocket(socket, status, status === 431 ? 'the request headers are too large' : 'the request could not be parsed')
  })

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES })
  sockets.on('error', (err) => log.warn(`event socket server: ${err.message}`))
  sockets.on('connection', (ws: WebSocket) => {
    // A malformed frame (unmasked, bad opcode, invalid UTF-8, too large) closes this socket only.
    ws.on('error', (err) => {
      log.warn(`an event socket sent a malformed frame and was closed: ${err.message}`)
      ws.terminate()
    })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => log.warn(`event socket: ${err.message}`))
    try {
      checkHost(req)
      const url = requestPath(req.url)
      if (url.pathname !== EVENTS_PATH) throw new HttpError(404, 'unknown-request', `no WebSocket at ${url.pathname.slice(0, 200)}`)
      checkAccess(req, url.searchParams.get('token'))
      sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req))
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(400, 'bad-request', err instanceof Error ? err.message : String(err))
      log.debug(`WebSocket upgrade refused (${e.status}): ${e.message}`)
      refuseSocket(socket, e.status, e.message)
    }
  })

  const unsubscribe = options.hub.subscribe((event, payload) => {
    if (sockets.clients.size === 0) return
    const frame = encodeWire({ event, payload })
    for (const ws of sockets.clients) if (ws.readyState === WebSocket.OPEN) ws.send(frame)
  })

  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail)
      ok()
    })
  })
  const port = (server.address() as AddressInfo).port
  origin = `http://127.0.0.1:${port}`
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`]
  origins = hosts.map((h) => `http://${h}`)
  csp = { header: bridgeCspHeader(port), meta: bridgeCspMeta(port) }

  return {
    origin,
    port,
    token,
    url: `${origin}/?token=${token}`,
    close: async () => {
      unsubscribe()
      for (const ws of sockets.clients) ws.terminate()
      sockets.close()
      server.closeAllConnections()
      await new Promise<void>((ok) => server.close(() => ok()))
    }
  }
}
