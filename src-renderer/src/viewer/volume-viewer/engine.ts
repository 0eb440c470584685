/**
 * The viewer's one cornerstone RenderingEngine and its views: built on the layout's elements,
 * kept for as long as the viewer lives, torn down by `destroy`. It also schedules the views'
 * draws: the main panel (the first row) first, the others at the frame after. Not reactive: its
 * owner keeps it markRaw.
 */
import { Enums, RenderingEngine, type Types } from '@cornerstonejs/core'
import { markRaw } from 'vue'
import type { Modality } from '@contract/contracts/study'
import { overridePixelRatio } from '../render-scale'

export type Plane = 'axial' | 'coronal' | 'sagittal'
/** 'fused': sMRI with the PET overlay; 'smri' / 'pet': one modality alone. */
export type ViewKind = 'fused' | Modality
export interface ViewSlot {
  id: string
  kind: ViewKind
  plane: Plane
  element: HTMLDivElement
  overlay: HTMLCanvasElement
}

const orientationOf: Record<Plane, Enums.OrientationAxis> = {
  axial: Enums.OrientationAxis.AXIAL,
  coronal: Enums.OrientationAxis.CORONAL,
  sagittal: Enums.OrientationAxis.SAGITTAL
}

let engineCounter = 0

export class ViewerEngine {
  private engine: RenderingEngine | null = null
  /** The views shown, in layout order (empty while none are). */
  slots: ViewSlot[] = []
  /** Views of the main panel (the first row), drawn before the others. */
  private mainIds = new Set<string>()
  /** Views of the other panels waiting for the frame after the main panel's. */
  private readonly deferred = new Set<string>()
  /** Updates of those views' properties, done at that frame too. */
  private readonly deferredWork: (() => void)[] = []
  private deferredFrame: number | null = null
  /** Undoes what was bound to the current views (listeners, tool group), last bound first. */
  private readonly detachers: (() => void)[] = []

  /** Whether the engine exists (views were made and not destroyed since). */
  get live(): boolean {
    return this.engine !== null
  }

  get id(): string | undefined {
    return this.engine?.id
  }

  viewport(id: string): Types.IVolumeViewport | null {
    return (this.engine?.getViewport(id) as Types.IVolumeViewport | undefined) ?? null
  }

  isMain(id: string): boolean {
    return this.mainIds.has(id)
  }

  /**
   * Makes the views of `this.slots`. One engine for as long as the viewer lives: its WebGL context
   * holds the volumes' textures, and a volume uploaded to one context draws black in another (a
   * layout switch on a second engine showed nine black views). setViewports replaces the views and
   * keeps the context. vtk creates the context when the engine is made or, at the latest, at its
   * first views.
   */
  createViews(): void {
    const existing = this.engine
    const created = withoutMultisampling(() => {
      const e = existing ?? new RenderingEngine(`tcgm-viewer-${++engineCounter}`)
      e.setViewports(
        this.slots.map((s) => ({
          viewportId: s.id,
          element: s.element,
          type: Enums.ViewportType.ORTHOGRAPHIC,
          defaultOptions: { orientation: orientationOf[s.plane], background: [0, 0, 0] as Types.Point3 }
        }))
      )
      return e
    })
    this.engine = markRaw(created)
    this.mainIds = new Set(this.slots.filter((s) => s.kind === this.slots[0].kind).map((s) => s.id))
  }

  /** Draws these views at cornerstone's next frame, whichever panel they are in. */
  renderNow(ids: string[]): void {
    this.engine?.renderViewports(ids)
  }

  /** Redraws every view at its elements' new size. */
  resize(): void {
    this.engine?.resize(true, true)
  }

  /** Registers the undoing of something bound to the current views (run by detachViews). */
  onDetach(undo: () => void): void {
    this.detachers.push(undo)
  }

  /**
   * Runs `update` on every view: now for the main panel's, with the deferred draw of the others
   * (see requestRender) for theirs. Cornerstone flags a view for drawing whenever some of its
   * properties change (a flip, for one), so an update done now on every view would draw them all
   * in one frame. Callers then call requestRender.
   */
  updateViews(update: (slot: ViewSlot) => void): void {
    for (const slot of this.slots) {
      if (this.mainIds.has(slot.id)) update(slot)
      else this.deferredWork.push(() => update(slot))
    }
  }

  /**
   * Draws these views (every view when omitted) at the next frames: the main panel's first, the
   * others at the frame after, so the panel one works in shows the change as early as it can (in
   * one frame, cornerstone draws every view flagged for it and announces them only when all are
   * drawn). Views flagged again before their frame are drawn once.
   */
  requestRender(ids: readonly string[] = this.slots.map((s) => s.id)): void {
    if (!this.engine) return
    const main = ids.filter((id) => this.mainIds.has(id))
    for (const id of ids) if (!this.mainIds.has(id)) this.deferred.add(id)
    if (main.length === 0) {
      this.flushDeferred()
      return
    }
    // Flagging the main panel's views registers cornerstone's frame callback (if it was not
    // already), before the one registered below: in that frame the main panel is drawn first.
    this.engine.renderViewports(main)
    if (this.deferredFrame === null && (this.deferred.size > 0 || this.deferredWork.length > 0)) {
      this.deferredFrame = requestAnimationFrame(() => {
        this.deferredFrame = null
        this.flushDeferred()
      })
    }
  }

  /** Applies the deferred updates and flags the deferred views (drawn at cornerstone's next frame). */
  private flushDeferred(): void {
    for (const work of this.deferredWork.splice(0)) work()
    const later = [...this.deferred]
    this.deferred.clear()
    if (later.length > 0) this.engine?.renderViewports(later)
  }

  /** Drops the views' listeners, tools and pending draws; the engine (and its context) stays. */
  detachViews(): void {
    if (this.deferredFrame !== null) cancelAnimationFrame(this.deferredFrame)
    this.deferredFrame = null
    this.deferred.clear()
    this.deferredWork.length = 0
    while (this.detachers.length) this.detachers.pop()!()
    this.slots = []
  }

  destroy(): void {
    this.detachViews()
    this.engine?.destroy()
    this.engine = null
    // Back to the browser's ratio while no views exist (attach() sets it again).
    overridePixelRatio(null)
  }
}

/**
 * Runs `create` (which makes the engine's WebGL context) with WebGL contexts created without
 * multisampling. vtk asks for its context with the browser's default, antialias on; slice views
 * draw one screen-filling quad, so multisampling smooths nothing but the image's outer edge, and
 * in software GL (SwiftShader) it costs about a quarter of each draw. Neither cornerstone nor vtk
 * takes context attributes, so getContext is wrapped for the duration of this synchronous call
 * only, and restored after it.
 */
function withoutMultisampling<T>(create: () => T): T {
  const proto = HTMLCanvasElement.prototype
  const original = proto.getContext
  const wrapped = function (this: HTMLCanvasElement, type: string, options?: Record<string, unknown>) {
    const gl = type === 'webgl2' || type === 'webgl' || type === 'experimental-webgl'
    return original.call(this, type, gl ? { ...options, antialias: false } : options)
  }
  proto.getContext = wrapped as typeof proto.getContext
  try {
    return create()
  } finally {
    proto.getContext = original
  }
}
