/**
 * The browser-mode bridge under hostile input, with the real handlers behind it (loopback only,
 * bounded): malformed request lines and headers, malformed and oversized WebSocket frames, and
 * every path-taking request of the contract with paths outside the allowed folders (plain,
 * through symlinks, relative, with '..', /proc, a FIFO, a device) and ids shaped like paths.
 *
 * Each must be answered 4xx with a message that carries no file content (or, for a bad frame,
 * close that one socket); the server must answer a good request after each; no handler may see
 * a path outside the allowed folder; nothing may appear or change outside it; the study inside
 * keeps every label. The figures are printed for the record.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promises as fsp, mkdtempSync, symlinkSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBridge, type RunningBridge } from '../../../src-main/api/adapters/bridge'
import { CALL_PATH, EVENTS_PATH, TOKEN_HEADER } from '../../../src-main/api/wire/bridge-protocol'
import { requests, type RequestName } from '../../../src-main/api/contract'
import type { HandlerTable } from '../../../src-main/api/handler-types'
import { handlers } from '../../../src-main/api/handlers'
import { createApiRuntime } from '../../../src-main/api/runtime'
import { encodeWire } from '../../../src-main/api/wire/typed-codec'
import { createStudy, loadStudy, mutateStudy, saveStudyFile, setLabel } from '../../../src-main/study/study'

async function writeSubjects(dir: string, ids: string[]): Promise<void> {
  await mutateStudy(dir, async (s) => {
    for (const id of ids) s.file.subjects.push({ id, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: {} })
    await saveStudyFile(s)
  })
}

const MARKER = `SECRET-${randomBytes(6).toString('hex')}`
let base: string
let allowed: string
let outside: string
let study: string
let bridge: RunningBridge
/** Every path argument a handler received (the guard runs before the handlers). */
const seenPaths: string[] = []
const figures = { tried: 0, refused: 0, crashes: 0, dataLost: 0 }

async function tree(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    const st = await fsp.lstat(p)
    out.push(`${p} ${st.size} ${st.mtimeMs}`)
    if (e.isDirectory()) out.push(...(await tree(p)))
  }
  return out.sort()
}

let outsideBefore: string[]

const logLevel = process.env.LOG_LEVEL
beforeAll(async () => {
  // Each refusal is logged by design; 800 of them would bury the test output.
  process.env.LOG_LEVEL = 'error'
  base = mkdtempSync(join(tmpdir(), 'tcgm-fuzz-'))
  allowed = join(base, 'allowed')
  outside = join(base, 'outside')
  await fsp.mkdir(allowed)
  await fsp.mkdir(join(outside, 'cohort'), { recursive: true })
  // What an attacker would like to read: a table, a study file and a plain file, each with the marker.
  await fsp.writeFile(join(outside, 'secret.tsv'), `${MARKER}\tx\nA\tAD\n`)
  await fsp.writeFile(join(outside, 'secret.txt'), `${MARKER}\n`)
  await fsp.mkdir(join(outside, 'study'))
  await fsp.writeFile(join(outside, 'study', 'study.json'), `{"${MARKER}": 1}\n`)
  symlinkSync(outside, join(allowed, 'link-out'))
  symlinkSync(join(outside, 'secret.tsv'), join(allowed, 'link-secret.tsv'))
  execFileSync('mkfifo', [join(allowed, 'pipe.tsv')])
  study = join(allowed, 'study')
  await createStudy(study)
  await writeSubjects(study, ['A', 'B'])
  await setLabel(study, 'A', 'AD')
  await fsp.writeFile(join(allowed, 'labels.tsv'), 'participant_id\tlabel\nB\tNC\n')
  outsideBefore = await tree(outside)

  const watched = Object.fromEntries(
    Object.entries(handlers).map(([name, fn]) => [
      name,
      async (args: Record<string, unknown>, ctx: unknown) => {
        for (const field of Object.keys(requests[name as RequestName].paths ?? {})) if (typeof args[field] === 'string') seenPaths.push(args[field] as string)
        return (fn as (a: unknown, c: unknown) => Promise<unknown>)(args, ctx)
      }
    ])
  ) as unknown as HandlerTable
  const rt = createApiRuntime({ shell: 'browser', userDataDir: join(allowed, 'user'), allowedRoots: [allowed], validateOutputs: true, handlers: watched })
  bridge = await startBridge({ dispatch: rt.dispatch, hub: rt.hub, staticDir: null })
})

afterAll(async () => {
  await bridge?.close()
  if (logLevel === undefined) delete process.env.LOG_LEVEL
  else process.env.LOG_LEVEL = logLevel
  // The figures this test stands for (reported with the change).
  console.log(
    `bridge fuzz: ${figures.tried} hostile requests or frames, ${figures.refused} refused, ${figures.crashes} crashes, ${figures.dataLost} labels lost`
  )
  await fsp.rm(base, { recursive: true, force: true })
})

