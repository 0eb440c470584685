/**
 * The renderer's one way to talk to main. `getApi()` returns the Electron preload's
 * `window.api` when present, else a client of the loopback bridge (browser mode). Both
 * implement ApiClient and both throw ApiError with a `code`, so UI code cannot tell them apart.
 */
import type { ApiClient, ArgsOf, EventName, PayloadOf, RequestName, ResultOf } from '@contract/contract'
import { ApiError, errorFromText } from '@contract/wire/errors'
import { createBridgeClient, endpointFromLocation } from './bridge-client'

let current: ApiClient | null = null

/** The preload's Error crossed contextBridge as text "[code] message": rebuild the ApiError. */
function wrapElectron(raw: ApiClient): ApiClient {
  return {
    shell: raw.shell,
    on: (name, listener) => raw.on(name, listener),
    call: <N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>> =>
      raw.call(name, args).catch((err: unknown) => {
        throw err instanceof ApiError ? err : errorFromText(err instanceof Error ? err.message : String(err))
      })
  }
}

function connect(): ApiClient {
  if (window.api) return wrapElectron(window.api)
  const endpoint = endpointFromLocation(window.location, window.history, window.sessionStorage)
  if (!endpoint) {
    throw new ApiError(
      'unauthorized',
      'TCGM Lab cannot reach its server: this page was opened without its access token. Open the address printed by `npm run serve` (it ends with ?token=...).'
    )
  }
  return createBridgeClient(endpoint, { fetch: window.fetch.bind(window), WebSocket: window.WebSocket })
}

/** The API client of this window (created on first use). */
export function getApi(): ApiClient {
  current ??= connect()
  return current
}

/** Replaces the client (tests give a fake; null goes back to the real one on next use). */
export function setApi(client: ApiClient | null): void {
  current = client
}

/** The same client as an object, for code that prefers `api.call(...)`. */
export const api: ApiClient = {
  get shell() {
    return getApi().shell
  },
  call: <N extends RequestName>(name: N, args: ArgsOf<N>) => getApi().call(name, args),
  on: <E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void) => getApi().on(name, listener)
}
