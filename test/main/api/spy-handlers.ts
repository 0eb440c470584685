/** A handler table where every request is a spy answering a fixed value: lets adapter tests see
 *  whether anything ran, without the real services. */
import { vi, type Mock } from 'vitest'
import { requests, type RequestName } from '../../../src-main/api/contract'
import type { HandlerTable } from '../../../src-main/api/handler-types'

export type SpyTable = HandlerTable & { [N in RequestName]: Mock }

export function spyHandlers(answer: (name: RequestName, args: unknown) => unknown = () => ({})): SpyTable {
  const table: Record<string, Mock> = {}
  for (const name of Object.keys(requests) as RequestName[]) {
    table[name] = vi.fn(async (args: unknown) => answer(name, args))
  }
  return table as unknown as SpyTable
}

export function calledAny(table: SpyTable): boolean {
  return Object.values(table).some((f) => (f as Mock).mock.calls.length > 0)
}
