/** The display settings (windows, PET colormap and opacity, attribution map, L/R convention)
 *  pushed to every view, each when it is due to be drawn (the main panel first). */
import type { Types } from '@cornerstonejs/core'
import { attributionOpacityPoints, type AttributionDisplay } from '../attribution'
import { attributionColormap } from '../colormaps'
import { rasToLps } from '../geometry'
import { isRadiological } from '../overlay'
import type { ViewerContext } from './context'
import type { ViewSlot } from './engine'
import { redrawOverlays, sliceView } from './overlays'

/** Pushes the display settings to every view. */
export function applyDisplay(ctx: ViewerContext, render = true): void {
  if (!ctx.engine.live) return
  ctx.engine.updateViews((slot) => {
    const vp = ctx.engine.viewport(slot.id)
    if (vp) applyDisplayTo(ctx, vp, slot)
  })
  if (render) ctx.engine.requestRender()
  redrawOverlays(ctx)
}

function applyDisplayTo(ctx: ViewerContext, vp: Types.IVolumeViewport, slot: ViewSlot): void {
  const { settings, volumes } = ctx
  const { smri, pet, attribution } = volumes.ids
  if (slot.kind !== 'pet' && smri) {
    vp.setProperties({ voiRange: { lower: settings.mriWindow[0], upper: settings.mriWindow[1] } }, smri)
  }
  if (slot.kind !== 'smri' && pet) {
    const [lower, upper] = settings.displayRange
    // cornerstone clamps the threshold into the data range, which would leave the maximum
    // voxel drawn: above every value, draw nothing.
    const petMax = ctx.subject.value?.pet?.max ?? Infinity
    const opacity = settings.threshold > petMax ? 0 : slot.kind === 'pet' ? 1 : settings.opacity
    vp.setProperties(
      {
        colormap: { name: settings.colormap, opacity, threshold: settings.threshold },
        voiRange: { lower, upper: Math.max(upper, lower + 1e-6) }
      },
      pet
    )
  }
  if (volumes.showsMapOn(slot.kind, ctx.attribution.value?.modality ?? null)) applyAttributionDisplay(vp, attribution!, ctx.attributionDisplay)
}

/**
 * The attribution's colours over [-range, range] and its opacity function, transparent for
 * |value| below the threshold on both sides (cornerstone's colormap threshold is one-sided, so
 * the actor's scalar opacity function is written here, after the colormap).
 */
function applyAttributionDisplay(vp: Types.IVolumeViewport, volumeId: string, display: AttributionDisplay): void {
  const r = Math.max(display.range, 1e-9)
  vp.setProperties({ colormap: { name: attributionColormap.id }, voiRange: { lower: -r, upper: r } }, volumeId)
  for (const entry of vp.getActors()) {
    if (entry.referencedId !== volumeId) continue
    const property = (entry.actor as Types.VolumeActor).getProperty()
    const ofun = property.getScalarOpacity(0)
    ofun.removeAllPoints()
    for (const [x, y] of attributionOpacityPoints(display)) ofun.addPoint(x, y)
    property.setScalarOpacity(0, ofun)
  }
}

/** Flips axial and coronal views horizontally where they disagree with the L/R setting. */
export function applyOrientation(ctx: ViewerContext, render = true): void {
  // A flip makes cornerstone flag the view for drawing: flip each view when it is due (main first).
  ctx.engine.updateViews((slot) => {
    if (slot.plane === 'sagittal') return
    const vp = ctx.engine.viewport(slot.id)
    if (!vp) return
    const view = sliceView(vp, slot.element)
    if (isRadiological(view, rasToLps(ctx.crosshair.value)) !== ctx.settings.radiological) {
      vp.setCamera({ flipHorizontal: !vp.getCamera().flipHorizontal })
    }
  })
  if (render) ctx.engine.requestRender()
  redrawOverlays(ctx)
}
