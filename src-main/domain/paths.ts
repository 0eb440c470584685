/**
 * The shapes of what names a place on disk in a request or record: absolute, normalised paths,
 * and the ids that become file names (subjects, runs). Which folders a path may point into is the
 * API's check (api/path-access.ts); these only refuse what is never a valid path or id.
 */
import { z } from 'zod'

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
  .refine((s) => !/[\\/]/.test(s) && ![...s].some((c) => c.charCodeAt(0) < 0x20), 'must not contain path separators or control characters')
  .refine((s) => s !== '.' && s !== '..', "must not be '.' or '..'")

/** A run id (runs/<id>/): letters, digits, '_', '-', '.', not starting with '.'. */
export const RunId = z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/, "must be a run id (letters, digits, '_', '-', '.')")
