/**
 * The loopback bridge refuses what it must (no token, wrong token, another Origin, malformed
 * bodies, invalid arguments) without running anything, carries typed arrays both ways, pushes
 * events over its WebSocket, and serves the renderer without leaving its folder.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { startBridge, type RunningBridge } from '../../../src-main/api/adapters/bridge'
import { CALL_PATH, EVENTS_PATH, TOKEN_HEADER } from '../../../src-main/api/wire/bridge-protocol'
import { createApiRuntime, type ApiRuntime } from '../../../src-main/api/runtime'
import { decodeWire, encodeWire } from '../../../src-main/api/wire/typed-codec'
import { bridgeCspHeader } from '../../../src-main/api/csp'
import { calledAny, spyHandlers, type SpyTable } from './spy-handlers'
import { InputError } from '../../../src-main/domain/errors'

let table: SpyTable
let rt: ApiRuntime
let bridge: RunningBridge
let staticDir: string

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'tcgm-bridge-'))
  staticDir = join(base, 'renderer')
  mkdirSync(join(staticDir, 'assets'), { recursive: true })
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(staticDir, 'assets', 'x.wasm'), Buffer.from([0, 97, 115, 109]))
  writeFileSync(join(base, 'secret.txt'), 'outside the static folder')
  table = spyHandlers()
  rt = createApiRuntime({ shell: 'browser', userDataDir: base, allowedRoots: [], validateOutputs: false, handlers: table })
  bridge = await startBridge({ dispatch: rt.dispatch, hub: rt.hub, staticDir })
})

afterAll(async () => {
  await bridge.close()
})

beforeEach(() => {
  for (const f of Object.values(table)) f.mockClear()
})

async function call(
  body: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: { result?: unknown; error?: { code: string; message: string } } }> {
  const res = await fetch(bridge.origin + CALL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TOKEN_HEADER]: bridge.token, ...headers },
    body
  })
  return { status: res.status, body: decodeWire(await res.text()) as never }
}

describe('bridge: who may call', () => {
  it('listens on 127.0.0.1 with a long random token', () => {
    expect(bridge.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(Buffer.from(bridge.token, 'base64url')).toHaveLength(32)
    expect(bridge.url).toBe(`${bridge.origin}/?token=${bridge.token}`)
  })

  it('answers a valid request from its own origin', async () => {
    table['studies.recent'].mockResolvedValueOnce([])
    const r = await call(encodeWire({ name: 'studies.recent', args: {} }), { origin: bridge.origin })
    expect(r).toEqual({ status: 200, body: { result: [] } })
    expect(table['studies.recent']).toHaveBeenCalledOnce()
  })

  it('refuses a request without the token (401), running nothing', async () => {
    const res = await fetch(bridge.origin + CALL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: encodeWire({ name: 'studies.recent', args: {} })
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/token is missing/)
    expect(calledAny(table)).toBe(false)
  })

  it('refuses a wrong token (401), including one that differs only in length', async () => {
    for (const wrong of ['x'.repeat(bridge.token.length), bridge.token + 'a', bridge.token.slice(0, -1)]) {
      const r = await call(encodeWire({ name: 'studies.recent', args: {} }), { [TOKEN_HEADER]: wrong })
      expect(r.status).toBe(401)
      expect(r.body.error?.code).toBe('unauthorized')
    }
    expect(calledAny(table)).toBe(false)
  })

  it('refuses another Origin (403) even with the right token', async () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:1', 'null']) {
      const r = await call(encodeWire({ name: 'studies.recent', args: {} }), { origin })
      expect(r.status).toBe(403)
      expect(r.body.error?.message).toContain(`'${origin}'`)
    }
    expect(calledAny(table)).toBe(false)
  })
})

describe('bridge: what may be called', () => {
  it('refuses malformed JSON, a body that is not an object, and a non-JSON content type (400/415)', async () => {
    const bad = await call('{"name": "studies.recent", ')
    expect(bad.status).toBe(400)
    expect(bad.body.error?.message).toMatch(/not valid JSON/)
    expect((await call('[1,2]')).status).toBe(400)
    const plain = await fetch(bridge.origin + CALL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', [TOKEN_HEADER]: bridge.token },
      body: '{}'
    })
    expect(plain.status).toBe(415)
    expect(calledAny(table)).toBe(false)
  })

  it('refuses an unknown request (400)', async () => {
    const r = await call(encodeWire({ name: 'shell.exec', args: { cmd: 'rm -rf /' } }))
    expect(r.status).toBe(400)
    expect(r.body.error).toEqual({ code: 'unknown-request', message: "unknown request 'shell.exec'" })
    expect(calledAny(table)).toBe(false)
  })

  it('refuses invalid arguments (400) with the zod issue naming the field', async () => {
    const r = await call(encodeWire({ name: 'files.list', args: { path: 5 } }))
    expect(r.status).toBe(400)
    expect(r.body.error?.code).toBe('invalid-args')
    expect(r.body.error?.message).toMatch(/^invalid argument for 'files\.list': path: .*expected string/)
    const extra = await call(encodeWire({ name: 'job.cancel', args: { jobId: 'a', also: 'this' } }))
    expect(extra.status).toBe(400)
    expect(extra.body.error?.message).toMatch(/also/)
    expect(calledAny(table)).toBe(false)
  })

  it('refuses GET on the call endpoint and unknown API paths', async () => {
    expect((await fetch(bridge.origin + CALL_PATH, { headers: { [TOKEN_HEADER]: bridge.token } })).status).toBe(405)
    expect((await fetch(bridge.origin + '/api/other', { method: 'POST', headers: { [TOKEN_HEADER]: bridge.token } })).status).toBe(404)
    expect(calledAny(table)).toBe(false)
  })

  it('refuses a body above the size limit (413)', async () => {
    const small = await startBridge({ dispatch: rt.dispatch, hub: rt.hub, staticDir: null, maxBodyBytes: 1000 })
    try {
      const res = await fetch(small.origin + CALL_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: small.token },
        body: encodeWire({ name: 'studies.recent', args: { pad: 'x'.repeat(5000) } })
      })
      expect(res.status).toBe(413)
    } finally {
      await small.close()
    }
    expect(calledAny(table)).toBe(false)
  })

  it("maps a handler's failure to 500 with its message", async () => {
    table['studies.recent'].mockRejectedValueOnce(new Error('recent-studies.json is damaged'))
    const r = await call(encodeWire({ name: 'studies.recent', args: {} }))
    expect(r).toEqual({ status: 500, body: { error: { code: 'failed', message: 'recent-studies.json is damaged' } } })
  })

  it("answers a researcher's mistake with 400 and its message, not 500", async () => {
    table['studies.recent'].mockRejectedValueOnce(new InputError('/data/cohort is not a study folder: study.json not found'))
    const r = await call(encodeWire({ name: 'studies.recent', args: {} }))
    expect(r).toEqual({ status: 400, body: { error: { code: 'bad-request', message: '/data/cohort is not a study folder: study.json not found' } } })
  })

  it('carries typed arrays in results', async () => {
    const voxels = new Float32Array(4096).map((_, i) => i / 7)
    table['studies.recent'].mockResolvedValueOnce({ voxels } as never)
    const r = await call(encodeWire({ name: 'studies.recent', args: {} }))
    const back = (r.body.result as { voxels: Float32Array }).voxels
    expect(back).toBeInstanceOf(Float32Array)
    expect(Array.from(back)).toEqual(Array.from(voxels))
  })
})

describe('bridge: events', () => {
  function open(query: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; status: number | null }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}${EVENTS_PATH}${query}`, { headers })
      ws.once('open', () => resolve({ ws, status: 101 }))
      ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? null }))
      ws.once('error', () => resolve({ ws, status: null }))
    })
  }

  it('refuses a socket without the token, with a wrong token, or from another origin', async () => {
    expect((await open('')).status).toBe(401)
    expect((await open('?token=nope')).status).toBe(401)
    expect((await open(`?token=${bridge.token}`, { origin: 'http://evil.example' })).status).toBe(403)
  })

  it('pushes events, typed arrays included, to a connected socket', async () => {
    const { ws, status } = await open(`?token=${bridge.token}`, { origin: bridge.origin })
    expect(status).toBe(101)
    const got = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(decodeWire(String(data)))))
    rt.hub.emit('job.progress', { jobId: 'j', kind: 'train', fraction: 0.5, message: 'epoch 3', detail: { losses: new Float32Array([0.5, 0.25]) } })
    const frame = (await got) as { event: string; payload: { detail: { losses: Float32Array } } }
    expect(frame.event).toBe('job.progress')
    expect(frame.payload.detail.losses).toBeInstanceOf(Float32Array)
    expect(Array.from(frame.payload.detail.losses)).toEqual([0.5, 0.25])
    ws.close()
  })
})

describe('bridge: static files', () => {
  it('serves the renderer with the CSP header and the right MIME types', async () => {
    const index = await fetch(bridge.origin + '/')
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(index.headers.get('content-security-policy')).toBe(bridgeCspHeader(bridge.port))
    expect(index.headers.get('x-content-type-options')).toBe('nosniff')
    const wasm = await fetch(bridge.origin + '/assets/x.wasm')
    expect(wasm.headers.get('content-type')).toBe('application/wasm')
    expect(Buffer.from(await wasm.arrayBuffer())).toEqual(Buffer.from([0, 97, 115, 109]))
  })

  it('does not leave its folder, however the path is spelled', async () => {
    const net = await import('node:net')
    // fetch normalises '..' away, so send raw request lines.
    const raw = (path: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect(bridge.port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nConnection: close\r\n\r\n`))
        let text = ''
        s.on('data', (d) => (text += d))
        s.on('end', () => resolve(text))
      })
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/..\\secret.txt', '/a%00b']) {
      const answer = await raw(path)
      expect(answer, path).toMatch(/^HTTP\/1\.1 40[04]/)
      expect(answer).not.toContain('outside the static folder')
    }
  })

  it('answers 404 for a missing file and 405 for other methods', async () => {
    expect((await fetch(bridge.origin + '/nope.js')).status).toBe(404)
    expect((await fetch(bridge.origin + '/index.html', { method: 'DELETE' })).status).toBe(405)
  })
})

describe('bridge: closing', () => {
  it('stops listening', async () => {
    const b = await startBridge({ dispatch: rt.dispatch, hub: rt.hub, staticDir: null })
    await b.close()
    await expect(fetch(b.origin + CALL_PATH, { method: 'POST' })).rejects.toThrow()
    vi.restoreAllMocks()
  })
})
