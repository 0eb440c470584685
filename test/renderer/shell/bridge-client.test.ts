/** The renderer's API client: the bridge transport (token from the URL, errors as ApiError,
 *  typed arrays, events with reconnect) and the choice between window.api and the bridge. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBridgeClient, endpointFromLocation, TOKEN_STORAGE_KEY } from '../../../src-renderer/src/api/bridge-client'
import { getApi, setApi } from '../../../src-renderer/src/api/client'
import { ApiError } from '@contract/wire/errors'
import { decodeWire, encodeWire } from '@contract/wire/typed-codec'

const endpoint = { baseUrl: 'http://127.0.0.1:4321', token: 'tok' }

function jsonResponse(status: number, body: unknown): Response {
  return new Response(encodeWire(body), { status, headers: { 'content-type': 'application/json' } })
}

class FakeSocket {
  static instances: FakeSocket[] = []
  onopen: (() => void) | null = null
  onmessage: ((e: { data: unknown }) => void) | null = null
  onclose: (() => void) | null = null
  closed = false
  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }
  close() {
    this.closed = true
  }
}

afterEach(() => {
  FakeSocket.instances = []
  setApi(null)
  delete (window as { api?: unknown }).api
  sessionStorage.clear()
  vi.useRealTimers()
})

describe('endpoint from the page URL', () => {
  it('reads the token from the query, keeps it for reloads and removes it from the address bar', () => {
    const replaceState = vi.fn()
    const e = endpointFromLocation(
      new URL('http://127.0.0.1:4321/?token=abc#x=1') as unknown as Location,
      { state: null, replaceState } as unknown as History,
      sessionStorage
    )
    expect(e).toEqual({ baseUrl: 'http://127.0.0.1:4321', token: 'abc' })
    expect(sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe('abc')
    expect(replaceState).toHaveBeenCalledWith(null, '', '/#x=1')
    // After the reload the URL has no token: the stored one is used.
    expect(endpointFromLocation(new URL('http://127.0.0.1:4321/') as unknown as Location, undefined, sessionStorage)?.token).toBe('abc')
  })

  it('accepts the token in the hash and a port override, and gives null without a token', () => {
    expect(endpointFromLocation(new URL('http://127.0.0.1:5000/#token=h') as unknown as Location)).toEqual({ baseUrl: 'http://127.0.0.1:5000', token: 'h' })
    expect(endpointFromLocation(new URL('http://127.0.0.1:5000/?token=t&port=6000') as unknown as Location)?.baseUrl).toBe('http://127.0.0.1:6000')
    expect(endpointFromLocation(new URL('http://127.0.0.1:5000/') as unknown as Location)).toBeNull()
  })
})

describe('bridge client', () => {
  it('POSTs the request with the token and returns the result, typed arrays included', async () => {
    const fetch = vi.fn(async () => jsonResponse(200, { result: { voxels: new Float32Array([1, 2.5]) } }))
    const client = createBridgeClient(endpoint, { fetch: fetch as never, WebSocket: FakeSocket as never })
    const result = (await client.call('studies.recent', {})) as unknown as { voxels: Float32Array }
    expect(result.voxels).toBeInstanceOf(Float32Array)
    expect(Array.from(result.voxels)).toEqual([1, 2.5])
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('http://127.0.0.1:4321/api/call')
    expect(init.method).toBe('POST')
    expect((init.headers as Record<string, string>)['x-tcgm-token']).toBe('tok')
    expect(decodeWire(init.body as string)).toEqual({ name: 'studies.recent', args: {} })
    expect(client.shell).toBe('browser')
  })

  it('throws ApiError with the code and message of the server', async () => {
    const fetch = vi.fn(async () => jsonResponse(400, { error: { code: 'invalid-args', message: "invalid argument for 'files.list': path: expected string" } }))
    const client = createBridgeClient(endpoint, { fetch: fetch as never, WebSocket: FakeSocket as never })
    const err = await client.call('files.list', { path: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'invalid-args', message: "invalid argument for 'files.list': path: expected string" })
  })

  it('says the server cannot be reached when the network fails, and when the answer is not JSON', async () => {
    const down = createBridgeClient(endpoint, {
      fetch: (async () => {
        throw new TypeError('Failed to fetch')
      }) as never,
      WebSocket: FakeSocket as never
    })
    await expect(down.call('app.info', {})).rejects.toThrow(
      /'app\.info': the TCGM Lab server at http:\/\/127\.0\.0\.1:4321 cannot be reached \(Failed to fetch\)/
    )
    const html = createBridgeClient(endpoint, { fetch: (async () => new Response('<html>', { status: 502 })) as never, WebSocket: FakeSocket as never })
    await expect(html.call('app.info', {})).rejects.toThrow(/HTTP 502 with a body that is not JSON/)
  })

  it('opens one event socket with the token on first subscription and delivers events by name', () => {
    const client = createBridgeClient(endpoint, { fetch: vi.fn() as never, WebSocket: FakeSocket as never })
    expect(FakeSocket.instances).toHaveLength(0)
    const menu: unknown[] = []
    const done: unknown[] = []
    client.on('menu.command', (p) => menu.push(p))
    const off = client.on('job.done', (p) => done.push(p))
    expect(FakeSocket.instances).toHaveLength(1)
    const ws = FakeSocket.instances[0]!
    expect(ws.url).toBe('ws://127.0.0.1:4321/api/events?token=tok')
    ws.onmessage!({ data: encodeWire({ event: 'menu.command', payload: { command: 'export' } }) })
    ws.onmessage!({ data: encodeWire({ event: 'job.done', payload: { jobId: 'j', kind: 'k', result: new Int16Array([3]) } }) })
    off()
    ws.onmessage!({ data: encodeWire({ event: 'job.done', payload: { jobId: 'j2', kind: 'k', result: null } }) })
    expect(menu).toEqual([{ command: 'export' }])
    expect(done).toHaveLength(1)
    expect((done[0] as { result: Int16Array }).result).toBeInstanceOf(Int16Array)
  })

  it('reconnects after the socket drops, and stops on close()', () => {
    vi.useFakeTimers()
    const client = createBridgeClient(endpoint, { fetch: vi.fn() as never, WebSocket: FakeSocket as never, reconnectDelayMs: () => 100 })
    client.on('menu.command', () => undefined)
    FakeSocket.instances[0]!.onclose!()
    vi.advanceTimersByTime(100)
    expect(FakeSocket.instances).toHaveLength(2)
    client.close()
    expect(FakeSocket.instances[1]!.closed).toBe(true)
    FakeSocket.instances[1]!.onclose!()
    vi.advanceTimersByTime(1000)
    expect(FakeSocket.instances).toHaveLength(2)
  })
})

describe('getApi', () => {
  it('uses window.api when the Electron preload set it, rebuilding ApiError from the error text', async () => {
    const call = vi.fn(async () => {
      throw new Error("Error invoking remote method 'tcgm:api:call': Error: [invalid-args] invalid argument for 'job.cancel': jobId: too small")
    })
    window.api = { shell: 'electron', call: call as never, on: vi.fn(() => () => undefined) }
    const api = getApi()
    expect(api.shell).toBe('electron')
    const err = await api.call('job.cancel', { jobId: '' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'invalid-args', message: "invalid argument for 'job.cancel': jobId: too small" })
  })

  it('explains how to open the page when there is neither window.api nor a token', () => {
    expect(() => getApi()).toThrow(/opened without its access token.*npm run serve/)
  })

  it('returns the client set by tests', () => {
    const fake = { shell: 'browser' as const, call: vi.fn(), on: vi.fn() }
    setApi(fake as never)
    expect(getApi()).toBe(fake)
  })
})
