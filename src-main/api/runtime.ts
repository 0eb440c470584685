/**
 * One API instance: the handler context, the job registry, the event hub and the dispatch
 * function. The Electron main process and the browser-mode server each create one and bind
 * it to their adapter.
 */
import type { z } from 'zod'
import type { Requests } from './contract'
import { createDispatch, type Dispatch } from './dispatch'
import { EventHub } from './event-hub'
import type { HandlerContext, HandlerTable } from './handler-types'
import { JobRegistry } from './jobs'
import { PathAccess } from './path-access'

export interface ApiRuntimeOptions {
  readonly shell: 'electron' | 'browser'
  /** Absolute folder for the app's own state (recent studies, settings). */
  readonly userDataDir: string
  /** Absolute folders path arguments may point into (browser mode: the --root folders), besides
   *  the app's data folder, which is always allowed. */
  readonly allowedRoots: readonly string[]
  /** Further allowed folders, read at each check (Electron: the recent studies). */
  readonly moreAllowedRoots?: () => Promise<readonly string[]>
  readonly pickNative?: (args: z.output<Requests['dialog.pick']['args']>) => Promise<string | null>
  /** Launched with --demo (see AppInfo.startWithDemo). */
  readonly startWithDemo?: boolean
  /** Validate handler results and event payloads against the contract (development, tests). */
  readonly validateOutputs: boolean
  readonly handlers: HandlerTable
}

export interface ApiRuntime {
  readonly ctx: HandlerContext
  readonly hub: EventHub
  readonly jobs: JobRegistry
  readonly dispatch: Dispatch
}

export function createApiRuntime(options: ApiRuntimeOptions): ApiRuntime {
  const hub = new EventHub(options.validateOutputs)
  const jobs = new JobRegistry(hub.emit)
  const ctx: HandlerContext = {
    shell: options.shell,
    emit: hub.emit,
    jobs,
    userDataDir: options.userDataDir,
    paths: new PathAccess({
      roots: [...options.allowedRoots, options.userDataDir],
      ...(options.moreAllowedRoots ? { moreRoots: options.moreAllowedRoots } : {})
    }),
    startWithDemo: options.startWithDemo ?? false,
    ...(options.pickNative ? { pickNative: options.pickNative } : {})
  }
  const dispatch = createDispatch(options.handlers, ctx, { validateResults: options.validateOutputs })
  return { ctx, hub, jobs, dispatch }
}
