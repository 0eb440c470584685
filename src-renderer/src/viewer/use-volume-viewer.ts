/**
 * The viewer's engine room: one cornerstone RenderingEngine for every view of the subject
 * (the fused sMRI + PET panel and each modality alone), one shared crosshair in world space,
 * display settings applied to every view, pointer handling, and teardown when the owning
 * component's scope ends.
 *
 * The engine, volumes and payloads stay out of Vue's reactivity (plain variables, shallowRef,
 * markRaw); only small values (crosshair, cursor readout, settings, timings) are reactive.
 */
import { CONSTANTS, Enums, RenderingEngine, getConfiguration, volumeLoader, type Types } from '@cornerstonejs/core'
import { Enums as ToolEnums, PanTool, ToolGroupManager, ZoomTool } from '@cornerstonejs/tools'
import { markRaw, onScopeDispose, reactive, ref, shallowRef } from 'vue'
import type { AttributionMap, HippocampalBox, ViewerSubject } from '@contract/contracts/viewer'
import { attributionColormap } from './colormaps'
import { attributionOpacityPoints, defaultAttributionDisplay, showsAttribution, type AttributionDisplay } from './attribution'
import { lpsToRas, rasToLps, sliceShift, type Vec3 } from './geometry'
import { defaultDisplay, initialCrosshair, readout, snapToVoxel, type CursorReadout, type DisplaySettings, type PointerMode } from './display'
import { defaultOverlayStyle, drawOverlay, isRadiological, type SliceView } from './overlay'
import { ensureCornerstone, newVolumeId, releaseVolume, stagePayload } from './payload-loader'
import { detectRenderer, fieldOfPlane, overridePixelRatio, realDevicePixelRatio, renderPixelRatio } from './render-scale'
import type { Modality } from '@contract/contracts/study'

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
let toolGroupCounter = 0

/** The resolution the views render at (see render-scale.ts). */
export interface RenderScale {
  /** Device pixels per CSS pixel of the views' backing stores. */
  ratio: number
  /** The display's own ratio. */
  deviceRatio: number
  /** The WebGL renderer string ('' when unknown). */
  renderer: string
  software: boolean
}

