/**
 * Starts browser mode (`node out/main/serve.js`, the built app) once for all end-to-end tests,
 * with a fresh app-data folder and a fresh allowed root, and hands its address to the tests
 * through `inject('bridge')`. Needs `npm run build` first (the `test` script does it).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'

export interface E2eBridge {
  /** Page address with the token, as printed by serve. */
  url: string
  origin: string
  token: string
  userDataDir: string
  /** The one folder the in-app file browser may show. */
  root: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    bridge: E2eBridge
  }
}

const repoRoot = resolve(__dirname, '../..')
const serveJs = join(repoRoot, 'out/main/serve.js')

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(serveJs) || !existsSync(join(repoRoot, 'out/renderer/index.html'))) {
    throw new Error(`end-to-end tests need the built app (${serveJs} and out/renderer); run npm run build first`)
  }
  const temp = mkdtempSync(join(tmpdir(), 'tcgm-e2e-'))
  const userDataDir = join(temp, 'user-data')
  const child = spawn(process.execPath, [serveJs, '--port', '0', '--user-data', userDataDir, '--root', temp], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const info = await waitForBridgeLine(child, 30_000)
  project.provide('bridge', { url: info.url, origin: info.origin, token: info.token, userDataDir, root: temp })

  // Teardown doubles as the check that browser mode stops cleanly on SIGTERM (exit code 0).
  return async () => {
    try {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`browser mode died during the tests (code ${child.exitCode}, signal ${child.signalCode})`)
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      child.kill('SIGTERM')
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8000))])
      if (code === 'timeout') {
        child.kill('SIGKILL')
        throw new Error('browser mode did not stop within 8 s of SIGTERM')
      }
      if (code !== 0) throw new Error(`browser mode exited with code ${code} on SIGTERM`)
    } finally {
      rmSync(temp, { recursive: true, force: true })
    }
  }
}

function waitForBridgeLine(child: ChildProcess, timeoutMs: number): Promise<{ url: string; origin: string; token: string }> {
  return new Promise((resolvePromise, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(`no TCGM_LAB_BRIDGE line within ${timeoutMs} ms`), timeoutMs)
    function fail(why: string): void {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`browser mode did not start: ${why}\nstdout:\n${out}\nstderr:\n${err}`))
    }
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      if (process.env.E2E_VERBOSE) process.stderr.write(d)
    })
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('TCGM_LAB_BRIDGE '))
      if (line) {
        clearTimeout(timer)
        resolvePromise(JSON.parse(line.slice('TCGM_LAB_BRIDGE '.length)) as { url: string; origin: string; token: string })
      }
    })
    child.once('exit', (code, signal) => fail(`serve exited early (code ${code}, signal ${signal})`))
  })
}
