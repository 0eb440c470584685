/**
 * Preload (sandboxed): exposes the typed API as `window.api` = { call, on, shell } through
 * contextBridge. The renderer never gets ipcRenderer itself; `call` and `on` accept only names
 * that are in the contract, and main validates every argument again.
 *
 * Errors cross contextBridge as plain Errors whose message is "[code] message"; the renderer's
 * client (src-renderer/src/api/client.ts) turns them back into ApiErrors.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { isEventName, isRequestName, type ApiClient, type ApiErrorShape } from './api/contract'
import { errorToText } from './api/wire/errors'
import { CALL_CHANNEL, EVENT_CHANNEL } from './api/ipc-channels'

type Outcome = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape }

const api: ApiClient = {
  shell: 'electron',

  async call(name, args) {
    if (!isRequestName(name)) throw new Error(errorToText({ code: 'unknown-request', message: `unknown request '${String(name)}'` }))
    const outcome = (await ipcRenderer.invoke(CALL_CHANNEL, name, args)) as Outcome
    if (outcome.ok) return outcome.result as never
    throw new Error(errorToText(outcome.error))
  },

  on(name, listener) {
    if (!isEventName(name)) throw new Error(`window.api.on: unknown event '${String(name)}'`)
    const forward = (_e: IpcRendererEvent, event: unknown, payload: unknown): void => {
      if (event === name) listener(payload as never)
    }
    ipcRenderer.on(EVENT_CHANNEL, forward)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward)
    }
  }
}

contextBridge.exposeInMainWorld('api', api)
