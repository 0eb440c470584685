/**
 * The viewer's engine room: one cornerstone RenderingEngine for every view of the subject
 * (the fused sMRI + PET panel and each modality alone), one shared crosshair in world space,
 * display settings applied to every view, pointer handling, and teardown when the owning
 * component's scope ends.
 *
 * The engine, volumes and payloads stay out of Vue's reactivity (markRaw objects, shallowRef);
 * only small values (crosshair, cursor readout, settings, timings) are reactive. The parts live
 * in volume-viewer/: the engine and its views with their draw scheduling (engine.ts), the
 * volumes (volumes.ts), the tools and the mouse (tools.ts, pointer.ts), the crosshair and the
 * slices that follow it (crosshair.ts), the display settings (apply-display.ts), the overlays
 * (overlays.ts), the render resolution (resolution.ts), and load / attach / teardown
 * (lifecycle.ts), all sharing one ViewerContext (context.ts).
 */
import { onScopeDispose } from 'vue'
import type { AttributionMap, ViewerSubject } from '@contract/contracts/viewer'
import type { PointerMode } from './display'
import type { Vec3 } from './geometry'
import { applyDisplay, applyOrientation } from './volume-viewer/apply-display'
import { createViewerContext } from './volume-viewer/context'
import { moveCrosshair, scroll } from './volume-viewer/crosshair'
import type { ViewSlot } from './volume-viewer/engine'
import { attachViews, disposeViewer, loadSubject, resetViews, resizeViews, showAttribution } from './volume-viewer/lifecycle'
import { detectRendererWhenIdle } from './volume-viewer/resolution'

export type { Plane, ViewKind, ViewSlot } from './volume-viewer/engine'
export type { RenderScale } from './volume-viewer/context'

export function useVolumeViewer() {
  const ctx = createViewerContext()
  detectRendererWhenIdle()
  const dispose = () => disposeViewer(ctx)
  onScopeDispose(dispose)
  const { subject, crosshair, cursor, settings, attribution, attributionDisplay, firstRenderMs, mainPanelMs, renderCount, renderScale } = ctx
  return {
    subject,
    crosshair,
    cursor,
    settings,
    attribution,
    attributionDisplay,
    setAttribution: (map: AttributionMap | null): Promise<void> => showAttribution(ctx, map),
    firstRenderMs,
    mainPanelMs,
    renderCount,
    renderScale,
    load: (data: ViewerSubject): Promise<void> => loadSubject(ctx, data),
    attach: (slots: ViewSlot[]): Promise<void> => attachViews(ctx, slots),
    applyDisplay: (render = true): void => applyDisplay(ctx, render),
    moveCrosshair: (mm: Vec3, render = true): void => moveCrosshair(ctx, mm, render),
    scroll: (slotId: string, steps: number): void => scroll(ctx, slotId, steps),
    reset: (): void => resetViews(ctx),
    resize: (): void => resizeViews(ctx),
    setMode: (mode: PointerMode): void => {
      settings.mode = mode
      ctx.tools.applyBindings(mode)
    },
    setRadiological: (on: boolean): void => {
      settings.radiological = on
      applyOrientation(ctx)
    },
    dispose
  }
}
