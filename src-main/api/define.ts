/**
 * Building blocks of the typed API contract shared by main, preload and renderer.
 *
 * A request is a pair of zod schemas (argument, result); an event is one payload schema.
 * This module must stay free of Node and DOM imports: the renderer bundles it.
 */
import { z } from 'zod'

/**
 * How a request uses a path argument; the dispatcher checks each against the folders this
 * session may use (api/path-access.ts) before the handler runs:
 * - 'existing': a file or folder that must exist (read, or written inside, like a study);
 * - 'create': a folder that may not exist yet and is created (a new study, an export).
 */
export type PathUse = 'existing' | 'create'

export interface RequestSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly args: A
  readonly result: R
  /** One line for the next engineer and for error messages. */
  readonly doc: string
  /** The argument's path fields and how each is used (every {@link Path} field is listed). */
  readonly paths: Readonly<Record<string, PathUse>>
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  readonly payload: P
  readonly doc: string
}

export function request<A extends z.ZodType, R extends z.ZodType>(
  args: A,
  result: R,
  doc: string,
  paths: Partial<Record<keyof z.input<A> & string, PathUse>> = {}
): RequestSpec<A, R> {
  return { args, result, doc, paths: paths as Record<string, PathUse> }
}

export function event<P extends z.ZodType>(payload: P, doc: string): EventSpec<P> {
  return { payload, doc }
}

/** A request that takes no argument. */
export const noArgs = z.object({}).strict()

/** Jobs: long work (import, preprocessing, training, export) answers at once with a job id,
 *  then reports through the `job.*` events and can be cancelled with `job.cancel`. */
export const JobStarted = z.object({ jobId: z.string() })
