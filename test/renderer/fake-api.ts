/**
 * A fake ApiClient for renderer tests: requests answered by per-name handlers (sync or async,
 * throwing to simulate a failure), every call recorded in order, events emitted by the test.
 */
import type { ApiClient, ArgsOf, EventName, PayloadOf, RequestName, ResultOf } from '@contract/contract'
import type { StudySummary, SubjectRow } from '@contract/contracts/study'
import { DEMO_VISIBLE_LABEL_RATE } from '../../src-main/domain/study-settings'
import { trainingCatalogue } from '../../src-main/domain/training'

type Handler<N extends RequestName> = (args: ArgsOf<N>) => ResultOf<N> | Promise<ResultOf<N>>

export class FakeApi implements ApiClient {
  constructor(readonly shell: 'electron' | 'browser' = 'browser') {
    // Main's real catalogue of training defaults, as the window reads it at start.
    this.handle('training.defaults', () => trainingCatalogue(DEMO_VISIBLE_LABEL_RATE))
  }

  readonly calls: Array<{ name: RequestName; args: unknown }> = []
  private readonly handlers = new Map<RequestName, (args: unknown) => unknown>()
  private readonly listeners = new Map<EventName, Set<(p: unknown) => void>>()

  handle<N extends RequestName>(name: N, handler: Handler<N>): this {
    this.handlers.set(name, handler as (args: unknown) => unknown)
    return this
  }

  async call<N extends RequestName>(name: N, args: ArgsOf<N>): Promise<ResultOf<N>> {
    this.calls.push({ name, args })
    const h = this.handlers.get(name)
    if (!h) throw new Error(`FakeApi: no handler for '${name}'`)
    return (await h(args)) as ResultOf<N>
  }

  on<E extends EventName>(name: E, listener: (payload: PayloadOf<E>) => void): () => void {
    let set = this.listeners.get(name)
    if (!set) this.listeners.set(name, (set = new Set()))
    set.add(listener as (p: unknown) => void)
    return () => set.delete(listener as (p: unknown) => void)
  }

  emit<E extends EventName>(name: E, payload: PayloadOf<E>): void {
    for (const l of this.listeners.get(name) ?? []) l(payload)
  }

  callsOf<N extends RequestName>(name: N): Array<ArgsOf<N>> {
    return this.calls.filter((c) => c.name === name).map((c) => c.args as ArgsOf<N>)
  }
}

export const STUDY = '/studies/demo'

export function studySummary(overrides: Partial<StudySummary> = {}): StudySummary {
  return {
    path: STUDY,
    name: 'demo',
    version: 1,
    createdAt: '2026-11-26T10:00:00Z',
    settings: { classNames: ['NC', 'AD'], visit: 'bl', petReference: 'pons', proportionalScaling: true },
    counts: { subjects: 6, withSmri: 6, withPet: 6, withBoth: 6, labelled: 0, labelledByClass: {}, hidden: 0, runs: 0 },
    hasSplits: false,
    unsplit: 0,
    source: null,
    ...overrides
  }
}

export function subjectRow(id: string, overrides: Partial<SubjectRow> = {}): SubjectRow {
  return {
    id,
    sessionId: 'ses-M000',
    group: null,
    sex: 'F',
    age: 72,
    hasSmri: true,
    hasPet: true,
    label: null,
    labelHidden: false,
    split: null,
    prediction: null,
    ...overrides
  }
}

/** Resolves after pending promise callbacks (a few turns of the microtask queue). */
export async function flush(times = 10): Promise<void> {
  for (let i = 0; i < times; i++) await Promise.resolve()
}
