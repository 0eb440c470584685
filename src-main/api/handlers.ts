/**
 * The one table of handlers: each domain's partial table joined. `satisfies HandlerTable`
 * makes the type checker refuse a request of the contract without a handler, or a handler
 * for a request that is not in the contract.
 */
import type { HandlerTable } from './handler-types'
import { appHandlers } from './handlers/app'
import { studyHandlers } from './handlers/study'
import { viewerHandlers } from './handlers/viewer'

export const handlers = {
  ...appHandlers,
  ...studyHandlers,
  ...viewerHandlers
} satisfies HandlerTable
