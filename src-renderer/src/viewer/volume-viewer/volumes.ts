/**
 * The volumes of the subject shown, in cornerstone's cache: sMRI, PET and the attribution map
 * (a third volume on the same grid), loaded from their payloads, set on each view as its kind
 * asks, and released when replaced or when the viewer goes.
 */
import { CONSTANTS, volumeLoader, type Types } from '@cornerstonejs/core'
import type { AttributionMap, ViewerSubject } from '@contract/contracts/viewer'
import { showsAttribution } from '../attribution'
import { newVolumeId, releaseVolume, stagePayload } from '../payload-loader'
import type { ViewKind } from './engine'
import type { Modality } from '@contract/contracts/study'

export class ViewerVolumes {
  /** Cornerstone volume ids of what is loaded, null for what is not. */
  readonly ids: Record<Modality | 'attribution', string | null> = { smri: null, pet: null, attribution: null }

  /** Loads a subject's sMRI and PET (whichever it has); release the previous ones first. */
  async loadSubject(data: ViewerSubject): Promise<void> {
    for (const modality of ['smri', 'pet'] as const) {
      const payload = data[modality]
      if (!payload) continue
      const id = newVolumeId(`${data.subject}-${modality}`)
      stagePayload(id, payload)
      await volumeLoader.createAndCacheVolume(id)
      this.ids[modality] = id
    }
  }

  /** Loads an attribution map as the attribution volume (the caller releases the one it replaces,
   *  after the views stopped showing it). */
  async loadAttribution(map: AttributionMap): Promise<void> {
    const id = newVolumeId(`${map.subject}-attribution-${map.modality}`)
    stagePayload(id, map.volume)
    await volumeLoader.createAndCacheVolume(id)
    this.ids.attribution = id
  }

  /** Whether a view of this kind has something to show. */
  hasVolumeFor(kind: ViewKind): boolean {
    return Boolean(kind === 'smri' ? this.ids.smri : kind === 'pet' ? this.ids.pet : this.ids.smri || this.ids.pet)
  }

  /** Whether a view of this kind shows the attribution map of `mapModality`. */
  showsMapOn(kind: ViewKind, mapModality: AttributionMap['modality'] | null): boolean {
    return Boolean(this.ids.attribution) && showsAttribution(kind, mapModality)
  }

  /** Sets a view's volumes together (sMRI under PET under the map), as its kind asks. */
  async showOn(vp: Types.IVolumeViewport, kind: ViewKind, mapModality: AttributionMap['modality'] | null): Promise<void> {
    const { smri, pet, attribution } = this.ids
    const inputs: Types.IVolumeInput[] = []
    if (kind !== 'pet' && smri) inputs.push({ volumeId: smri })
    if (kind !== 'smri' && pet) inputs.push({ volumeId: pet })
    const withMap = this.showsMapOn(kind, mapModality)
    if (withMap) inputs.push({ volumeId: attribution! })
    await vp.setVolumes(inputs)
    if (pet) makeOpacityLiteral(vp, pet)
    if (withMap) makeOpacityLiteral(vp, attribution!)
  }

  /** Releases every volume loaded. */
  releaseAll(): void {
    for (const role of ['smri', 'pet', 'attribution'] as const) {
      const id = this.ids[role]
      if (id) releaseVolume(id)
      this.ids[role] = null
    }
  }
}

/**
 * vtk corrects opacity for the distance a ray travels: the alpha drawn for one sample is
 * 1 - (1 - a)^(raySteps * sampleDistance / unitDistance), and a slice view's ray crosses only
 * the camera slab (0.05 mm) in a fraction of one 1 mm sample. An overlay opacity of 0.6 would
 * show as about 0.05, and a unit distance shrunk to the slab pushes the table's values so close
 * to 1 that float precision rounds them to 1. A sample distance and a unit distance just above
 * the slab make the ray one sample long and the drawn opacity the one asked for.
 */
function makeOpacityLiteral(vp: Types.IVolumeViewport, volumeId: string): void {
  const step = CONSTANTS.RENDERING_DEFAULTS.MINIMUM_SLAB_THICKNESS * 1.01
  for (const entry of vp.getActors()) {
    if (entry.referencedId !== volumeId) continue
    const actor = entry.actor as Types.VolumeActor
    const mapper = actor.getMapper() as unknown as { setSampleDistance(d: number): void; setMaximumSamplesPerRay(n: number): void }
    // Enough samples for a ray across the whole volume at this step, so vtk never warns.
    mapper.setMaximumSamplesPerRay(Math.ceil(1000 / step))
    mapper.setSampleDistance(step)
    actor.getProperty().setScalarOpacityUnitDistance(0, step)
  }
}
