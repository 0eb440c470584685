/**
 * Names shared by the loopback bridge (adapters/bridge.ts) and its browser client
 * (src-renderer/src/api/bridge-client.ts). Pure module.
 */

/** HTTP header carrying the per-launch token (WebSockets carry it as `?token=`). */
export const TOKEN_HEADER = 'x-tcgm-token'
/** POST {name, args} here. */
export const CALL_PATH = '/api/call'
/** WebSocket of events. */
export const EVENTS_PATH = '/api/events'
