/**
 * Building blocks of the typed API contract shared by main, preload and renderer.
 *
 * A request is a pair of zod schemas (argument, result); an event is one payload schema.
 * This module must stay free of Node and DOM imports: the renderer bundles it.
 */
import { z } from 'zod'

export interface RequestSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly args: A
  readonly result: R
  /** One line for the next engineer and for error messages. */
  readonly doc: string
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  readonly payload: P
  readonly doc: string
}

export function request<A extends z.ZodType, R extends z.ZodType>(args: A, result: R, doc: string): RequestSpec<A, R> {
  return { args, result, doc }
}

export function event<P extends z.ZodType>(payload: P, doc: string): EventSpec<P> {
  return { payload, doc }
}

/** A request that takes no argument. */
export const noArgs = z.object({}).strict()

/** Jobs: long work (import, preprocessing, training, export) answers at once with a job id,
 *  then reports through the `job.*` events and can be cancelled with `job.cancel`. */
export const JobStarted = z.object({ jobId: z.string() })
