/**
 * Browser mode: the app's handlers behind the loopback bridge, plus the built renderer.
 *
 *   node out/main/serve.js [--port N] [--root DIR]... [--user-data DIR]
 *
 * --port       port on 127.0.0.1 (default: a free one). Through an SSH tunnel, forward the same
 *              port number (ssh -L N:127.0.0.1:N host) so the page's origin matches.
 * --root       a folder the app may use (every path a request names must lie in one, or in the
 *              app's data folder; the in-app file browser shows them); repeatable (default: your
 *              home folder).
 * --user-data  where the app keeps recent studies and settings (default: the desktop app's).
 *
 * Prints `TCGM Lab browser mode: <url with token>` for people and one `TCGM_LAB_BRIDGE <json>`
 * line for programs (the end-to-end tests). SIGINT/SIGTERM cancel running jobs and stop.
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { startBridge } from './api/adapters/bridge'
import { handlers } from './api/handlers'
import { createApiRuntime } from './api/runtime'
import { createLogger } from './log'
import { parseServeArgs, usage, type ServeOptions } from './settings/serve-args'

const log = createLogger('serve')

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage + '\n')
    return 0
  }
  let options: ServeOptions
  try {
    options = parseServeArgs(argv)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`)
    return 2
  }
  const staticDir = resolve(__dirname, '../renderer')
  if (!existsSync(join(staticDir, 'index.html'))) {
    process.stderr.write(`the built user interface is missing (${join(staticDir, 'index.html')}); run npm run build first\n`)
    return 1
  }
  await mkdir(options.userDataDir, { recursive: true })

  const runtime = createApiRuntime({
    shell: 'browser',
    userDataDir: options.userDataDir,
    allowedRoots: options.roots,
    startWithDemo: options.demo,
    validateOutputs: process.env.TCGM_VALIDATE_OUTPUTS !== '0',
    handlers
  })
  const bridge = await startBridge({ dispatch: runtime.dispatch, hub: runtime.hub, staticDir, port: options.port })

  process.stdout.write(`TCGM Lab browser mode: ${bridge.url}\n`)
  process.stdout.write(
    'TCGM_LAB_BRIDGE ' +
      JSON.stringify({
        url: bridge.url,
        origin: bridge.origin,
        port: bridge.port,
        token: bridge.token,
        userDataDir: options.userDataDir,
        roots: options.roots
      }) +
      '\n'
  )
  log.info(`file browser roots: ${options.roots.join(', ')}; app data: ${options.userDataDir}`)

  await new Promise<void>((done) => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      log.info(`${signal}: cancelling running jobs and stopping`)
      runtime.jobs.cancelAll()
      // Give cancelled jobs a moment to report and clean up their workers.
      setTimeout(() => void bridge.close().then(done, done), 200)
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  // A worker that ignores its cancellation must not keep browser mode alive.
  setTimeout(() => {
    log.warn('a job did not stop within 5 s of cancellation; exiting anyway')
    process.exit(0)
  }, 5000).unref()
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`TCGM Lab browser mode could not start: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  }
)
