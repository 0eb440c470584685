/**
 * cache/<key>/ of a study: the preprocessed hippocampal crops of one scan, as NIfTI files other
 * tools can open, plus meta.json. The key hashes the source file's identity (absolute path, size,
 * modification time), the modality and the preprocessing settings, so a changed file or changed
 * settings never reuse a stale crop. An entry is built in a temp folder and renamed into place:
 * it is either complete or absent.
 *
 *   channel-0-left.nii.gz    left hippocampus, stored LAS (i: medial -> lateral)
 *   channel-1-right.nii.gz   right hippocampus, stored RAS (mirrored in x, i: medial -> lateral)
 * Both with their true affines, so they overlay on the source image in any viewer.
 */
import { createHash, randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { readNifti } from '../readers/nifti/read'
import type { Affine } from '../volume/types'
import type { ScanInput } from '../domain/input-kind'
import { writeNifti } from '../readers/nifti/write'
import { describeWriteError, ensureDir } from './atomic'
import type { Modality } from '../domain/modality'

export const CACHE_DIR = 'cache'
const FILES = ['channel-0-left.nii.gz', 'channel-1-right.nii.gz'] as const

export interface CropStack {
  /** Crop size in voxels [nx, ny, nz]. */
  dims: [number, number, number]
  channels: 2
  /** data[c * nx*ny*nz + i + nx * (j + ny * k)], channel 0 = left, 1 = right (mirrored). */
  data: Float32Array
}

export interface CacheMeta {
  key: string
  source: string
  modality: Modality
  settingsHash: string
  createdAt: string
  stats: { hippocampalGmMl: number | null; hippocampalMeanSuvr: number | null; nonFiniteVoxels: number }
  steps: string[]
  /** What the source was taken as (absent in entries written before input kinds). */
  input?: ScanInput
  /** Registration QC of a native-space scan (absent or null: not registered). */
  qc?: { ncc: number; threshold: number; flagged: boolean } | null
}

/** Hex key of a scan's preprocessed crops. */
export function cacheKey(source: { path: string; size: number; mtimeMs: number }, modality: string, settingsHash: string): string {
  return createHash('sha256')
    .update(JSON.stringify([source.path, source.size, Math.round(source.mtimeMs), modality, settingsHash]))
    .digest('hex')
    .slice(0, 24)
}

export function cachePath(studyDir: string, key: string): string {
  return join(studyDir, CACHE_DIR, key)
}

export async function hasCacheEntry(studyDir: string, key: string): Promise<boolean> {
  return fsp.stat(join(cachePath(studyDir, key), 'meta.json')).then(
    () => true,
    () => false
  )
}

/** Affine of a crop mirrored in x (voxel i -> nx - 1 - i). */
export function mirrorAffineX(a: Affine, nx: number): Affine {
  return a.map((row) => [-row[0]!, row[1]!, row[2]!, row[3]! + row[0]! * (nx - 1)])
}

/**
 * Writes a cache entry atomically (temp folder, then rename). A concurrent writer of the same key
 * wins harmlessly: both hold the same content.
 * @param affines voxel -> MNI mm affine of channel 0 (left) and channel 1 (right, mirrored).
 */
export async function writeCacheEntry(studyDir: string, meta: CacheMeta, crops: CropStack, affines: { left: Affine; right: Affine }): Promise<void> {
  const root = join(studyDir, CACHE_DIR)
  await ensureDir(root)
  const tmp = join(root, `.${meta.key}.${process.pid}.${randomBytes(4).toString('hex')}.partial`)
  const n = crops.dims[0] * crops.dims[1] * crops.dims[2]
  try {
    await fsp.mkdir(tmp)
    for (let c = 0; c < 2; c++) {
      await writeNifti(
        join(tmp, FILES[c]!),
        { dims: crops.dims, spacing: [2, 2, 2], affine: c === 0 ? affines.left : affines.right, data: crops.data.slice(c * n, (c + 1) * n) },
        {
          xformCode: 4,
          description: `TCGM Lab ${meta.modality} ${c === 0 ? 'left' : 'right'} hippocampus`
        }
      )
    }
    await fsp.writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 1) + '\n')
    await fsp.rename(tmp, cachePath(studyDir, meta.key)).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') return // another writer finished first
      throw err
    })
  } catch (err) {
    throw describeWriteError(cachePath(studyDir, meta.key), err)
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined)
  }
}

/** Removes temp folders left by writers that were killed (their pid no longer runs). */
export async function removeStalePartials(studyDir: string): Promise<number> {
  const root = join(studyDir, CACHE_DIR)
  const names = await fsp.readdir(root).catch(() => [] as string[])
  let removed = 0
  for (const n of names) {
    const m = /^\.[0-9a-f]+\.(\d+)\.[0-9a-f]+\.partial$/.exec(n)
    if (!m) continue
    const pid = Number(m[1])
    let alive = pid === process.pid
    if (!alive) {
      try {
        process.kill(pid, 0)
        alive = true
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM'
      }
    }
    if (!alive) {
      await fsp.rm(join(root, n), { recursive: true, force: true })
      removed++
    }
  }
  return removed
}

export async function readCacheMeta(studyDir: string, key: string): Promise<CacheMeta> {
  const file = join(cachePath(studyDir, key), 'meta.json')
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as CacheMeta
  } catch (err) {
    throw new Error(`cannot read the preprocessed crop ${file}: ${(err as Error).message}; re-import the study to rebuild it`, { cause: err })
  }
}

/** Reads both channels back into one stack. */
export async function readCacheCrops(studyDir: string, key: string): Promise<CropStack> {
  const dir = cachePath(studyDir, key)
  const vols = []
  for (const f of FILES) {
    try {
      vols.push(await readNifti(join(dir, f)))
    } catch (err) {
      throw new Error(`cannot read the preprocessed crop ${join(dir, f)}: ${(err as Error).message}; re-import the study to rebuild it`, { cause: err })
    }
  }
  const [l, r] = vols as [Awaited<ReturnType<typeof readNifti>>, Awaited<ReturnType<typeof readNifti>>]
  if (l.dims.join() !== r.dims.join()) throw new Error(`${dir}: the two crops have different sizes (${l.dims.join('x')} and ${r.dims.join('x')})`)
  const n = l.data.length
  const data = new Float32Array(2 * n)
  data.set(l.data, 0)
  data.set(r.data, n)
  return { dims: l.dims, channels: 2, data }
}
