/**
 * Attribution maps for the viewer: occlusion sensitivity of a finished run's selected model of
 * one modality over one subject's hippocampal crop, averaged over the run's seeds, placed on the
 * 91x109x91 MNI grid of the viewer's volumes, and cached in the run folder:
 *
 *   runs/<id>/attribution/<subject>-<modality>.bin
 *     the headed-floats layout (files/headed-floats.ts) with magic "TCGMATTR": the map's
 *     description as the JSON header, then its nx*ny*nz values.
 *
 * The header holds a key hashing everything the map depends on (each seed's model file identity,
 * the crop's cache key, the occlusion settings, the class and the algorithm version): a retrained
 * or resumed run rewrites its model files, so its stale maps are recomputed, never served.
 */
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import type { AttributionMap } from '../domain/viewer-records'
import { MNI_2MM } from '../volume/grid'
import { readCacheCrops } from '../study/cache'
import { preprocessSettingsFor } from '../study/import/preprocess'
import { RUNS_DIR } from '../runs/folder'
import { loadStudy } from '../study/study'
import { ensureDir, writeFileAtomic } from '../files/atomic'
import { decodeHeadedFloats, encodeHeadedFloats } from '../files/headed-floats'
import { runPrediction } from '../viewer/subject-view'
import { volumeToPayload } from '../viewer/payload'
import type { AttributionTask, ComputeCallbacks, CropAttribution } from './compute'
import { cropIndexOnGrid, cropMapToGrid } from './crop-to-grid'
import { DEFAULT_CUBE, DEFAULT_STRIDE } from './occlusion'
import { newestFinishedRun, runModelsFor, type RunModels } from './run-models'
import { computeInWorker } from './remote'
import type { Modality } from '../domain/modality'

/** Bumped whenever a change here changes the maps (part of the cache key). */
export const ATTRIBUTION_VERSION = 1
export const ATTRIBUTION_SETTINGS = {
  cube: DEFAULT_CUBE,
  stride: DEFAULT_STRIDE,
  batchSize: 32,
  baseline: "the crop channel's mean over the model's input window"
} as const

export interface AttributionRequest {
  study: string
  subject: string
  modality: Modality
  /** Default: the newest finished run. */
  runId?: string
}

export interface AttributionOptions extends ComputeCallbacks {
  /** Computes the crop-space map; default: in an attribution worker process. */
  compute?: (task: AttributionTask, cb: ComputeCallbacks) => Promise<CropAttribution>
  /** Occlusion settings (tests); default ATTRIBUTION_SETTINGS. */
  cube?: number
  stride?: number
}

const MAGIC = 'TCGMATTR'
const MODALITY_NAMES = { smri: 'sMRI', pet: 'PET' } as const

interface Prepared {
  /** The study folder, as loadStudy resolved it. */
  studyDir: string
  runId: string
  models: RunModels
  classIndex: number
  cropKey: string
  margin: number
  key: string
  file: string
  settings: { cube: number; stride: number }
}

/** A file-name-safe form of a subject id. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_')
}

async function prepare(req: AttributionRequest, opts: Pick<AttributionOptions, 'cube' | 'stride'> = {}): Promise<Prepared> {
  const state = await loadStudy(req.study)
  const record = state.file.subjects.find((s) => s.id === req.subject)
  if (!record) throw new Error(`${state.dir}: no subject '${req.subject}' in the study`)
  const scan = record.scans[req.modality]
  if (!scan) throw new Error(`subject ${req.subject} has no ${MODALITY_NAMES[req.modality]} scan: no ${MODALITY_NAMES[req.modality]} attribution map`)
  if (!scan.cacheKey) throw new Error(`subject ${req.subject}: the ${MODALITY_NAMES[req.modality]} scan ${scan.path} was not preprocessed; re-import the study`)
  const runId = req.runId ?? (await newestFinishedRun(state.dir))
  const models = await runModelsFor(state.dir, runId, req.modality)
  // The positive class (AD, or the converters): one fixed class, so maps average over seeds
  // and compare between subjects whatever each model predicts.
  const classIndex = Math.min(1, models.classNames.length - 1)
  const settings = { cube: opts.cube ?? ATTRIBUTION_SETTINGS.cube, stride: opts.stride ?? ATTRIBUTION_SETTINGS.stride }
  const margin = preprocessSettingsFor(req.modality, state.file.settings).cropMargin
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        ATTRIBUTION_VERSION,
        settings,
        classIndex,
        scan.cacheKey,
        margin,
        models.seeds.map((s) => [s.seed, s.file, s.size, Math.round(s.mtimeMs), s.modalityIndex, s.selectedEpoch])
      ])
    )
    .digest('hex')
    .slice(0, 32)
  const file = join(state.dir, RUNS_DIR, runId, 'attribution', `${safeName(req.subject)}-${req.modality}.bin`)
  return { studyDir: state.dir, runId, models, classIndex, cropKey: scan.cacheKey, margin, key, file, settings }
}

type Header = Omit<AttributionMap, 'volume'> & { key: string; volume: Omit<AttributionMap['volume'], 'data'> }

function encode(map: AttributionMap, key: string): Buffer {
  const { volume, ...rest } = map
  const { data, ...grid } = volume
  const header: Header = { ...rest, key, volume: grid }
  return encodeHeadedFloats(MAGIC, header, data.length, (values) => values.set(data))
}

/** The cached map when its key matches; null when absent, stale or damaged. @throws naming the file when it cannot be read */
async function readCached(file: string, key: string): Promise<AttributionMap | null> {
  const buf = await fsp.readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw new Error(`cannot read the attribution map ${file}: ${err.message}`)
  })
  if (!buf) return null
  let header: Header
  let data: Float32Array
  try {
    const decoded = decodeHeadedFloats<Header>(buf, MAGIC, 'attribution map', file)
    header = decoded.header
    const [nx, ny, nz] = header.volume.dims
    if (decoded.count !== nx * ny * nz) throw new Error(`${file}: ${decoded.count} values for a ${nx}x${ny}x${nz} grid`)
    data = decoded.values(0, decoded.count)
  } catch {
    // A damaged cache entry is recomputed (and overwritten), not fatal.
    return null
  }
  if (header.key !== key) return null
  const { key: _k, volume, ...rest } = header
  return { ...rest, seconds: 0, volume: { ...volume, data } }
}

