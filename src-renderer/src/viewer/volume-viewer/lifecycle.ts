/** The viewer's life: a subject's volumes loaded, the views built on a layout (and rebuilt when
 *  it or the attribution map changes), reset, resized, torn down. */
import { Enums } from '@cornerstonejs/core'
import { markRaw } from 'vue'
import type { AttributionMap, ViewerSubject } from '@contract/contracts/viewer'
import { defaultAttributionDisplay } from '../attribution'
import { defaultDisplay, initialCrosshair } from '../display'
import { ensureCornerstone, releaseVolume } from '../payload-loader'
import { applyDisplay, applyOrientation } from './apply-display'
import type { ViewerContext } from './context'
import { moveCrosshair } from './crosshair'
import type { ViewSlot } from './engine'
import { drawSlotOverlay, redrawOverlays } from './overlays'
import { bindPointer } from './pointer'
import { applyRenderScale, smoothUpscaling } from './resolution'

/** Loads a subject's volumes into cornerstone's cache (replacing the previous subject's). */
export async function loadSubject(ctx: ViewerContext, data: ViewerSubject): Promise<void> {
  const { settings } = ctx
  ctx.loadStartedAt = performance.now()
  ctx.firstRenderMs.value = null
  ensureCornerstone()
  ctx.volumes.releaseAll()
  ctx.attribution.value = null
  ctx.subject.value = markRaw(data)
  Object.assign(settings, defaultDisplay(data.smri, data.pet), { mode: settings.mode, radiological: settings.radiological, colormap: settings.colormap })
  ctx.crosshair.value = initialCrosshair(data)
  await ctx.volumes.loadSubject(data)
}

/** (Re)builds the views on these elements; call after load() and whenever the layout changes. */
export async function attachViews(ctx: ViewerContext, newSlots: ViewSlot[]): Promise<void> {
  const { engine } = ctx
  const started = ctx.loadStartedAt ?? performance.now()
  ctx.loadStartedAt = null
  ctx.firstRenderMs.value = null
  ctx.mainPanelMs.value = null
  engine.detachViews()
  engine.slots = newSlots.filter((s) => ctx.volumes.hasVolumeFor(s.kind))
  if (engine.slots.length === 0) {
    engine.destroy()
    return
  }
  // Before the views exist: cornerstone sizes the canvases when it makes them.
  applyRenderScale(ctx)
  engine.createViews()
  smoothUpscaling(ctx)
  ctx.tools.setUp(engine, ctx.settings.mode)
  for (const slot of engine.slots) bindPointer(ctx, slot)
  const mapModality = ctx.attribution.value?.modality ?? null
  await Promise.all(engine.slots.map((slot) => ctx.volumes.showOn(engine.viewport(slot.id)!, slot.kind, mapModality)))
  // The first draw in a fresh WebGL context comes out blank under SwiftShader, whichever view it
  // is (seen in the e2e test and the benchmark; the next draw of that view is right). So one
  // view is drawn first, uncounted, before the settings are applied: one extra draw, where
  // drawing every view twice would double the first render.
  engine.renderNow([engine.slots[0].id])
  await new Promise((resolve) => requestAnimationFrame(resolve))
  if (!engine.live) return
  countFirstRenders(ctx, engine.slots, started)
  applyDisplay(ctx, false)
  applyOrientation(ctx, false)
  moveCrosshair(ctx, ctx.crosshair.value, false)
  engine.requestRender()
}

/** From here on, each view's draw redraws its overlay and is counted; the first draw of the
 *  main panel and of every view set mainPanelMs and firstRenderMs (ms since `started`). */
function countFirstRenders(ctx: ViewerContext, slots: readonly ViewSlot[], started: number): void {
  const pending = new Set(slots.map((s) => s.id))
  const mainPending = new Set(slots.filter((s) => ctx.engine.isMain(s.id)).map((s) => s.id))
  for (const slot of slots) {
    const onRendered = () => {
      drawSlotOverlay(ctx, slot)
      ctx.renderCount.value++
      if (mainPending.delete(slot.id) && mainPending.size === 0) ctx.mainPanelMs.value = performance.now() - started
      if (pending.delete(slot.id) && pending.size === 0) ctx.firstRenderMs.value = performance.now() - started
    }
    slot.element.addEventListener(Enums.Events.IMAGE_RENDERED, onRendered)
    ctx.engine.onDetach(() => slot.element.removeEventListener(Enums.Events.IMAGE_RENDERED, onRendered))
  }
}

/**
 * Shows an attribution map (a third volume on the same grid) over the fused views and its
 * modality's own views, or removes it (null). The views are rebuilt on the same engine.
 */
export async function showAttribution(ctx: ViewerContext, map: AttributionMap | null): Promise<void> {
  if (map === ctx.attribution.value) return
  const { volumes, attributionDisplay } = ctx
  const previous = volumes.ids.attribution
  volumes.ids.attribution = null
  ctx.attribution.value = map ? markRaw(map) : null
  if (map) {
    Object.assign(attributionDisplay, defaultAttributionDisplay(map.maxAbs), { opacity: attributionDisplay.opacity })
    await volumes.loadAttribution(map)
  }
  // The volumes of a view are set together (setVolumes), as attach() does: rebuild on the same
  // engine and WebGL context.
  if (ctx.engine.live && ctx.engine.slots.length) await attachViews(ctx, [...ctx.engine.slots])
  if (previous) releaseVolume(previous)
}

/** Zoom, pan and display back to their defaults; the crosshair stays. */
export function resetViews(ctx: ViewerContext): void {
  const { settings } = ctx
  const data = ctx.subject.value
  if (!data) return
  const keep = { mode: settings.mode, radiological: settings.radiological, colormap: settings.colormap, showBoxes: settings.showBoxes }
  Object.assign(settings, defaultDisplay(data.smri, data.pet), keep)
  for (const slot of ctx.engine.slots) ctx.engine.viewport(slot.id)?.resetCamera()
  applyDisplay(ctx, false)
  applyOrientation(ctx, false)
  moveCrosshair(ctx, ctx.crosshair.value, false)
  ctx.engine.requestRender()
}

/** Call when the views' elements changed size. */
export function resizeViews(ctx: ViewerContext): void {
  if (!ctx.engine.live) return
  applyRenderScale(ctx)
  smoothUpscaling(ctx)
  ctx.engine.resize()
  redrawOverlays(ctx)
}

export function disposeViewer(ctx: ViewerContext): void {
  ctx.engine.destroy()
  ctx.volumes.releaseAll()
  ctx.subject.value = null
  ctx.attribution.value = null
}
