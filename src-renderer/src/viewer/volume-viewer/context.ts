/**
 * What the parts of the volume viewer share: the small reactive values the component reads
 * (subject, crosshair, cursor readout, settings, timings), and the cornerstone side (engine and
 * views, volumes, tools), which stays out of Vue's reactivity (markRaw, shallowRef).
 */
import { markRaw, reactive, ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import type { AttributionMap, ViewerSubject } from '@contract/contracts/viewer'
import { defaultAttributionDisplay, type AttributionDisplay } from '../attribution'
import { defaultDisplay, type CursorReadout, type DisplaySettings } from '../display'
import type { Vec3 } from '../geometry'
import { ViewerEngine } from './engine'
import { ViewerTools } from './tools'
import { ViewerVolumes } from './volumes'

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

export interface ViewerContext {
  subject: ShallowRef<ViewerSubject | null>
  /** The shared crosshair, RAS mm. */
  crosshair: Ref<Vec3>
  cursor: ShallowRef<CursorReadout | null>
  settings: DisplaySettings
  /** Display of the attribution map (a third volume over the fused views and its modality's own). */
  attributionDisplay: AttributionDisplay
  /** The map shown, null when none. */
  attribution: ShallowRef<AttributionMap | null>
  /** ms from the start of load() (or of attach() when only the layout changed) until every view
   *  has drawn once; null before. */
  firstRenderMs: Ref<number | null>
  /** ms from the same start until the main panel (the first row: the fused views, or the sMRI
   *  ones in 'compare') has drawn; null before. The other panels follow a frame later. */
  mainPanelMs: Ref<number | null>
  /** Number of slice renders so far (any view); tests and the benchmark wait on it. */
  renderCount: Ref<number>
  /** The views' render resolution; null before the first attach(). */
  renderScale: ShallowRef<RenderScale | null>
  engine: ViewerEngine
  volumes: ViewerVolumes
  tools: ViewerTools
  /** When the last load() started, until the attach() that follows it. */
  loadStartedAt: number | null
}

export function createViewerContext(): ViewerContext {
  return {
    subject: shallowRef(null),
    crosshair: ref<Vec3>([0, 0, 0]),
    cursor: shallowRef(null),
    settings: reactive<DisplaySettings>(defaultDisplay(null, null)),
    attributionDisplay: reactive<AttributionDisplay>(defaultAttributionDisplay(1)),
    attribution: shallowRef(null),
    firstRenderMs: ref(null),
    mainPanelMs: ref(null),
    renderCount: ref(0),
    renderScale: shallowRef(null),
    engine: markRaw(new ViewerEngine()),
    volumes: markRaw(new ViewerVolumes()),
    tools: markRaw(new ViewerTools()),
    loadStartedAt: null
  }
}
