/**
 * Types of the one handler table in main. Each domain implements its requests in
 * handlers/<domain>.ts as a `Partial` table; handlers.ts joins them and the type checker
 * makes sure every request of the contract has exactly one handler.
 */
import type { z } from 'zod'
import type { Requests, RequestName, ResultOf } from './contract'
import type { Emit, JobRegistry } from './jobs'
import type { PathAccess } from './path-access'

export interface HandlerContext {
  readonly shell: 'electron' | 'browser'
  readonly emit: Emit
  readonly jobs: JobRegistry
  /** Folder where the app keeps its own state (recent studies, settings). */
  readonly userDataDir: string
  /** The folders this session may use; the dispatcher has already checked every path argument
   *  against them (handlers get real paths). The in-app file browser shows these roots. */
  readonly paths: PathAccess
  /** Launched with --demo: a first launch opens the built-in demo study. */
  readonly startWithDemo: boolean
  /** Native dialogs; present in Electron only. */
  readonly pickNative?: (args: z.output<Requests['dialog.pick']['args']>) => Promise<string | null>
}

/** Handlers receive arguments already validated and parsed by the contract's schema. */
export type Handler<N extends RequestName> = (args: z.output<Requests[N]['args']>, ctx: HandlerContext) => Promise<ResultOf<N>>

export type HandlerTable = { [N in RequestName]: Handler<N> }
export type PartialHandlerTable<K extends RequestName> = { [N in K]: Handler<N> }
