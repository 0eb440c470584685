/**
 * cornerstone3D set-up for the viewer and its volume loader: the `tcgm-payload:` scheme turns a
 * VolumePayload received from main (our own NIfTI reader's output after preprocessing) into a
 * cornerstone ImageVolume, keeping the world position of every voxel (geometry.ts) and the
 * float values as they are (no rescaling, no integer conversion).
 *
 * Usage: `stagePayload(id, payload)` then `volumeLoader.createAndCacheVolume(id)`;
 * `releaseVolume(id)` frees the volume and its per-slice images.
 */
import { cache, imageLoader, init as initCore, isCornerstoneInitialized, utilities, volumeLoader, type Types } from '@cornerstonejs/core'
import { PanTool, ZoomTool, addTool, init as initTools } from '@cornerstonejs/tools'
import type { VolumePayload } from '@contract/contracts/viewer'
import { registeredColormaps, toRgbPoints } from './colormaps'
import { toCornerstoneGeometry, type CornerstoneGeometry } from './geometry'

export const payloadScheme = 'tcgm-payload'

/** Payloads waiting for the loader, by volume id. The loader takes them out (no second copy). */
const staged = new Map<string, VolumePayload>()

let initialised = false

/** Initialises cornerstone core and tools once per page, registers our loader and colormaps. */
export function ensureCornerstone(): void {
  if (initialised) return
  // One WebGL context for every view: each volume's texture is uploaded once (with several
  // contexts, each gets its own copy: slower first render, more memory, same frame rate).
  if (!isCornerstoneInitialized()) initCore({ rendering: { webGlContextCount: 1 } } as Parameters<typeof initCore>[0])
  initTools()
  addTool(PanTool)
  addTool(ZoomTool)
  volumeLoader.registerVolumeLoader(payloadScheme, loadPayloadVolume as unknown as Types.VolumeLoaderFn)
  // The per-slice images of our volumes carry the scheme too ("<volumeId>_slice_<k>"), and
  // cornerstone re-loads the middle one, bypassing the cache, to guess a default window.
  imageLoader.registerImageLoader(payloadScheme, loadPayloadSlice as unknown as Types.ImageLoaderFn)
  for (const map of registeredColormaps) {
    utilities.colormap.registerColormap({ ColorSpace: 'RGB', Name: map.id, name: map.id, RGBPoints: toRgbPoints(map) })
  }
  initialised = true
}

/** A fresh volume id of our scheme; `tag` is for humans reading logs (subject and modality). */
export function newVolumeId(tag: string): string {
  return `${payloadScheme}:${tag.replace(/[^A-Za-z0-9_.-]/g, '_')}:${Math.random().toString(36).slice(2, 10)}`
}

export function stagePayload(volumeId: string, payload: VolumePayload): void {
  if (!volumeId.startsWith(`${payloadScheme}:`)) throw new Error(`stagePayload: volume id '${volumeId}' is not of the ${payloadScheme}: scheme`)
  staged.set(volumeId, payload)
}

/** Cornerstone's volume metadata for a payload (DICOM-like fields its viewports read). */
export function payloadMetadata(payload: VolumePayload, g: CornerstoneGeometry): Types.Metadata {
  const [lower, upper] = payload.robustRange
  return {
    BitsAllocated: 32,
    BitsStored: 32,
    SamplesPerPixel: 1,
    HighBit: 31,
    PhotometricInterpretation: 'MONOCHROME2',
    PixelRepresentation: 1,
    // 'OT' rather than 'PT': cornerstone applies SUV-specific defaults to 'PT' that assume
    // DICOM scaling; our values are already SUVR / SUV.
    Modality: payload.modality === 'pet' ? 'OT' : 'MR',
    SeriesInstanceUID: `${payloadScheme}.${payload.modality}`,
    ImageOrientationPatient: g.direction.slice(0, 6),
    // DICOM order: [row spacing (between rows, along j), column spacing (along i)].
    PixelSpacing: [g.spacing[1], g.spacing[0]],
    FrameOfReferenceUID: 'tcgm-mni-world',
    Columns: g.dimensions[0],
    Rows: g.dimensions[1],
    voiLut: [{ windowCenter: (lower + upper) / 2, windowWidth: Math.max(upper - lower, 1e-6) }],
    VOILUTFunction: 'LINEAR'
  }
}

function loadPayloadVolume(volumeId: string): { promise: Promise<Types.IImageVolume> } {
  const payload = staged.get(volumeId)
  if (!payload) {
    return { promise: Promise.reject(new Error(`${payloadScheme} loader: no payload was staged for '${volumeId}'`)) }
  }
  staged.delete(volumeId)
  const promise = new Promise<Types.IImageVolume>((resolve) => {
    const g = toCornerstoneGeometry(payload, payload.source)
    const volume = volumeLoader.createLocalVolume(volumeId, {
      metadata: payloadMetadata(payload, g),
      dimensions: g.dimensions,
      spacing: g.spacing,
      origin: g.origin,
      direction: g.direction,
      scalarData: g.scalarData,
      // createAndCacheVolume puts the loaded volume into the cache itself.
      preventCache: true
    })
    resolve(volume)
  })
  return { promise }
}

/** The slice images exist from the moment their volume was created: hand back the cached one. */
function loadPayloadSlice(imageId: string): { promise: Promise<Types.IImage> } {
  const image = cache.getImage(imageId)
  return {
    promise: image ? Promise.resolve(image) : Promise.reject(new Error(`${payloadScheme} image loader: '${imageId}' is not a slice of a loaded volume`))
  }
}

/** Removes a volume of ours and its per-slice images from cornerstone's cache. */
export function releaseVolume(volumeId: string): void {
  staged.delete(volumeId)
  const volume = cache.getVolume(volumeId)
  const imageIds = volume?.imageIds ?? []
  if (cache.getVolumeLoadObject(volumeId)) cache.removeVolumeLoadObject(volumeId)
  for (const imageId of imageIds) {
    if (cache.getImageLoadObject(imageId)) cache.removeImageLoadObject(imageId, { force: true })
  }
}
