/**
 * The one door into the handlers, shared by both adapters: checks the request name, validates
 * the argument against the contract's schema (nothing runs when it fails), checks every path
 * argument the contract declares against the folders this session may use and hands the handler
 * its real path (api/path-access.ts; nothing on disk is touched for a refused path), runs the handler,
 * and, in development and tests, validates the result so a handler that drifts from the
 * contract is caught at its source. Every failure becomes an {@link ApiErrorShape} whose message
 * names the request and the offending field.
 */
import type { z } from 'zod'
import { isRequestName, requests, type ApiErrorShape, type RequestName } from './contract'
import { ApiError } from './wire/errors'
import { FileAccessError } from '../files/allowed-roots'
import type { HandlerContext, HandlerTable } from './handler-types'
import { createLogger } from '../log'
import { InputError } from '../domain/errors'

const log = createLogger('api')

export type DispatchOutcome = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape }

export type Dispatch = (name: unknown, args: unknown) => Promise<DispatchOutcome>

export interface DispatchOptions {
  /** Validate each handler's result against the contract (on in development and tests). */
  readonly validateResults: boolean
}

/** "path.to.field: message; other: message", at most 5 issues. */
export function describeIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(argument)'
    return `${where}: ${issue.message}`
  })
  if (error.issues.length > 5) lines.push(`and ${error.issues.length - 5} more`)
  return lines.join('; ')
}

/** Validates a request without running it: the parsed argument, or the error to answer with. */
export function checkRequest(name: unknown, args: unknown): { ok: true; name: RequestName; args: unknown } | { ok: false; error: ApiErrorShape } {
  if (!isRequestName(name)) {
    const shown = typeof name === 'string' ? `'${name.slice(0, 100)}'` : `a ${name === null ? 'null' : typeof name}`
    return { ok: false, error: new ApiError('unknown-request', `unknown request ${shown}`).toShape() }
  }
  // A request without an argument may be called with none.
  const parsed = requests[name].args.safeParse(args === undefined ? {} : args)
  if (!parsed.success) {
    return { ok: false, error: new ApiError('invalid-args', `invalid argument for '${name}': ${describeIssues(parsed.error)}`).toShape() }
  }
  return { ok: true, name, args: parsed.data }
}

/** The argument with each declared path field replaced by its checked real path; throws an
 *  ApiError 'forbidden' for the first path the session may not use. */
async function checkPaths(name: RequestName, args: Record<string, unknown>, ctx: HandlerContext): Promise<Record<string, unknown>> {
  const declared = Object.entries(requests[name].paths)
  if (declared.length === 0) return args
  const out = { ...args }
  for (const [field, use] of declared) {
    const value = out[field]
    if (typeof value === 'string') out[field] = await ctx.paths.check(`${name}: ${field}`, value, use)
  }
  return out
}

export function createDispatch(handlers: HandlerTable, ctx: HandlerContext, options: DispatchOptions): Dispatch {
  return async (name, args) => {
    const checked = checkRequest(name, args)
    if (!checked.ok) {
      log.warn(checked.error.message)
      return checked
    }
    const handler = handlers[checked.name] as ((a: unknown, c: HandlerContext) => Promise<unknown>) | undefined
    if (typeof handler !== 'function') {
      return { ok: false, error: { code: 'failed', message: `'${checked.name}' is in the contract but this build has no handler for it` } }
    }
    let result: unknown
    try {
      const args = await checkPaths(checked.name, checked.args as Record<string, unknown>, ctx)
      result = await handler(args, ctx)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      const code = err instanceof ApiError ? err.code : err instanceof FileAccessError || err instanceof InputError ? 'bad-request' : 'failed'
      if (code === 'forbidden') log.warn(`'${checked.name}' refused: ${message}`)
      else log.debug(`'${checked.name}' failed: ${message}`)
      return { ok: false, error: { code, message } }
    }
    if (options.validateResults) {
      const valid = requests[checked.name].result.safeParse(result)
      if (!valid.success) {
        const message = `the handler of '${checked.name}' returned a result that breaks the contract: ${describeIssues(valid.error)}`
        log.error(message)
        return { ok: false, error: { code: 'failed', message } }
      }
      result = valid.data
    }
    return { ok: true, result }
  }
}
