/** Command line of browser mode (src-main/serve.ts). */
import { existsSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { productName } from '../../package.json'
import { defaultUserDataDir } from './user-data'

export const usage = `usage: node out/main/serve.js [--port N] [--root DIR]... [--user-data DIR] [--demo]`

export interface ServeOptions {
  port: number
  roots: string[]
  userDataDir: string
  /** Open the built-in demo study on a first launch. */
  demo: boolean
}

/** Parses the command line; throws a message meant for the user on bad input. */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      root: { type: 'string', multiple: true },
      'user-data': { type: 'string' },
      demo: { type: 'boolean' }
    },
    strict: true,
    allowPositionals: false
  })
  let port = 0
  if (values.port !== undefined) {
    port = Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got '${values.port}'`)
  }
  const userDataDir = resolve(values['user-data'] ?? defaultUserDataDir(productName, env))
  const roots = (values.root ?? [homedir(), userDataDir]).map((r) => resolve(r))
  for (const r of values.root ?? []) {
    if (!existsSync(r) || !statSync(r).isDirectory()) throw new Error(`--root ${r}: no such folder`)
  }
  return { port, roots, userDataDir, demo: values.demo ?? false }
}
