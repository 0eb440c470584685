/** The 2-D canvas over each view: crosshair and hippocampal boxes (drawn by overlay.ts). */
import type { Types } from '@cornerstonejs/core'
import type { HippocampalBox } from '@contract/contracts/viewer'
import { rasToLps, type Vec3 } from '../geometry'
import { defaultOverlayStyle, drawOverlay, type SliceView } from '../overlay'
import { realDevicePixelRatio } from '../render-scale'
import type { ViewerContext } from './context'
import type { ViewSlot } from './engine'

/** A view's slice as the overlay drawing sees it: world -> canvas, plane, CSS size. */
export function sliceView(vp: Types.IVolumeViewport, element: HTMLElement): SliceView {
  const cam = vp.getCamera()
  return {
    toCanvas: (p) => vp.worldToCanvas(p) as [number, number],
    normal: cam.viewPlaneNormal as Vec3,
    focalPoint: cam.focalPoint as Vec3,
    width: element.clientWidth,
    height: element.clientHeight
  }
}

export function drawSlotOverlay(ctx: ViewerContext, slot: ViewSlot): void {
  const vp = ctx.engine.viewport(slot.id)
  if (!vp) return
  const w = slot.element.clientWidth
  const h = slot.element.clientHeight
  // The display's own ratio: the overlay's lines stay sharp whatever the views render at.
  const dpr = realDevicePixelRatio()
  if (slot.overlay.width !== Math.round(w * dpr) || slot.overlay.height !== Math.round(h * dpr)) {
    slot.overlay.width = Math.round(w * dpr)
    slot.overlay.height = Math.round(h * dpr)
  }
  const g = slot.overlay.getContext('2d')
  if (!g) return
  g.setTransform(dpr, 0, 0, dpr, 0, 0)
  const boxes: readonly HippocampalBox[] = ctx.subject.value?.boxes ?? []
  drawOverlay(g, sliceView(vp, slot.element), rasToLps(ctx.crosshair.value), boxes, { ...defaultOverlayStyle, showBoxes: ctx.settings.showBoxes })
}

export function redrawOverlays(ctx: ViewerContext): void {
  for (const slot of ctx.engine.slots) drawSlotOverlay(ctx, slot)
}