export function useVolumeViewer() {
  const subject = shallowRef<ViewerSubject | null>(null)
  const crosshair = ref<Vec3>([0, 0, 0])
  const cursor = shallowRef<CursorReadout | null>(null)
  const settings = reactive<DisplaySettings>(defaultDisplay(null, null))
  /** Display of the attribution map (a third volume over the fused views and its modality's own). */
  const attributionDisplay = reactive<AttributionDisplay>(defaultAttributionDisplay(1))
  /** The map shown, null when none. */
  const attribution = shallowRef<AttributionMap | null>(null)
  /** ms from the start of load() (or of attach() when only the layout changed) until every view
   *  has drawn once; null before. */
  const firstRenderMs = ref<number | null>(null)
  /** ms from the same start until the main panel (the first row: the fused views, or the sMRI
   *  ones in 'compare') has drawn; null before. The other panels follow a frame later. */
  const mainPanelMs = ref<number | null>(null)
  /** Number of slice renders so far (any view); tests and the benchmark wait on it. */
  const renderCount = ref(0)
  /** The views' render resolution; null before the first attach(). */
  const renderScale = shallowRef<RenderScale | null>(null)

  // Asking for the WebGL renderer makes a throwaway context (20-40 ms under SwiftShader, once per
  // page): done while the browser is idle, typically while the subject's volumes are on their way;
  // attach() asks (synchronously) if it has not happened by then.
  const idle = (window as { requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number }).requestIdleCallback
  if (idle) idle(() => detectRenderer(), { timeout: 500 })
  else setTimeout(() => detectRenderer(), 0)

  let engine: RenderingEngine | null = null
  let toolGroupId: string | null = null
  let slots: ViewSlot[] = []
  /** Views of the main panel (the first row), drawn before the others. */
  let mainIds = new Set<string>()
  /** Views of the other panels waiting for the frame after the main panel's. */
  const deferred = new Set<string>()
  /** Updates of those views' properties, done at that frame too. */
  const deferredWork: (() => void)[] = []
  let deferredFrame: number | null = null
  const volumeIds: { smri: string | null; pet: string | null; attribution: string | null } = { smri: null, pet: null, attribution: null }
  const detachers: (() => void)[] = []
  let loadStartedAt: number | null = null

  function viewport(id: string): Types.IVolumeViewport | null {
    return (engine?.getViewport(id) as Types.IVolumeViewport | undefined) ?? null
  }

  function sliceView(vp: Types.IVolumeViewport, element: HTMLElement): SliceView {
    const cam = vp.getCamera()
    return {
      toCanvas: (p) => vp.worldToCanvas(p) as [number, number],
      normal: cam.viewPlaneNormal as Vec3,
      focalPoint: cam.focalPoint as Vec3,
      width: element.clientWidth,
      height: element.clientHeight
    }
  }

  function drawSlotOverlay(slot: ViewSlot): void {
    const vp = viewport(slot.id)
    if (!vp) return
    const w = slot.element.clientWidth
    const h = slot.element.clientHeight
    // The display's own ratio: the overlay's lines stay sharp whatever the views render at.
    const dpr = realDevicePixelRatio()
    if (slot.overlay.width !== Math.round(w * dpr) || slot.overlay.height !== Math.round(h * dpr)) {
      slot.overlay.width = Math.round(w * dpr)
      slot.overlay.height = Math.round(h * dpr)
    }
    const ctx = slot.overlay.getContext('2d')
    if (!ctx) return
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    const boxes: readonly HippocampalBox[] = subject.value?.boxes ?? []
    drawOverlay(ctx, sliceView(vp, slot.element), rasToLps(crosshair.value), boxes, { ...defaultOverlayStyle, showBoxes: settings.showBoxes })
  }

  function redrawOverlays(): void {
    for (const slot of slots) drawSlotOverlay(slot)
  }

  /** Loads a subject's volumes into cornerstone's cache (replacing the previous subject's). */
  async function load(data: ViewerSubject): Promise<void> {
    loadStartedAt = performance.now()
    firstRenderMs.value = null
    ensureCornerstone()
    releaseVolumes()
    attribution.value = null
    subject.value = markRaw(data)
    Object.assign(settings, defaultDisplay(data.smri, data.pet), { mode: settings.mode, radiological: settings.radiological, colormap: settings.colormap })
    crosshair.value = initialCrosshair(data)
    for (const modality of ['smri', 'pet'] as const) {
      const payload = data[modality]
      if (!payload) continue
      const id = newVolumeId(`${data.subject}-${modality}`)
      stagePayload(id, payload)
      await volumeLoader.createAndCacheVolume(id)
      volumeIds[modality] = id
    }
  }

  /** (Re)builds the views on these elements; call after load() and whenever the layout changes. */
  async function attach(newSlots: ViewSlot[]): Promise<void> {
    const started = loadStartedAt ?? performance.now()
    loadStartedAt = null
    firstRenderMs.value = null
    mainPanelMs.value = null
    detachViews()
    slots = newSlots.filter((s) => (s.kind === 'smri' ? volumeIds.smri : s.kind === 'pet' ? volumeIds.pet : volumeIds.smri || volumeIds.pet))
    if (slots.length === 0) {
      destroyEngine()
      return
    }
    // Before the views exist: cornerstone sizes the canvases when it makes them.
    applyRenderScale()
    // One engine for as long as the viewer lives: its WebGL context holds the volumes' textures,
    // and a volume uploaded to one context draws black in another (a layout switch on a second
    // engine showed nine black views). setViewports replaces the views and keeps the context.
    // vtk creates the context when the engine is made or, at the latest, at its first views.
    const existing = engine
    const created = withoutMultisampling(() => {
      const e = existing ?? new RenderingEngine(`tcgm-viewer-${++engineCounter}`)
      e.setViewports(
        slots.map((s) => ({
          viewportId: s.id,
          element: s.element,
          type: Enums.ViewportType.ORTHOGRAPHIC,
          defaultOptions: { orientation: orientationOf[s.plane], background: [0, 0, 0] as Types.Point3 }
        }))
      )
      return e
    })
    engine = markRaw(created)
    smoothUpscaling()
    mainIds = new Set(slots.filter((s) => s.kind === slots[0].kind).map((s) => s.id))
    setUpTools()
    for (const slot of slots) bindPointer(slot)
    await Promise.all(
      slots.map(async (slot) => {
        const vp = viewport(slot.id)!
        const inputs: Types.IVolumeInput[] = []
        if (slot.kind !== 'pet' && volumeIds.smri) inputs.push({ volumeId: volumeIds.smri })
        if (slot.kind !== 'smri' && volumeIds.pet) inputs.push({ volumeId: volumeIds.pet })
        const withMap = volumeIds.attribution && showsAttribution(slot.kind, attribution.value?.modality ?? null)
        if (withMap) inputs.push({ volumeId: volumeIds.attribution! })
        await vp.setVolumes(inputs)
        if (volumeIds.pet) makeOpacityLiteral(vp, volumeIds.pet)
        if (withMap) makeOpacityLiteral(vp, volumeIds.attribution!)
      })
    )
    // The first draw in a fresh WebGL context comes out blank under SwiftShader, whichever view it
    // is (seen in the e2e test and the benchmark; the next draw of that view is right). So one
    // view is drawn first, uncounted, before the settings are applied: one extra draw, where
    // drawing every view twice would double the first render.
    engine.renderViewports([slots[0].id])
    await new Promise((resolve) => requestAnimationFrame(resolve))
    if (!engine) return
    // Count renders from here: frames drawn before show an unfinished state.
    const pending = new Set(slots.map((s) => s.id))
    const mainPending = new Set(mainIds)
    for (const slot of slots) {
      const onRendered = () => {
        drawSlotOverlay(slot)
        renderCount.value++
        if (mainPending.delete(slot.id) && mainPending.size === 0) mainPanelMs.value = performance.now() - started
        if (pending.delete(slot.id) && pending.size === 0) firstRenderMs.value = performance.now() - started
      }
      slot.element.addEventListener(Enums.Events.IMAGE_RENDERED, onRendered)
      detachers.push(() => slot.element.removeEventListener(Enums.Events.IMAGE_RENDERED, onRendered))
    }
    applyDisplay(false)
    applyOrientation(false)
    moveCrosshair(crosshair.value, false)
    requestRender()
  }

  /**
   * Runs `update` on every view: now for the main panel's, with the deferred draw of the others
   * (see requestRender) for theirs. Cornerstone flags a view for drawing whenever some of its
   * properties change (a flip, for one), so an update done now on every view would draw them all
   * in one frame. Callers then call requestRender.
   */
  function updateViews(update: (slot: ViewSlot) => void): void {
    for (const slot of slots) {
      if (mainIds.has(slot.id)) update(slot)
      else deferredWork.push(() => update(slot))
    }
  }

  /**
   * Draws these views (every view when omitted) at the next frames: the main panel's first, the
   * others at the frame after, so the panel one works in shows the change as early as it can (in
   * one frame, cornerstone draws every view flagged for it and announces them only when all are
   * drawn). Views flagged again before their frame are drawn once.
   */
  function requestRender(ids: readonly string[] = slots.map((s) => s.id)): void {
    if (!engine) return
    const main = ids.filter((id) => mainIds.has(id))
    for (const id of ids) if (!mainIds.has(id)) deferred.add(id)
    if (main.length === 0) {
      flushDeferred()
      return
    }
    // Flagging the main panel's views registers cornerstone's frame callback (if it was not
    // already), before the one registered below: in that frame the main panel is drawn first.
    engine.renderViewports(main)
    if (deferredFrame === null && (deferred.size > 0 || deferredWork.length > 0)) {
      deferredFrame = requestAnimationFrame(() => {
        deferredFrame = null
        flushDeferred()
      })
    }
  }

  /** Applies the deferred updates and flags the deferred views (drawn at cornerstone's next frame). */
  function flushDeferred(): void {
    for (const work of deferredWork.splice(0)) work()
    const later = [...deferred]
    deferred.clear()
    if (later.length > 0) engine?.renderViewports(later)
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

  function setUpTools(): void {
    toolGroupId = `tcgm-viewer-tools-${++toolGroupCounter}`
    const group = ToolGroupManager.createToolGroup(toolGroupId)
    if (!group || !engine) return
    // Pan and zoom draw nothing of their own, but the tool group redraws all its views whenever
    // a binding changes (9 software-GL draws for a mouse-mode switch): skip that. Private to
    // cornerstone; if the method goes away, this only stops saving the draws.
    ;(group as unknown as { _renderViewports?: () => void })._renderViewports = () => undefined
    group.addTool(PanTool.toolName)
    group.addTool(ZoomTool.toolName)
    applyToolBindings()
    for (const s of slots) group.addViewport(s.id, engine.id)
  }

  function applyToolBindings(): void {
    const group = toolGroupId ? ToolGroupManager.getToolGroup(toolGroupId) : undefined
    if (!group) return
    const { Primary, Auxiliary, Secondary } = ToolEnums.MouseBindings
    const bind = (tool: string, always: number, primaryMode: PointerMode) => {
      group.setToolPassive(tool, { removeAllBindings: true })
      const bindings = [{ mouseButton: always }]
      if (settings.mode === primaryMode) bindings.push({ mouseButton: Primary })
      group.setToolActive(tool, { bindings })
    }
    bind(PanTool.toolName, Auxiliary, 'pan')
    bind(ZoomTool.toolName, Secondary, 'zoom')
  }

  /** Pushes the display settings to every view. */
  function applyDisplay(render = true): void {
    if (!engine) return
    // Each view's change is applied when it is due to be drawn (the main panel first).
    updateViews((slot) => {
      const vp = viewport(slot.id)
      if (!vp) return
      if (slot.kind !== 'pet' && volumeIds.smri) {
        vp.setProperties({ voiRange: { lower: settings.mriWindow[0], upper: settings.mriWindow[1] } }, volumeIds.smri)
      }
      if (slot.kind !== 'smri' && volumeIds.pet) {
        const [lower, upper] = settings.displayRange
        // cornerstone clamps the threshold into the data range, which would leave the maximum
        // voxel drawn: above every value, draw nothing.
        const petMax = subject.value?.pet?.max ?? Infinity
        const opacity = settings.threshold > petMax ? 0 : slot.kind === 'pet' ? 1 : settings.opacity
        vp.setProperties(
          {
            colormap: { name: settings.colormap, opacity, threshold: settings.threshold },
            voiRange: { lower, upper: Math.max(upper, lower + 1e-6) }
          },
          volumeIds.pet
        )
      }
      if (volumeIds.attribution && showsAttribution(slot.kind, attribution.value?.modality ?? null)) applyAttributionDisplay(vp, volumeIds.attribution)
    })
    if (render) requestRender()
    redrawOverlays()
  }

  /**
   * The attribution's colours over [-range, range] and its opacity function, transparent for
   * |value| below the threshold on both sides (cornerstone's colormap threshold is one-sided, so
   * the actor's scalar opacity function is written here, after the colormap).
   */
  function applyAttributionDisplay(vp: Types.IVolumeViewport, volumeId: string): void {
    const r = Math.max(attributionDisplay.range, 1e-9)
    vp.setProperties({ colormap: { name: attributionColormap.id }, voiRange: { lower: -r, upper: r } }, volumeId)
    for (const entry of vp.getActors()) {
      if (entry.referencedId !== volumeId) continue
      const property = (entry.actor as Types.VolumeActor).getProperty()
      const ofun = property.getScalarOpacity(0)
      ofun.removeAllPoints()
      for (const [x, y] of attributionOpacityPoints(attributionDisplay)) ofun.addPoint(x, y)
      property.setScalarOpacity(0, ofun)
    }
  }

  /**
   * Shows an attribution map (a third volume on the same grid) over the fused views and its
   * modality's own views, or removes it (null). The views are rebuilt on the same engine.
   */
  async function setAttribution(map: AttributionMap | null): Promise<void> {
    if (map === attribution.value) return
    const previous = volumeIds.attribution
    volumeIds.attribution = null
    attribution.value = map ? markRaw(map) : null
    if (map) {
      Object.assign(attributionDisplay, defaultAttributionDisplay(map.maxAbs), { opacity: attributionDisplay.opacity })
      const id = newVolumeId(`${map.subject}-attribution-${map.modality}`)
      stagePayload(id, map.volume)
      await volumeLoader.createAndCacheVolume(id)
      volumeIds.attribution = id
    }
    // The volumes of a view are set together (setVolumes), as attach() does: rebuild on the same
    // engine and WebGL context.
    if (engine && slots.length) await attach([...slots])
    if (previous) releaseVolume(previous)
  }

  /** Flips axial and coronal views horizontally where they disagree with the L/R setting. */
  function applyOrientation(render = true): void {
    // A flip makes cornerstone flag the view for drawing: flip each view when it is due (main first).
    updateViews((slot) => {
      if (slot.plane === 'sagittal') return
      const vp = viewport(slot.id)
      if (!vp) return
      const view = sliceView(vp, slot.element)
      if (isRadiological(view, rasToLps(crosshair.value)) !== settings.radiological) {
        vp.setCamera({ flipHorizontal: !vp.getCamera().flipHorizontal })
      }
    })
    if (render) requestRender()
    redrawOverlays()
  }

  /** Moves the shared crosshair (RAS mm, snapped to the reference grid) and every view's slice to it. */
  function moveCrosshair(mm: Vec3, render = true): void {
    const ref = subject.value?.smri ?? subject.value?.pet
    crosshair.value = ref ? snapToVoxel(ref, mm) : mm
    const lps = rasToLps(crosshair.value)
    // Only the views whose slice changed are drawn again; the others only need their overlay.
    const moved = slots.filter((slot) => slideTo(slot.id, lps)).map((slot) => slot.id)
    if (render) requestRender(moved)
    redrawOverlays()
  }

  /** Moves a view's slice through `lps` (LPS mm) without drawing it; false when it already was. */
  function slideTo(id: string, lps: Vec3): boolean {
    const vp = viewport(id)
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
  function scroll(slotId: string, steps: number): void {
    const vp = viewport(slotId)
    const ref = subject.value?.smri ?? subject.value?.pet
    if (!vp || !ref) return
    const n = vp.getCamera().viewPlaneNormal as Vec3
    const nRas = lpsToRas(n)
    // One voxel along the normal: the grid's spacing along the axis closest to the normal.
    const axis = [0, 1, 2].reduce((best, a) => (Math.abs(nRas[a]) > Math.abs(nRas[best]) ? a : best), 0)
    const step = Math.abs(ref.affine[axis][0]) + Math.abs(ref.affine[axis][1]) + Math.abs(ref.affine[axis][2])
    const p = crosshair.value
    moveCrosshair([p[0] + nRas[0] * step * steps, p[1] + nRas[1] * step * steps, p[2] + nRas[2] * step * steps])
  }

  function worldAt(slot: ViewSlot, ev: MouseEvent): Vec3 | null {
    const vp = viewport(slot.id)
    if (!vp) return null
    const rect = slot.element.getBoundingClientRect()
    return lpsToRas(vp.canvasToWorld([ev.clientX - rect.left, ev.clientY - rect.top]) as Vec3)
  }

  function bindPointer(slot: ViewSlot): void {
    const el = slot.element
    let drag: { x: number; y: number; mri: [number, number]; pet: [number, number] } | null = null
    const onDown = (ev: MouseEvent) => {
      if (ev.button !== 0) return
      if (settings.mode === 'crosshair') {
        const mm = worldAt(slot, ev)
        if (mm) moveCrosshair(mm)
        drag = { x: ev.clientX, y: ev.clientY, mri: [...settings.mriWindow], pet: [...settings.displayRange] }
      } else if (settings.mode === 'windowLevel') {
        drag = { x: ev.clientX, y: ev.clientY, mri: [...settings.mriWindow], pet: [...settings.displayRange] }
      }
    }
    const onMove = (ev: MouseEvent) => {
      const mm = worldAt(slot, ev)
      if (mm) cursor.value = { mm, smri: readout(subject.value?.smri ?? null, mm), pet: readout(subject.value?.pet ?? null, mm), attribution: readout(attribution.value?.volume ?? null, mm) }
      if (!drag || (ev.buttons & 1) === 0) {
        drag = null
        return
      }
      if (settings.mode === 'crosshair' && mm) moveCrosshair(mm)
      else if (settings.mode === 'windowLevel') {
        // Horizontal drag widens / narrows the window, vertical drag moves its centre (image-viewer habit).
        const dx = ev.clientX - drag.x
        const dy = ev.clientY - drag.y
        const adjust = ([lo, hi]: [number, number]): [number, number] => {
          const width = Math.max((hi - lo) * Math.exp(dx / 200), 1e-6)
          const centre = (lo + hi) / 2 - (dy / 200) * (hi - lo)
          return [centre - width / 2, centre + width / 2]
        }
        if (slot.kind === 'pet') settings.displayRange = adjust(drag.pet)
        else settings.mriWindow = adjust(drag.mri)
        applyDisplay()
      }
    }
    const onUp = () => {
      drag = null
    }
    const onWheel = (ev: WheelEvent) => {
      ev.preventDefault()
      if (ev.deltaY !== 0) scroll(slot.id, ev.deltaY > 0 ? -1 : 1)
    }
    const onLeave = () => {
      cursor.value = null
    }
    el.addEventListener('mousedown', onDown)
    el.addEventListener('mousemove', onMove)
    window.addEventListener('mouseup', onUp)
    el.addEventListener('wheel', onWheel, { passive: false })
    el.addEventListener('mouseleave', onLeave)
    el.addEventListener('contextmenu', preventDefault)
    detachers.push(() => {
      el.removeEventListener('mousedown', onDown)
      el.removeEventListener('mousemove', onMove)
      window.removeEventListener('mouseup', onUp)
      el.removeEventListener('wheel', onWheel)
      el.removeEventListener('mouseleave', onLeave)
      el.removeEventListener('contextmenu', preventDefault)
    })
  }

  /** Zoom, pan and display back to their defaults; the crosshair stays. */
  function reset(): void {
    const data = subject.value
    if (!data) return
    const keep = { mode: settings.mode, radiological: settings.radiological, colormap: settings.colormap, showBoxes: settings.showBoxes }
    Object.assign(settings, defaultDisplay(data.smri, data.pet), keep)
    for (const slot of slots) viewport(slot.id)?.resetCamera()
    applyDisplay(false)
    applyOrientation(false)
    moveCrosshair(crosshair.value, false)
    requestRender()
  }

  /**
   * Sets the pixel ratio the views render at (cornerstone reads window.devicePixelRatio when it
   * sizes the canvases and when it maps coordinates, so this is done before it sizes them: before
   * the engine is made, before a resize). A hardware renderer keeps the display's ratio and no
   * override; a software one gets about 2 device pixels per voxel of each view's fitted slice.
   */
  function applyRenderScale(): void {
    const { renderer, software } = detectRenderer()
    if (!software) overridePixelRatio(null)
    const deviceRatio = realDevicePixelRatio()
    const grid = subject.value?.smri ?? subject.value?.pet
    const fieldMargin = getConfiguration().rendering?.useLegacyCameraFOV ? 1.1 : 1
    const views = grid ? slots.map((s) => fieldOfPlane(s.plane, grid.dims, grid.affine, s.element.clientWidth, s.element.clientHeight)) : []
    const wanted = renderPixelRatio({ devicePixelRatio: deviceRatio, software, views, fieldMargin })
    const ratio = software ? overridePixelRatio(wanted < deviceRatio ? wanted : null) : deviceRatio
    if (renderScale.value?.ratio !== ratio || renderScale.value.deviceRatio !== deviceRatio) {
      renderScale.value = { ratio, deviceRatio, renderer, software }
    }
  }

  /**
   * A backing store smaller than the element is scaled up by the browser; cornerstone asks for
   * 'pixelated' (nearest neighbour), which at a non-integer factor makes uneven pixel rows:
   * bilinear scaling instead, only where the views render below the display's ratio.
   */
  function smoothUpscaling(): void {
    const scaled = renderScale.value !== null && renderScale.value.ratio < renderScale.value.deviceRatio
    for (const slot of slots) {
      const canvas = slot.element.querySelector<HTMLCanvasElement>('canvas.cornerstone-canvas')
      if (canvas) canvas.style.imageRendering = scaled ? 'auto' : 'pixelated'
    }
  }

  /** Call when the views' elements changed size. */
  function resize(): void {
    if (!engine) return
    applyRenderScale()
    smoothUpscaling()
    engine.resize(true, true)
    redrawOverlays()
  }

  function setMode(mode: PointerMode): void {
    settings.mode = mode
    applyToolBindings()
  }

  function setRadiological(on: boolean): void {
    settings.radiological = on
    applyOrientation()
  }

  /** Drops the views' listeners, tools and pending draws; the engine (and its context) stays. */
  function detachViews(): void {
    if (deferredFrame !== null) cancelAnimationFrame(deferredFrame)
    deferredFrame = null
    deferred.clear()
    deferredWork.length = 0
    while (detachers.length) detachers.pop()!()
    if (toolGroupId) ToolGroupManager.destroyToolGroup(toolGroupId)
    toolGroupId = null
    slots = []
  }

  function destroyEngine(): void {
    detachViews()
    engine?.destroy()
    engine = null
    // Back to the browser's ratio while no views exist (attach() sets it again).
    overridePixelRatio(null)
  }

  function releaseVolumes(): void {
    for (const m of ['smri', 'pet', 'attribution'] as const) {
      const id = volumeIds[m]
      if (id) releaseVolume(id)
      volumeIds[m] = null
    }
  }

  function dispose(): void {
    destroyEngine()
    releaseVolumes()
    subject.value = null
    attribution.value = null
  }

  onScopeDispose(dispose)

  return {
    subject,
    crosshair,
    cursor,
    settings,
    attribution,
    attributionDisplay,
    setAttribution,
    firstRenderMs,
    mainPanelMs,
    renderCount,
    renderScale,
    load,
    attach,
    applyDisplay,
    moveCrosshair,
    scroll,
    reset,
    resize,
    setMode,
    setRadiological,
    dispose
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

function preventDefault(ev: Event): void {
  ev.preventDefault()
}
