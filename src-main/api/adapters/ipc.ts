/**
 * The Electron IPC adapter: one invoke channel for every request (the name travels with the
 * arguments and is checked against the contract by dispatch), and one channel for events sent
 * to every window. Typed arrays cross natively (structured clone).
 *
 * Only frames showing the app's own page may call: a request from any other URL (which the
 * navigation guard should already make impossible) is refused.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { createLogger } from '../../log'
import type { Dispatch, DispatchOutcome } from '../dispatch'
import type { EventHub } from '../event-hub'
import { CALL_CHANNEL, EVENT_CHANNEL } from '../ipc-channels'

const log = createLogger('ipc')

export interface IpcAdapterOptions {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  readonly dispatch: Dispatch
  readonly hub: EventHub
  /** The windows that receive events (read at each event). */
  readonly targets: () => Iterable<Pick<WebContents, 'send' | 'isDestroyed'>>
  /** True for the URL of the app's own page (file:// bundle, or the dev server). */
  readonly isAppUrl: (url: string) => boolean
}

/** Binds the API to IPC; returns the function that unbinds it. */
export function bindIpc(options: IpcAdapterOptions): () => void {
  options.ipcMain.handle(CALL_CHANNEL, async (event: IpcMainInvokeEvent, name: unknown, args: unknown): Promise<DispatchOutcome> => {
    const url = event.senderFrame?.url ?? ''
    if (!options.isAppUrl(url)) {
      log.warn(`refused a request from a page that is not the app: ${url}`)
      return { ok: false, error: { code: 'forbidden', message: `requests are accepted only from the app's own page, not from ${url}` } }
    }
    return options.dispatch(name, args)
  })
  const unsubscribe = options.hub.subscribe((name, payload) => {
    for (const wc of options.targets()) if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, name, payload)
  })
  return () => {
    unsubscribe()
    options.ipcMain.removeHandler(CALL_CHANNEL)
  }
}
