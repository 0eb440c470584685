/**
 * The folders this session may use, and the one check every path-taking request passes before
 * its handler runs (the dispatcher applies it to each field the contract declares in
 * `request(..., paths)`).
 *
 * - Browser mode: the `--root` folders and the app's data folder, fixed at launch.
 * - Electron: the app's data folder, the recent studies, and what the user chose through a
 *   native dialog in this session (dialog.pick grants its answer).
 *
 * The check resolves the real path (files/allowed-roots.ts), so a symlink, a second spelling or
 * a `..` cannot leave the allowed folders, and handlers receive that real path: one study has one
 * name whichever way it was spelled.
 */
import type { PathUse } from './define'
import { ApiError } from './wire/errors'
import { FileAccessError, resolveInsideRoots } from '../files/allowed-roots'

export interface PathAccessOptions {
  /** Folders allowed for the whole session (absolute). */
  readonly roots: readonly string[]
  /** Further folders read at each check (Electron: the recent studies). */
  readonly moreRoots?: () => Promise<readonly string[]>
}

export class PathAccess {
  private readonly granted = new Set<string>()

  constructor(private readonly options: PathAccessOptions) {}

  /** Allows a path the user chose (a native dialog's answer) and everything below it. */
  grant(path: string): void {
    this.granted.add(path)
  }

  /** Every allowed folder now (some may not exist). */
  async roots(): Promise<string[]> {
    const more = (await this.options.moreRoots?.().catch(() => [])) ?? []
    return [...new Set([...this.options.roots, ...more, ...this.granted])]
  }

  /** The real path of `path` when the session may use it this way; else an ApiError 'forbidden'
   *  naming the field and the path (never a file's contents). */
  async check(field: string, path: string, use: PathUse): Promise<string> {
    try {
      return await resolveInsideRoots(await this.roots(), path, use)
    } catch (err) {
      if (err instanceof FileAccessError) throw new ApiError('forbidden', `${field}: ${err.message}`)
      throw err
    }
  }
}
