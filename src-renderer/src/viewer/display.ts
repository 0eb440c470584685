/**
 * The viewer's display state and the pure helpers around it: default settings for a subject's
 * volumes, where the crosshair starts, snapping to voxel centres, and the cursor readout.
 * No cornerstone import: unit-tested in jsdom.
 */
import type { VolumePayload, ViewerSubject } from '@contract/contracts/viewer'
import { rasToVoxel, rasToVoxelIndex, voxelToRas, type Vec3 } from './geometry'

/** What the primary mouse button does; the middle button always pans, the right one zooms. */
export type PointerMode = 'crosshair' | 'windowLevel' | 'pan' | 'zoom'

export interface DisplaySettings {
  /** Overlay colormap id (colormaps.ts). */
  colormap: string
  /** Opacity of the PET overlay in the fused views, 0..1. */
  opacity: number
  /** PET values mapped to the two ends of the colormap (display range). */
  displayRange: [number, number]
  /** PET values below this are transparent (clipping threshold, independent of the display range). */
  threshold: number
  /** sMRI window, [lower, upper] intensity. */
  mriWindow: [number, number]
  /** Patient's left on the screen's right (radiological) or left (neurological). */
  radiological: boolean
  showBoxes: boolean
  mode: PointerMode
}

export interface VoxelReadout {
  /** 0-based voxel of the modality's own grid. */
  ijk: Vec3
  value: number
  units: string
}

export interface CursorReadout {
  /** RAS (MNI) mm. */
  mm: Vec3
  smri: VoxelReadout | null
  pet: VoxelReadout | null
  /** The attribution map's value there, when one is shown. */
  attribution?: VoxelReadout | null
}

/** Value and voxel of a payload under a RAS point, or null outside its grid. */
export function readout(payload: VolumePayload | null, mm: Vec3): VoxelReadout | null {
  if (!payload) return null
  const ijk = rasToVoxelIndex(payload, mm)
  if (!ijk) return null
  const [nx, ny] = payload.dims
  return { ijk, value: payload.data[ijk[0] + nx * (ijk[1] + ny * ijk[2])], units: payload.units }
}

/** Nearest voxel centre of `payload`'s grid (clamped into it), RAS mm. */
export function snapToVoxel(payload: VolumePayload, mm: Vec3): Vec3 {
  const f = rasToVoxel(payload.affine, mm)
  const ijk = f.map((v, a) => Math.min(payload.dims[a] - 1, Math.max(0, Math.round(v))))
  return voxelToRas(payload.affine, ijk)
}

/** Where the crosshair starts: the centre of the first hippocampal box, else the grid centre. */
export function initialCrosshair(subject: Pick<ViewerSubject, 'boxes' | 'smri' | 'pet'>): Vec3 {
  const box = subject.boxes[0]
  const ref = subject.smri ?? subject.pet
  if (box) {
    const c: Vec3 = [0, 1, 2].map((a) => (box.mmMin[a] + box.mmMax[a]) / 2) as Vec3
    return ref ? snapToVoxel(ref, c) : c
  }
  if (!ref) return [0, 0, 0]
  return voxelToRas(
    ref.affine,
    ref.dims.map((d) => Math.floor(d / 2))
  )
}

/** Default display settings for a subject's volumes. */
export function defaultDisplay(smri: VolumePayload | null, pet: VolumePayload | null): DisplaySettings {
  const petRange = pet ? pet.robustRange : ([0, 1] as [number, number])
  return {
    colormap: 'tcgm-hot',
    opacity: 0.6,
    displayRange: [petRange[0], petRange[1]],
    // Show the upper half of the display range: uptake below it stays grey-scale anatomy.
    threshold: petRange[0] + 0.5 * (petRange[1] - petRange[0]),
    mriWindow: smri ? [smri.robustRange[0], smri.robustRange[1]] : [0, 1],
    radiological: false,
    showBoxes: true,
    mode: 'crosshair'
  }
}