/** The subject's map for the run's current models when it was computed before; null otherwise. */
export async function readAttribution(req: AttributionRequest, opts: Pick<AttributionOptions, 'cube' | 'stride'> = {}): Promise<AttributionMap | null> {
  const p = await prepare(req, opts)
  return readCached(p.file, p.key)
}

/**
 * Computes (or reads back from the run folder) a subject's attribution map for one modality.
 * @throws naming the study, run, subject or file: unknown subject or run, unfinished run, no scan
 *         of that modality, missing model files; the signal's reason when cancelled
 */
export async function computeAttribution(req: AttributionRequest, opts: AttributionOptions = {}): Promise<{ map: AttributionMap; cached: boolean }> {
  const p = await prepare(req, opts)
  const cached = await readCached(p.file, p.key)
  if (cached) return { map: cached, cached: true }

  const studyDir = p.studyDir
  const crop = await readCacheCrops(studyDir, p.cropKey)
  const index = cropIndexOnGrid(MNI_2MM, p.margin)
  if (index.dims.join() !== crop.dims.join()) {
    throw new Error(
      `subject ${req.subject}: the cached ${MODALITY_NAMES[req.modality]} crop is ${crop.dims.join('x')} voxels, the study's settings cut ${index.dims.join('x')}; re-import the study`
    )
  }
  const task: AttributionTask = {
    crop,
    models: p.models.seeds.map(({ seed, file, source, selectedEpoch, modalityIndex }) => ({ seed, file, source, selectedEpoch, modalityIndex })),
    modality: req.modality,
    classIndex: p.classIndex,
    cube: p.settings.cube,
    stride: p.settings.stride,
    batchSize: ATTRIBUTION_SETTINGS.batchSize
  }
  const started = Date.now()
  const r = await (opts.compute ?? computeInWorker)(task, { signal: opts.signal, onProgress: opts.onProgress })
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled')
  const seconds = (Date.now() - started) / 1000

  const data = cropMapToGrid(r.map, index, MNI_2MM, 0)
  let maxAbs = 0
  for (const v of data) if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v)
  const className = p.models.classNames[p.classIndex] ?? String(p.classIndex)
  const units = `Δ p(${className})`
  const volume = volumeToPayload({ dims: [...MNI_2MM.dims], spacing: [2, 2, 2], affine: MNI_2MM.affine, data }, req.modality, `attribution-${p.runId}`, {
    quantity: `Occlusion sensitivity of the ${MODALITY_NAMES[req.modality]} model`,
    units
  })
  volume.robustRange = maxAbs > 0 ? [-maxAbs, maxAbs] : [-1e-3, 1e-3]
  const prediction = await runPrediction(studyDir, req.subject, p.runId).catch(() => null)
  const exported = prediction?.modalities[req.modality]?.[p.classIndex]
  const map: AttributionMap = {
    runId: p.runId,
    subject: req.subject,
    modality: req.modality,
    className,
    classIndex: p.classIndex,
    seeds: p.models.seeds.map((s) => s.seed),
    cubeVoxels: p.settings.cube,
    strideVoxels: p.settings.stride,
    baseline: ATTRIBUTION_SETTINGS.baseline,
    probability: r.probabilities.reduce((a, q) => a + q[p.classIndex]!, 0) / r.probabilities.length,
    exportedProbability: typeof exported === 'number' ? exported : null,
    maxAbs,
    passes: r.passes,
    seconds,
    computedAt: new Date().toISOString(),
    volume
  }
  await ensureDir(join(p.file, '..'))
  await writeFileAtomic(p.file, encode(map, p.key))
  return { map, cached: false }
}
