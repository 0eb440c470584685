/**
 * The API client of browser mode: requests as HTTP POSTs to the loopback bridge, events over one
 * WebSocket that reconnects by itself. Typed arrays travel as tagged base64 (typed-codec), so
 * callers get real Float32Arrays as they would over Electron IPC.
 *
 * The per-launch token comes from the page URL (`?token=...` or `#token=...`, as printed by
 * `npm run serve`); it is then removed from the address bar and kept in sessionStorage so a
 * reload of the tab still works.
 */
import type { ApiClient, ArgsOf, EventName, PayloadOf, RequestName, ResultOf } from '@contract/contract'
import { CALL_PATH, EVENTS_PATH, TOKEN_HEADER } from '@contract/wire/bridge-protocol'
import { ApiError } from '@contract/wire/errors'
import { decodeWire, encodeWire } from '@contract/wire/typed-codec'

/** Where the bridge is and how to prove we may use it. */
export interface BridgeEndpoint {
  /** e.g. http://127.0.0.1:43117 (no trailing slash). */
  readonly baseUrl: string
  readonly token: string
}

export const TOKEN_STORAGE_KEY = 'tcgm-lab.bridgeToken'

/**
 * Reads the endpoint from the page's own URL: the bridge serves the page, so its origin is the
 * bridge's. A `port` query parameter overrides the port (renderer served from elsewhere).
 * Returns null when no token is known.
 */
export function endpointFromLocation(location: Location, history?: History, storage?: Storage): BridgeEndpoint | null {
  const url = new URL(location.href)
  const hash = new URLSearchParams(url.hash.replace(/^#/, ''))
  const token = url.searchParams.get('token') ?? hash.get('token') ?? storage?.getItem(TOKEN_STORAGE_KEY) ?? null
  if (!token) return null
  storage?.setItem(TOKEN_STORAGE_KEY, token)
  const port = url.searchParams.get('port')
  const base = new URL(url.origin)
  if (port) base.port = port
  if (history && (url.searchParams.has('token') || hash.has('token'))) {
    // Keep the secret out of the address bar, bookmarks and screenshots.
    url.searchParams.delete('token')
    hash.delete('token')
    const h = hash.toString()
    history.replaceState(history.state, '', url.pathname + url.search + (h ? '#' + h : ''))
  }
  return { baseUrl: base.origin, token }
}

export interface BridgeClientDeps {
  readonly fetch: typeof fetch
  readonly WebSocket: typeof WebSocket
  /** Delay before reconnect attempt n (0-based), in milliseconds. */
  readonly reconnectDelayMs?: (attempt: number) => number
}

export interface BridgeClient extends ApiClient {
  /** Closes the event socket and stops reconnecting. */
  close(): void
}

type Listener = (payload: unknown) => void

export function createBridgeClient(endpoint: BridgeEndpoint, deps: BridgeClientDeps): BridgeClient {
  const listeners = new Map<EventName, Set<Listener>>()
  const delay = deps.reconnectDelayMs ?? ((n: number) => Math.min(5000, 250 * 2 ** n))
  let socket: WebSocket | null = null
  let attempts = 0
  let closed = false
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  function connect(): void {
    if (closed || socket) return
    const wsUrl = new URL(EVENTS_PATH, endpoint.baseUrl)
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:'
    wsUrl.searchParams.set('token', endpoint.token)
    const ws = new deps.WebSocket(wsUrl.toString())
    socket = ws
    ws.onopen = () => {
      attempts = 0
    }
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data !== 'string') return
      let frame: unknown
      try {
        frame = decodeWire(e.data)
      } catch (err) {
        console.error('TCGM Lab: an event frame from the bridge could not be decoded', err)
        return
      }
      const { event, payload } = frame as { event: EventName; payload: unknown }
      for (const l of listeners.get(event) ?? []) {
        try {
          l(payload)
        } catch (err) {
          console.error(`TCGM Lab: a listener of '${event}' failed`, err)
        }
      }
    }
    ws.onclose = () => {
      socket = null
      if (closed || listeners.size === 0) return
      retryTimer = setTimeout(() => {
        retryTimer = null
        connect()
      }, delay(attempts++))
    }
  }

  async function call<N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>> {
    let response: Response
    try {
      response = await deps.fetch(new URL(CALL_PATH, endpoint.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: endpoint.token },
        body: encodeWire({ name, args })
      })
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      throw new ApiError('failed', `'${name}': the TCGM Lab server at ${endpoint.baseUrl} cannot be reached (${why}); is npm run serve still running?`)
    }
    const text = await response.text()
    let body: { result?: unknown; error?: { code: string; message: string } }
    try {
      body = decodeWire(text) as typeof body
    } catch {
      throw new ApiError('failed', `'${name}': the server answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`)
    }
    if (!response.ok || body.error) {
      throw ApiError.fromShape(body.error ?? { code: 'failed', message: `'${name}': HTTP ${response.status}` })
    }
    return body.result as ResultOf<N>
  }

  function on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void {
    let set = listeners.get(name)
    if (!set) listeners.set(name, (set = new Set()))
    const l = listener as Listener
    set.add(l)
    connect()
    return () => {
      set.delete(l)
      if (set.size === 0) listeners.delete(name)
    }
  }

  function close(): void {
    closed = true
    if (retryTimer) clearTimeout(retryTimer)
    socket?.close()
    socket = null
  }

  return { call, on, close, shell: 'browser' }
}
