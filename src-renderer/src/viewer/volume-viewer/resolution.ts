/** The resolution the views render at (render-scale.ts decides it) and how their canvases are
 *  scaled up to their elements. */
import { getConfiguration } from '@cornerstonejs/core'
import { detectRenderer, fieldOfPlane, overridePixelRatio, realDevicePixelRatio, renderPixelRatio } from '../render-scale'
import type { ViewerContext } from './context'

/**
 * Sets the pixel ratio the views render at (cornerstone reads window.devicePixelRatio when it
 * sizes the canvases and when it maps coordinates, so this is done before it sizes them: before
 * the engine is made, before a resize). A hardware renderer keeps the display's ratio and no
 * override; a software one gets about 2 device pixels per voxel of each view's fitted slice.
 */
export function applyRenderScale(ctx: ViewerContext): void {
  const { renderer, software } = detectRenderer()
  if (!software) overridePixelRatio(null)
  const deviceRatio = realDevicePixelRatio()
  const grid = ctx.subject.value?.smri ?? ctx.subject.value?.pet
  const fieldMargin = getConfiguration().rendering?.useLegacyCameraFOV ? 1.1 : 1
  const views = grid ? ctx.engine.slots.map((s) => fieldOfPlane(s.plane, grid.dims, grid.affine, s.element.clientWidth, s.element.clientHeight)) : []
  const wanted = renderPixelRatio({ devicePixelRatio: deviceRatio, software, views, fieldMargin })
  const ratio = software ? overridePixelRatio(wanted < deviceRatio ? wanted : null) : deviceRatio
  const current = ctx.renderScale.value
  if (current?.ratio !== ratio || current.deviceRatio !== deviceRatio) {
    ctx.renderScale.value = { ratio, deviceRatio, renderer, software }
  }
}

/**
 * A backing store smaller than the element is scaled up by the browser; cornerstone asks for
 * 'pixelated' (nearest neighbour), which at a non-integer factor makes uneven pixel rows:
 * bilinear scaling instead, only where the views render below the display's ratio.
 */
export function smoothUpscaling(ctx: ViewerContext): void {
  const scale = ctx.renderScale.value
  const scaled = scale !== null && scale.ratio < scale.deviceRatio
  for (const slot of ctx.engine.slots) {
    const canvas = slot.element.querySelector<HTMLCanvasElement>('canvas.cornerstone-canvas')
    if (canvas) canvas.style.imageRendering = scaled ? 'auto' : 'pixelated'
  }
}

/** Asking for the WebGL renderer makes a throwaway context (20-40 ms under SwiftShader, once per
 *  page): done while the browser is idle, typically while the subject's volumes are on their
 *  way; attach() asks (synchronously) if it has not happened by then. */
export function detectRendererWhenIdle(): void {
  const idle = (window as { requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number }).requestIdleCallback
  if (idle) idle(() => detectRenderer(), { timeout: 500 })
  else setTimeout(() => detectRenderer(), 0)
}
