/**
 * The loopback bridge: the API over HTTP + WebSocket on 127.0.0.1, for browser mode
 * (`npm run serve`) and the end-to-end tests. It also serves the built renderer.
 *
 * Protocol
 * - `POST /api/call` with JSON `{"name": "<request>", "args": {...}}` and the header
 *   `x-tcgm-token: <token>`. Answers 200 `{"result": ...}` or an error status with
 *   `{"error": {"code", "message"}}`: 401 missing or wrong token, 403 wrong Origin, 400 malformed
 *   JSON / unknown request / invalid argument (the zod issue, naming the field), 413 body too
 *   large, 500 the handler failed. Nothing runs unless the request passed every check.
 * - `GET /api/events?token=<token>` upgraded to a WebSocket: one text frame per event,
 *   `{"event": "<name>", "payload": ...}`. The server never reads from it.
 * - Bodies and frames are JSON with typed arrays as tagged base64 (see ../typed-codec.ts), decoded
 *   before validation.
 * - Everything else: static files of the built renderer (GET/HEAD), with the CSP header.
 *
 * Security: bound to 127.0.0.1 only, on a free port unless one is given; a random 32-byte token
 * per launch, compared in constant time; a request carrying an Origin header must come from the
 * bridge's own origin (a web page elsewhere cannot drive it, even via DNS rebinding).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve } from 'node:path'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket } from 'ws'
import { isInside } from '../../files/allowed-roots'
import { createLogger } from '../../log'
import { cspHeader } from '../../shell/csp'
import { CALL_PATH, EVENTS_PATH, TOKEN_HEADER } from '../wire/bridge-protocol'
import type { ApiErrorShape } from '../contract'
import type { Dispatch } from '../dispatch'
import type { EventHub } from '../event-hub'
import { decodeWire, encodeWire } from '../wire/typed-codec'

const log = createLogger('bridge')

/** Bodies above this are refused (413): a few 1M-voxel volumes as base64 fit easily. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024

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

const statusOfCode: Readonly<Record<string, number>> = { 'unknown-request': 400, 'invalid-args': 400, unauthorized: 401, forbidden: 403 }

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const token = options.token ?? randomBytes(32).toString('base64url')
  const tokenDigest = digest(token)
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const staticRoot = options.staticDir === null ? null : resolve(options.staticDir)
  let origin = '' // known once listening

  /** Constant-time comparison (hashing first makes the lengths equal). */
  function tokenMatches(given: string | null | undefined): boolean {
    if (typeof given !== 'string' || given.length === 0) return false
    return timingSafeEqual(digest(given), tokenDigest)
  }

  function checkAccess(req: IncomingMessage, given: string | null | undefined): void {
    const from = req.headers.origin
    // Browsers send Origin on every POST and WebSocket; tools without one still need the token.
    if (from !== undefined && from !== origin) {
      throw new HttpError(403, 'forbidden', `requests from origin '${from}' are refused; only ${origin} may use this server`)
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
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > maxBody) throw new HttpError(413, 'bad-request', `the request body is larger than the limit of ${maxBody} bytes`)
      chunks.push(chunk as Buffer)
    }
    return Buffer.concat(chunks).toString('utf8')
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
    res.writeHead(200, {
      'content-type': mimeTypes[ext] ?? 'application/octet-stream',
      'content-length': info.size,
      'content-security-policy': cspHeader,
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
    createReadStream(file).pipe(res)
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin || 'http://127.0.0.1')
    const work = url.pathname === CALL_PATH ? handleCall(req, res) : url.pathname.startsWith('/api/') ? Promise.reject(new HttpError(404, 'unknown-request', `no such endpoint: ${url.pathname}`)) : serveStatic(req, res, url.pathname)
    work.catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'failed', err instanceof Error ? err.message : String(err))
      if (e.status >= 500) log.error(`${req.method} ${url.pathname}: ${e.message}`)
      else log.debug(`${req.method} ${url.pathname} refused (${e.status}): ${e.message}`)
      if (res.headersSent) {
        res.destroy()
        return
      }
      // Stop reading a refused body, then answer.
      req.resume()
      send(res, e.status, { error: { code: e.code, message: e.message } })
    })
  })

  const sockets = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', origin)
    try {
      if (url.pathname !== EVENTS_PATH) throw new HttpError(404, 'unknown-request', `no WebSocket at ${url.pathname}`)
      checkAccess(req, url.searchParams.get('token'))
    } catch (err) {
      const e = err as HttpError
      const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[e.status] ?? 'Bad Request'
      socket.end(`HTTP/1.1 ${e.status} ${reason}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${e.message}\n`)
      return
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req))
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
