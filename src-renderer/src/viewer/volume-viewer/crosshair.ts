/** The one crosshair shared by every view (RAS mm, on the reference grid's voxel centres) and
 *  the views' slices, which follow it. */
import type { Types } from '@cornerstonejs/core'
import { snapToVoxel } from '../display'
import { lpsToRas, rasToLps, sliceShift, type Vec3 } from '../geometry'
import type { ViewerContext } from './context'
import { redrawOverlays } from './overlays'

/** Moves the shared crosshair (RAS mm, snapped to the reference grid) and every view's slice to it. */
export function moveCrosshair(ctx: ViewerContext, mm: Vec3, render = true): void {
  const ref = ctx.subject.value?.smri ?? ctx.subject.value?.pet
  ctx.crosshair.value = ref ? snapToVoxel(ref, mm) : mm
  const lps = rasToLps(ctx.crosshair.value)
  // Only the views whose slice changed are drawn again; the others only need their overlay.
  const moved = ctx.engine.slots.filter((slot) => slideTo(ctx.engine.viewport(slot.id), lps)).map((slot) => slot.id)
  if (render) ctx.engine.requestRender(moved)
  redrawOverlays(ctx)
}

/** Moves a view's slice through `lps` (LPS mm) without drawing it; false when it already was. */
function slideTo(vp: Types.IVolumeViewport | null, lps: Vec3): boolean {
  if (!vp) return false
  const { focalPoint, position, viewPlaneNormal: n } = vp.getCamera()
  if (!focalPoint || !position || !n) return false
  const shift = sliceShift(focalPoint, n, lps, vp.getImageData()?.imageData?.getBounds())
  if (shift === 0) return false
  vp.setCamera({
    focalPoint: [focalPoint[0] + shift * n[0], focalPoint[1] + shift * n[1], focalPoint[2] + shift * n[2]],
    position: [position[0] + shift * n[0], position[1] + shift * n[1], position[2] + shift * n[2]]
  })
  return true
}

/** Moves the crosshair `steps` voxels along the view's normal (slice scrolling). */
export function scroll(ctx: ViewerContext, slotId: string, steps: number): void {
  const vp = ctx.engine.viewport(slotId)
  const ref = ctx.subject.value?.smri ?? ctx.subject.value?.pet
  if (!vp || !ref) return
  const n = vp.getCamera().viewPlaneNormal as Vec3
  const nRas = lpsToRas(n)
  // One voxel along the normal: the grid's spacing along the axis closest to the normal.
  const axis = [0, 1, 2].reduce((best, a) => (Math.abs(nRas[a]) > Math.abs(nRas[best]) ? a : best), 0)
  const step = Math.abs(ref.affine[axis][0]) + Math.abs(ref.affine[axis][1]) + Math.abs(ref.affine[axis][2])
  const p = ctx.crosshair.value
  moveCrosshair(ctx, [p[0] + nRas[0] * step * steps, p[1] + nRas[1] * step * steps, p[2] + nRas[2] * step * steps])
}
