/** Mouse handling on one view: crosshair placement and drag, window/level drag, slice scroll by
 *  the wheel, the cursor readout. (Pan and zoom are cornerstone tools: tools.ts.) */
import { readout } from '../display'
import { lpsToRas, type Vec3 } from '../geometry'
import { applyDisplay } from './apply-display'
import type { ViewerContext } from './context'
import { moveCrosshair, scroll } from './crosshair'
import type { ViewSlot } from './engine'

type Range = [number, number]

/** The world point (RAS mm) under the mouse in a view. */
function worldAt(ctx: ViewerContext, slot: ViewSlot, ev: MouseEvent): Vec3 | null {
  const vp = ctx.engine.viewport(slot.id)
  if (!vp) return null
  const rect = slot.element.getBoundingClientRect()
  return lpsToRas(vp.canvasToWorld([ev.clientX - rect.left, ev.clientY - rect.top]) as Vec3)
}

/** Horizontal drag widens / narrows the window, vertical drag moves its centre (image-viewer habit). */
function dragWindow([lo, hi]: Range, dx: number, dy: number): Range {
  const width = Math.max((hi - lo) * Math.exp(dx / 200), 1e-6)
  const centre = (lo + hi) / 2 - (dy / 200) * (hi - lo)
  return [centre - width / 2, centre + width / 2]
}

/** Binds the mouse on a view; the listeners go when the views are detached. */
export function bindPointer(ctx: ViewerContext, slot: ViewSlot): void {
  const { settings } = ctx
  const el = slot.element
  let drag: { x: number; y: number; mri: Range; pet: Range } | null = null
  const onDown = (ev: MouseEvent) => {
    if (ev.button !== 0) return
    if (settings.mode === 'crosshair') {
      const mm = worldAt(ctx, slot, ev)
      if (mm) moveCrosshair(ctx, mm)
      drag = { x: ev.clientX, y: ev.clientY, mri: [...settings.mriWindow], pet: [...settings.displayRange] }
    } else if (settings.mode === 'windowLevel') {
      drag = { x: ev.clientX, y: ev.clientY, mri: [...settings.mriWindow], pet: [...settings.displayRange] }
    }
  }
  const onMove = (ev: MouseEvent) => {
    const mm = worldAt(ctx, slot, ev)
    const subject = ctx.subject.value
    if (mm)
      ctx.cursor.value = {
        mm,
        smri: readout(subject?.smri ?? null, mm),
        pet: readout(subject?.pet ?? null, mm),
        attribution: readout(ctx.attribution.value?.volume ?? null, mm)
      }
    if (!drag || (ev.buttons & 1) === 0) {
      drag = null
      return
    }
    if (settings.mode === 'crosshair' && mm) moveCrosshair(ctx, mm)
    else if (settings.mode === 'windowLevel') {
      const [dx, dy] = [ev.clientX - drag.x, ev.clientY - drag.y]
      if (slot.kind === 'pet') settings.displayRange = dragWindow(drag.pet, dx, dy)
      else settings.mriWindow = dragWindow(drag.mri, dx, dy)
      applyDisplay(ctx)
    }
  }
  const onUp = () => {
    drag = null
  }
  const onWheel = (ev: WheelEvent) => {
    ev.preventDefault()
    if (ev.deltaY !== 0) scroll(ctx, slot.id, ev.deltaY > 0 ? -1 : 1)
  }
  const onLeave = () => {
    ctx.cursor.value = null
  }
  const listeners: [EventTarget, string, EventListener, AddEventListenerOptions?][] = [
    [el, 'mousedown', onDown as EventListener],
    [el, 'mousemove', onMove as EventListener],
    [window, 'mouseup', onUp],
    [el, 'wheel', onWheel as EventListener, { passive: false }],
    [el, 'mouseleave', onLeave],
    [el, 'contextmenu', preventDefault]
  ]
  for (const [target, type, fn, opts] of listeners) target.addEventListener(type, fn, opts)
  ctx.engine.onDetach(() => {
    for (const [target, type, fn] of listeners) target.removeEventListener(type, fn)
  })
}

function preventDefault(ev: Event): void {
  ev.preventDefault()
}