/** Sends raw bytes, returns what came back until the server closed (or 3 s passed). */
function raw(bytes: Buffer | string, keepWriting?: (s: ReturnType<typeof connect>) => void): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(bridge.port, '127.0.0.1', () => {
      s.write(bytes)
      keepWriting?.(s)
    })
    let text = ''
    const done = (): void => {
      clearTimeout(timer)
      s.destroy()
      resolve(text)
    }
    const timer = setTimeout(done, 3000)
    s.on('data', (d) => (text += d.toString('latin1')))
    s.on('close', done)
    s.on('error', done)
  })
}

async function call(name: string, args: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(bridge.origin + CALL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TOKEN_HEADER]: bridge.token },
    body: encodeWire({ name, args })
  })
  return { status: res.status, text: await res.text() }
}

/** After each hostile input: the server still answers a good request. */
async function stillUp(): Promise<void> {
  const r = await call('study.open', { study }).catch(() => null)
  if (r?.status !== 200) figures.crashes++
  expect(r?.status).toBe(200)
}

function noContent(text: string): void {
  expect(text).not.toContain(MARKER)
  expect(text).not.toMatch(/PATH=|HOME=|\broot:/)
}

describe('bridge fuzz: request lines and headers', () => {
  const host = (): string => `127.0.0.1:${bridge.port}`
  const lines = (): string[] => [
    `GET http://[/ HTTP/1.1\r\nHost: ${host()}\r\n\r\n`,
    `GET http://a:99999/ HTTP/1.1\r\nHost: ${host()}\r\n\r\n`,
    `GET http://%zz/ HTTP/1.1\r\nHost: ${host()}\r\n\r\n`,
    `GET http://[/ HTTP/1.1\r\nHost: ${host()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    `GET //evil/${EVENTS_PATH} HTTP/1.1\r\nHost: ${host()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    `POST ${CALL_PATH} HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: -5\r\n\r\n`,
    `POST ${CALL_PATH} HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n`,
    `POST ${CALL_PATH} HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    `GET / HTTP/9.9\r\nHost: ${host()}\r\n\r\n`,
    `\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: ${host()}\r\nX: ${'a'.repeat(70000)}\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: ${host()}\r\nBad Header\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: evil.example:${bridge.port}\r\n\r\n`,
    `GET / HTTP/1.1\r\n\r\n`,
    `POST ${CALL_PATH} HTTP/1.1\r\nHost: rebound.example\r\nContent-Type: application/json\r\n${TOKEN_HEADER}: ${bridge.token}\r\nContent-Length: 2\r\n\r\n{}`,
    `GET ${EVENTS_PATH}?token=${bridge.token} HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    `GET ${EVENTS_PATH}?token=%zz HTTP/1.1\r\nHost: ${host()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 99\r\n\r\n`,
    `POST ${CALL_PATH} HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\n${TOKEN_HEADER}: ${bridge.token}\r\nContent-Length: 4\r\n\r\n\xff\xfe\xfd\xfc`
  ]

  it('answers each with 4xx (or closes the connection) and keeps serving', async () => {
    for (const line of lines()) {
      figures.tried++
      const answer = await raw(Buffer.from(line, 'latin1'))
      // Either an HTTP 4xx answer or, for input the parser cannot read at all, a closed connection.
      expect(answer === '' || /^HTTP\/1\.[01] 4\d\d /.test(answer), JSON.stringify(line.slice(0, 80)) + ' -> ' + answer.slice(0, 80)).toBe(true)
      figures.refused++
      await stillUp()
    }
  })

  it('refuses an oversized body (413) and bounds what it buffers at once (503)', async () => {
    figures.tried++
    const big = await fetch(bridge.origin + CALL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: bridge.token },
      body: JSON.stringify({ name: 'studies.recent', args: {}, pad: 'x'.repeat(2 * 1024 * 1024) })
    })
    expect(big.status).toBe(413)
    figures.refused++
    // A small bridge: three slow bodies of 600 bytes under a 1,000-byte buffer cap.
    const rt = createApiRuntime({ shell: 'browser', userDataDir: join(allowed, 'user'), allowedRoots: [allowed], validateOutputs: true, handlers })
    const small = await startBridge({ dispatch: rt.dispatch, hub: rt.hub, staticDir: null, maxBodyBytes: 800, maxBufferedBytes: 1000 })
    try {
      const slow = (): Promise<string> =>
        new Promise((resolve) => {
          const s = connect(small.port, '127.0.0.1', () => {
            s.write(
              `POST ${CALL_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${small.port}\r\nContent-Type: application/json\r\n${TOKEN_HEADER}: ${small.token}\r\nContent-Length: 700\r\n\r\n`
            )
            s.write('x'.repeat(600))
          })
          let text = ''
          s.on('data', (d) => (text += d))
          setTimeout(() => {
            s.destroy()
            resolve(text)
          }, 800)
        })
      figures.tried += 3
      const answers = await Promise.all([slow(), slow(), slow()])
      const refusedNow = answers.filter((a) => a.startsWith('HTTP/1.1 503')).length
      expect(refusedNow).toBeGreaterThanOrEqual(1)
      figures.refused += refusedNow
      figures.tried -= 3 - refusedNow // the ones still being read were not refused: not counted
    } finally {
      await small.close()
    }
    await stillUp()
  })
})

