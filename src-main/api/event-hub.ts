/**
 * Events from main to every connected renderer. Handlers and jobs call `emit`; each adapter
 * (Electron IPC, the loopback bridge) subscribes and forwards. In development and tests each
 * payload is validated against the contract first, so a wrong payload fails where it is made.
 */
import { events, isEventName, type EventName, type PayloadOf } from './contract'
import { describeIssues } from './dispatch'
import type { Emit } from './jobs'
import { createLogger } from '../log'

const log = createLogger('events')

export type EventSink = (name: EventName, payload: unknown) => void

export class EventHub {
  private readonly sinks = new Set<EventSink>()

  constructor(private readonly validatePayloads: boolean) {}

  readonly emit: Emit = <E extends EventName>(name: E, payload: PayloadOf<E>): void => {
    if (!isEventName(name)) throw new Error(`emit: unknown event '${String(name)}'`)
    if (this.validatePayloads) {
      const parsed = events[name].payload.safeParse(payload)
      if (!parsed.success) throw new Error(`emit: payload of '${name}' breaks the contract: ${describeIssues(parsed.error)}`)
    }
    for (const sink of this.sinks) {
      // One broken connection must not stop the event reaching the others, or fail the job.
      try {
        sink(name, payload)
      } catch (err) {
        log.warn(`event '${name}' could not be delivered: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink)
    return () => this.sinks.delete(sink)
  }
}
