/**
 * Channel names of the Electron IPC adapter, shared by main (adapters/ipc.ts) and the preload.
 * Pure module.
 */

/** ipcRenderer.invoke(CALL_CHANNEL, name, args) -> DispatchOutcome. */
export const CALL_CHANNEL = 'tcgm:api:call'
/** webContents.send(EVENT_CHANNEL, name, payload). */
export const EVENT_CHANNEL = 'tcgm:api:event'
