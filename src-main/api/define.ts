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

/** Windows drive or UNC paths, or POSIX ones; written without node:path (the renderer bundles this). */
function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}

/** An absolute, normalised path of a file or folder: no relative paths (they would resolve
 *  against the server's working folder), no `.`/`..` segments, no NUL or line breaks. Which
 *  folders it may point into is checked by the dispatcher, by its real path. */
export const Path = z
  .string()
  .min(1)
  .max(4096)
  .refine(isAbsolutePath, 'must be an absolute path')
  .refine((p) => !/[\0\r\n]/.test(p), 'must not contain NUL or line breaks')
  .refine((p) => !p.split(/[\\/]/).some((seg) => seg === '.' || seg === '..'), "must not contain '.' or '..' segments")

/** A subject id as the study stores it: never a path (no separators, not '.' or '..'). */
export const SubjectId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\\/\x00-\x1f]+$/, 'must not contain path separators or control characters')
  .refine((s) => s !== '.' && s !== '..', "must not be '.' or '..'")

/** A run id (runs/<id>/): letters, digits, '_', '-', '.', not starting with '.'. */
export const RunId = z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/, "must be a run id (letters, digits, '_', '-', '.')")