/** A WebSocket handshake, then `frame`; resolves with whether the server closed the socket. */
function badFrame(frame: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(bridge.port, '127.0.0.1', () => {
      s.write(
        `GET ${EVENTS_PATH}?token=${bridge.token} HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
      )
    })
    let upgraded = false
    const timer = setTimeout(() => {
      s.destroy()
      resolve(false)
    }, 3000)
    s.on('data', (d) => {
      if (!upgraded && d.toString('latin1').startsWith('HTTP/1.1 101')) {
        upgraded = true
        s.write(frame)
      }
    })
    s.on('close', () => {
      clearTimeout(timer)
      resolve(upgraded)
    })
    s.on('error', () => undefined)
  })
}

function masked(opcode: number, payload: Buffer, fin = true): Buffer {
  const key = randomBytes(4)
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!))
  const head =
    payload.length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, payload.length >> 8, payload.length & 255])
  return Buffer.concat([head, key, body])
}

describe('bridge fuzz: WebSocket frames', () => {
  const frames: Array<[string, Buffer]> = [
    ['unmasked text', Buffer.from([0x81, 0x04, 0x61, 0x62, 0x63, 0x64])],
    ['4 bytes unmasked', Buffer.from([0x81, 0x7e, 0x00, 0x10])],
    ['8 bytes unmasked', Buffer.from([0x82, 0x7f, 0, 0, 0, 0, 0, 1])],
    ['invalid UTF-8', masked(0x1, Buffer.from([0xff, 0xfe, 0xc3, 0x28]))],
    ['bad opcode 3', masked(0x3, Buffer.from('x'))],
    ['bad opcode 11', masked(0xb, Buffer.from('x'))],
    ['reserved bits', Buffer.concat([Buffer.from([0xf1, 0x81]), randomBytes(4), Buffer.from('x')])],
    ['fragmented ping', masked(0x9, Buffer.from('x'), false)],
    ['continuation first', masked(0x0, Buffer.from('x'))],
    ['200 MiB declared', Buffer.concat([Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x0c, 0x80, 0, 0]), randomBytes(4), randomBytes(1024)])],
    ['2^63 declared', Buffer.concat([Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), randomBytes(4)])],
    ['8 KiB text', masked(0x1, Buffer.alloc(8192, 0x61))]
  ]

  it('closes the socket that sent it and keeps serving', async () => {
    for (const [what, frame] of frames) {
      figures.tried++
      expect(await badFrame(frame), what).toBe(true)
      figures.refused++
      await stillUp()
    }
  })
})

describe('bridge fuzz: paths and ids', () => {
  /** A valid argument for each path-taking request; each field is then replaced by bad paths. */
  const baseArgs = (): Partial<Record<RequestName, Record<string, unknown>>> => ({
    'study.createDemo': { subjects: 4, folder: join(allowed, 'demos') },
    'study.create': { folder: join(allowed, 'new-study') },
    'study.open': { study },
    'study.settings': { study },
    'import.preview': { study, source: join(allowed, 'labels.tsv'), collectionCsv: join(allowed, 'labels.tsv'), adnimerge: join(allowed, 'labels.tsv') },
    'import.run': { study, source: join(allowed, 'labels.tsv'), collectionCsv: join(allowed, 'labels.tsv'), adnimerge: join(allowed, 'labels.tsv') },
    'subjects.list': { study },
    'subject.detail': { study, subject: 'A' },
    'labels.set': { study, subject: 'A', label: 'AD' },
    'labels.clear': { study, subject: 'A' },
    'labels.undo': { study },
    'labels.redo': { study },
    'labels.revealHidden': { study },
    'labels.history': { study },
    'labels.simulateRate': { study, rate: 0.5, seed: 1 },
    'labels.importFile': { study, file: join(allowed, 'labels.tsv') },
    'splits.make': { study, seed: 1 },
    'splits.place': { study },
    'training.start': { study, method: 'tcgm', preset: 'tiny', seeds: 1 },
    'training.resume': { study, runId: 'r1' },
    'runs.list': { study },
    'runs.get': { study, runId: 'r1' },
    'export.run': { study, runId: 'r1', out: join(allowed, 'export') },
    'files.list': { path: allowed },
    'viewer.subject': { study, subject: 'A' },
    'viewer.attribution': { study, subject: 'A', modality: 'smri' },
    'viewer.attribution.compute': { study, subject: 'A', modality: 'smri' }
  })

  const badPaths = (): string[] => [
    outside,
    join(outside, 'secret.tsv'),
    join(outside, 'study'),
    join(outside, 'new'),
    join(allowed, 'link-out'),
    join(allowed, 'link-out', 'study'),
    join(allowed, 'link-out', 'new', 'deeper'),
    join(allowed, 'link-secret.tsv'),
    join(allowed, 'pipe.tsv'),
    'allowed/study',
    'study',
    `${allowed}/../outside/secret.tsv`,
    `${allowed}/study/../../outside`,
    '/proc/self/environ',
    '/proc/xyz',
    '/proc/self/cwd',
    '/dev/zero',
    '/etc/shadow',
    '/',
    '\\\\server\\share\\x'
  ]

  /** The path fields of each request: every string argument naming a file or folder. */
  const pathFields = (args: Record<string, unknown>): string[] =>
    Object.keys(args).filter((k) => ['study', 'folder', 'source', 'collectionCsv', 'adnimerge', 'file', 'out', 'path'].includes(k))

  it('covers every request that takes a path, and the contract declares each path field', () => {
    const declared = Object.fromEntries(
      (Object.keys(requests) as RequestName[])
        .filter((n) => Object.keys(requests[n].paths ?? {}).length > 0)
        .map((n) => [n, Object.keys(requests[n].paths).sort()])
    )
    expect(Object.fromEntries(Object.entries(baseArgs()).map(([n, a]) => [n, pathFields(a!).sort()]))).toEqual(declared)
  })

  it('refuses each path outside the allowed folder with 4xx, no content, nothing touched outside', async () => {
    const eventsBefore = (await loadStudy(study)).events.length
    for (const [name, args] of Object.entries(baseArgs()) as Array<[RequestName, Record<string, unknown>]>) {
      for (const field of pathFields(args)) {
        for (const bad of badPaths()) {
          figures.tried++
          const r = await call(name, { ...args, [field]: bad })
          expect(r.status, `${name} ${field}=${bad}: ${r.text}`).toBeGreaterThanOrEqual(400)
          expect(r.status, `${name} ${field}=${bad}: ${r.text}`).toBeLessThan(500)
          noContent(r.text)
          expect(JSON.parse(r.text).error.message.length).toBeGreaterThan(10)
          figures.refused++
        }
      }
    }
    await stillUp()
    // No handler saw a path outside the allowed folder; nothing changed outside it; no label lost.
    const real = await fsp.realpath(allowed)
    expect(seenPaths.filter((p) => !p.startsWith(real + '/') && p !== real)).toEqual([])
    expect(await tree(outside)).toEqual(outsideBefore)
    await expect(fsp.stat('/proc/xyz')).rejects.toThrow()
    const after = (await loadStudy(study)).events.length
    figures.dataLost += Math.max(0, eventsBefore - after)
    expect(after).toBe(eventsBefore)
  })

  it('refuses run ids and subject ids shaped like paths (400), before any handler', async () => {
    const ids: Array<[RequestName, Record<string, unknown>]> = []
    for (const runId of ['../../../../etc', '..', '.hidden', 'a/b', 'a\\b', '', 'x'.repeat(300)]) {
      ids.push(['runs.get', { study, runId }], ['training.resume', { study, runId }], ['export.run', { study, runId, out: join(allowed, 'export') }])
      ids.push(['viewer.subject', { study, subject: 'A', runId }], ['viewer.attribution', { study, subject: 'A', modality: 'smri', runId }])
    }
    for (const subject of ['../A', '..', '.', 'a/b', 'a\\b', 'a\u0000b', '']) {
      ids.push(['subject.detail', { study, subject }], ['labels.set', { study, subject, label: 'AD' }], ['viewer.subject', { study, subject }])
      ids.push(['viewer.attribution.compute', { study, subject, modality: 'smri' }])
    }
    const seenBefore = seenPaths.length
    for (const [name, args] of ids) {
      figures.tried++
      const r = await call(name, args)
      expect(r.status, `${name} ${JSON.stringify(args)}: ${r.text}`).toBe(400)
      figures.refused++
    }
    expect(seenPaths.length).toBe(seenBefore)
    await stillUp()
  })

  it('still serves paths inside the allowed folder, through a link inside it too, as real paths', async () => {
    symlinkSync(study, join(allowed, 'study-alias'))
    const r = await call('study.open', { study: join(allowed, 'study-alias') })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.text).result.path).toBe(await fsp.realpath(study))
    const missing = await call('study.open', { study: join(allowed, 'nope') })
    expect(missing.status).toBe(403)
    expect(JSON.parse(missing.text).error.message).toMatch(/not found/)
  })
})
