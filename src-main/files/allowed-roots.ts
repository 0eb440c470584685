/**
 * Folders a session may use, on disk: {@link resolveInsideRoots} checks one path against the
 * allowed roots by its real path (symlinks resolved, so neither `..` nor a link pointing outside
 * a root can escape), and the server-side folder browser of browser mode lists folders only
 * inside them; entries whose real location is outside every root are left out of listings.
 * Kernel file systems (/proc, /sys, /dev) and anything that is neither a regular file nor a
 * folder (FIFOs, devices, sockets) are refused whatever the roots: reading them can hang or
 * leak the process's memory and environment, and mkdir -p under /proc never returns.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path'
import type { FileEntry } from '../domain/app-records'

export class FileAccessError extends Error {
  override name = 'FileAccessError'
}

/** True when `child` is `root` or lies below it (both absolute, already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

/** Kernel file systems: never a study, a cohort or an export folder. */
const kernelFolders = process.platform === 'linux' ? ['/proc', '/sys', '/dev'] : process.platform === 'win32' ? [] : ['/dev']

/** Why `real` (a real path) can never be used, or null. */
export function specialLocation(real: string): string | null {
  const hit = kernelFolders.find((k) => isInside(k, real))
  return hit === undefined ? null : `${hit} holds the system's kernel files, not research data`
}

/** Refuses a real path under a kernel file system (see {@link specialLocation}). */
export function refuseSpecialLocation(path: string, real: string = resolve(path)): void {
  const why = specialLocation(real)
  if (why !== null) throw new FileAccessError(`${path} cannot be used: ${why}`)
}

interface NearestReal {
  /** The real path of the nearest existing ancestor (or the path itself) with the rest appended. */
  full: string
  /** That ancestor, as spelled in the path. */
  existing: string
  /** The path's last segments that do not exist. */
  missing: string[]
}

/** Resolves the part of `path` that exists through its links (ENOENT/ENOTDIR walk up). */
async function nearestRealPath(path: string): Promise<NearestReal> {
  let existing = resolve(path)
  const missing: string[] = []
  for (;;) {
    try {
      const real = await realpath(existing)
      return { full: missing.length ? join(real, ...missing) : real, existing, missing }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || existing === parse(existing).root) throw err
      missing.unshift(basename(existing))
      existing = dirname(existing)
    }
  }
}

/** Refuses, before any mkdir, a folder to create under a kernel file system (mkdir -p under
 *  /proc never returns), however the path is spelled. */
export async function refuseSpecialFolder(dir: string): Promise<void> {
  refuseSpecialLocation(dir)
  const nearest = await nearestRealPath(dir).catch(() => null)
  if (nearest) refuseSpecialLocation(dir, nearest.full)
}

/** How a path is to be used: 'existing' must exist; 'create' is a folder that may not exist yet. */
export type PathUse = 'existing' | 'create'

/**
 * The real path of `requested` when it lies inside one of `roots` (real paths too), else a
 * {@link FileAccessError} that names the path and never a file's contents. An 'existing' path
 * must exist and be a regular file or a folder; a 'create' path may be missing, and then its
 * nearest existing ancestor must be a folder inside a root. Whether a path outside the roots
 * exists is never told (the same message for both).
 */
export async function resolveInsideRoots(roots: readonly string[], requested: string, use: PathUse): Promise<string> {
  if (!isAbsolute(requested)) throw new FileAccessError(`'${requested}' is not an absolute path`)
  if (requested.includes('\0')) throw new FileAccessError('the path contains a NUL character')
  const real = await realRoots(roots)
  const outside = (): FileAccessError => new FileAccessError(`${requested} is outside the folders this session may use`)
  let nearest: NearestReal
  try {
    nearest = await nearestRealPath(requested)
  } catch {
    throw outside()
  }
  const { full, existing, missing } = nearest
  if (!real.some((r) => isInside(r, full))) throw outside()
  refuseSpecialLocation(requested, full)
  if (missing.length > 0) {
    if (use === 'existing') throw new FileAccessError(`not found: ${requested}`)
    const parent = await stat(existing)
    if (!parent.isDirectory()) throw new FileAccessError(`${requested} cannot be created: ${existing} is not a folder`)
    return full
  }
  const info = await lstat(full)
  if (!info.isFile() && !info.isDirectory())
    throw new FileAccessError(`${requested} is neither a regular file nor a folder (a pipe, device or socket cannot be read as data)`)
  return full
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const root of roots) {
    try {
      out.push(await realpath(resolve(root)))
    } catch {
      /* a root that does not exist (any more) simply offers nothing */
    }
  }
  return out
}

/** The allowed roots that exist, as folder entries. */
export async function listRoots(roots: readonly string[]): Promise<FileEntry[]> {
  const real = await realRoots(roots)
  return [...new Set(real)].map((path) => ({ name: basename(path) || path, path, kind: 'dir' as const }))
}

/** Lower-cased extensions with their dot, so 'nii.gz', '.NII.GZ' and '.nii.gz' all match. */
function normaliseExtensions(extensions: readonly string[] | undefined): string[] | null {
  if (!extensions || extensions.length === 0) return null
  return extensions.map((e) => (e.startsWith('.') ? e : '.' + e).toLowerCase())
}

export interface FolderListing {
  path: string
  /** null at a root: the browser may not go above it. */
  parent: string | null
  entries: FileEntry[]
}

/**
 * Lists a folder inside an allowed root: folders first, then files, each sorted by name; hidden
 * entries (leading dot) are left out; `extensions` keeps only files ending with one of them.
 * @throws FileAccessError naming the path when it is outside the roots, missing or not a folder.
 */
export async function listFolder(roots: readonly string[], requested: string, extensions?: readonly string[]): Promise<FolderListing> {
  const real = await realRoots(roots)
  const path = await resolveInsideRoots(roots, requested, 'existing')
  // The outermost root holding it (roots may nest): the browser may not go above that one.
  const root = real.filter((r) => isInside(r, path)).sort((a, b) => a.length - b.length)[0]!
  const info = await stat(path)
  if (!info.isDirectory()) throw new FileAccessError(`${requested} is not a folder`)

  const wanted = normaliseExtensions(extensions)
  const dirents = await readdir(path, { withFileTypes: true })
  const entries: FileEntry[] = []
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue
    const full = join(path, d.name)
    let kind: 'dir' | 'file'
    let size: number | undefined
    try {
      // Follow links, then keep only what really lies inside an allowed root.
      const target = d.isSymbolicLink() ? await realpath(full) : full
      if (d.isSymbolicLink() && !real.some((r) => isInside(r, target))) continue
      const s = await stat(target)
      if (s.isDirectory()) kind = 'dir'
      else if (s.isFile()) {
        kind = 'file'
        size = s.size
      } else continue
    } catch {
      continue // broken link or unreadable entry
    }
    if (kind === 'file' && wanted && !wanted.some((ext) => d.name.toLowerCase().endsWith(ext))) continue
    entries.push(size === undefined ? { name: d.name, path: full, kind } : { name: d.name, path: full, kind, size })
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1))
  return { path, parent: path === root ? null : dirname(path), entries }
}
