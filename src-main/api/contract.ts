/**
 * The one contract between the renderer and the main process: every request with its argument
 * and result schemas, and every event with its payload schema. Main validates each request
 * against it at the boundary (both the Electron IPC and the loopback bridge adapters), and the
 * renderer's client is typed by it.
 *
 * Each domain keeps its part in contracts/<domain>.ts; this module joins them.
 * Schema library: zod (v4) - actively maintained, TypeScript-first (static types are inferred
 * from the same schema that validates at runtime), no dependencies, works in Node and browsers.
 */
import type { z } from 'zod'
import { appEvents, appRequests } from './contracts/app'
import { studyEvents, studyRequests } from './contracts/study'
import { viewerRequests } from './contracts/viewer'

export const requests = {
  ...appRequests,
  ...studyRequests,
  ...viewerRequests
} as const

export const events = {
  ...appEvents,
  ...studyEvents
} as const

export type Requests = typeof requests
export type Events = typeof events
export type RequestName = keyof Requests
export type EventName = keyof Events
export type ArgsOf<N extends RequestName> = z.input<Requests[N]['args']>
export type ResultOf<N extends RequestName> = z.output<Requests[N]['result']>
export type PayloadOf<E extends EventName> = z.output<Events[E]['payload']>

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requests, name)
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name)
}

/** What the renderer sees as `window.api` (Electron preload) or gets from the bridge client. */
export interface ApiClient {
  call<N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>>
  on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void
  /** 'electron' when native dialogs exist; 'browser' when file choice uses the in-app browser. */
  readonly shell: 'electron' | 'browser'
}

/** Error shape carried across both adapters. */
export interface ApiErrorShape {
  /** 'invalid-args' | 'unknown-request' | 'unauthorized' | 'failed' */
  code: string
  message: string
}
