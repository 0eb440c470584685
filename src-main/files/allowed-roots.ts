/**
 * The server-side folder browser of browser mode: lists folders only inside the roots the user
 * allowed at launch (`npm run serve -- --root <dir>`). Paths are resolved through symlinks
 * before the check, so neither `..` nor a link pointing outside a root can escape it; entries
 * whose real location is outside every root are left out of listings.
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { FileEntry } from '../domain/app-records'

export class FileAccessError extends Error {
  override name = 'FileAccessError'
}

/** True when `child` is `root` or lies below it (both absolute, already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
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
  if (!isAbsolute(requested)) throw new FileAccessError(`files.list: '${requested}' is not an absolute path`)
  if (requested.includes('\0')) throw new FileAccessError('files.list: the path contains a NUL character')
  const real = await realRoots(roots)
  let path: string
  try {
    path = await realpath(resolve(requested))
  } catch {
    throw new FileAccessError(`files.list: folder not found: ${requested}`)
  }
  const root = real.find((r) => isInside(r, path))
  if (root === undefined) throw new FileAccessError(`files.list: ${requested} is outside the folders this session may browse`)
  const info = await stat(path)
  if (!info.isDirectory()) throw new FileAccessError(`files.list: ${requested} is not a folder`)

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
