/**
 * Render resolution of the volume views under software WebGL.
 *
 * Cornerstone sizes each view's backing store at element size x window.devicePixelRatio, and
 * every cost of a slice draw in software GL (SwiftShader, llvmpipe) is per pixel. A 91 x 109 x 91
 * volume at 2 mm shown in a 338 px view gets 3 device pixels per voxel at a ratio of 1, 6 at 2:
 * past about 2 pixels per voxel the extra pixels only interpolate. So where the renderer is
 * software, the views render at a lower pixel ratio (backing store of about 2 device pixels per
 * voxel of the displayed field, CSS-scaled up to the element) and a hardware renderer keeps
 * cornerstone's normal behaviour (the display's own ratio, uncapped).
 *
 * Cornerstone 5.0.13 has no option for the render resolution: it reads window.devicePixelRatio
 * wherever it sizes a canvas (creation, resize) and wherever it maps canvas (CSS) coordinates to
 * world ones and back. The one way to change the resolution that keeps all of those consistent is
 * to have window.devicePixelRatio answer the lower ratio while the views exist; see
 * overridePixelRatio. The pure functions here decide the ratio; the others touch the browser.
 */

/** Device pixels per voxel aimed at for the displayed field (at zoom 1). */
export const PIXELS_PER_VOXEL = 2

/** The lowest ratio ever used (a guard against odd sizes: tiny volumes in huge views). */
export const MIN_PIXEL_RATIO = 0.25

/** True when a WebGL renderer string names a software rasteriser. */
export function isSoftwareRenderer(renderer: string | null | undefined): boolean {
  return !!renderer && /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i.test(renderer)
}

/** What one view shows, for the pixel-ratio cap. */
export interface ViewField {
  /** Element size in CSS pixels. */
  cssWidth: number
  cssHeight: number
  /** The slice's extent across the view (its width and height on screen), in mm. */
  widthMm: number
  heightMm: number
  /** The in-plane voxel size, mm (the smaller of the two in-plane spacings). */
  voxelMm: number
}

/**
 * Device pixels per CSS pixel at which a view shows `pixelsPerVoxel` device pixels per voxel
 * when the slice is fitted into the element ("contain", with cornerstone's margin `fieldMargin`
 * around it: the displayed field is the slice times that factor along its limiting side).
 */
export function ratioForField(view: ViewField, pixelsPerVoxel = PIXELS_PER_VOXEL, fieldMargin = 1): number {
  const { cssWidth, cssHeight, widthMm, heightMm, voxelMm } = view
  if (!(cssWidth > 0 && cssHeight > 0 && widthMm > 0 && heightMm > 0 && voxelMm > 0)) return Infinity
  // CSS pixels per mm of the fitted slice.
  const cssPerMm = Math.min(cssWidth / widthMm, cssHeight / heightMm) / fieldMargin
  return pixelsPerVoxel / (cssPerMm * voxelMm)
}

/**
 * The pixel ratio the views render at: the display's ratio on a hardware renderer; on a software
 * one, the lowest ratio that still gives every view `pixelsPerVoxel` device pixels per voxel
 * (never above the display's ratio, never below MIN_PIXEL_RATIO). Rounded to 1/100 so small
 * layout jitters do not resize the views.
 */
export function renderPixelRatio(opts: {
  devicePixelRatio: number
  software: boolean
  views: readonly ViewField[]
  pixelsPerVoxel?: number
  fieldMargin?: number
}): number {
  const dpr = opts.devicePixelRatio > 0 && Number.isFinite(opts.devicePixelRatio) ? opts.devicePixelRatio : 1
  if (!opts.software || opts.views.length === 0) return dpr
  const needed = Math.max(...opts.views.map((v) => ratioForField(v, opts.pixelsPerVoxel, opts.fieldMargin)))
  if (!Number.isFinite(needed)) return dpr
  const capped = Math.min(dpr, Math.max(MIN_PIXEL_RATIO, Math.ceil(needed * 100) / 100))
  return capped
}

/** Plane of a slice view and the volume axes (RAS 0 = x, 1 = y, 2 = z) across it on screen. */
const screenAxes: Record<'axial' | 'coronal' | 'sagittal', [number, number]> = {
  axial: [0, 1],
  coronal: [0, 2],
  sagittal: [1, 2]
}

/**
 * A view's field from the volume's grid: the extents along the two RAS axes across the plane
 * (dims x spacing, with spacing taken along the RAS axis each voxel axis is closest to, so a
 * permuted affine works too).
 */
export function fieldOfPlane(
  plane: 'axial' | 'coronal' | 'sagittal',
  dims: readonly number[],
  affine: readonly (readonly number[])[],
  cssWidth: number,
  cssHeight: number
): ViewField {
  // Extent along each RAS axis: the voxel axis that mostly moves along it, times its length.
  const extent = [0, 0, 0]
  const step = [Infinity, Infinity, Infinity]
  for (let j = 0; j < 3; j++) {
    const col = [affine[0][j], affine[1][j], affine[2][j]]
    const len = Math.hypot(col[0], col[1], col[2])
    const axis = [0, 1, 2].reduce((best, a) => (Math.abs(col[a]) > Math.abs(col[best]) ? a : best), 0)
    extent[axis] = dims[j] * len
    step[axis] = len
  }
  const [u, v] = screenAxes[plane]
  return { cssWidth, cssHeight, widthMm: extent[u], heightMm: extent[v], voxelMm: Math.min(step[u], step[v]) }
}

// ---- Browser side -------------------------------------------------------------------------

export interface RendererInfo {
  /** The WebGL renderer string (unmasked where the browser allows), '' when unknown. */
  renderer: string
  software: boolean
}

let detected: RendererInfo | null = null

/**
 * The WebGL renderer of this page, asked once from a throwaway WebGL2 context (freed right
 * after). Unknown (no WebGL, no debug extension) counts as hardware: cornerstone's behaviour.
 */
export function detectRenderer(): RendererInfo {
  if (detected) return detected
  let renderer = ''
  try {
    const canvas = document.createElement('canvas')
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null
    if (gl) {
      const info = gl.getExtension('WEBGL_debug_renderer_info')
      renderer = String((info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)) ?? '')
      gl.getExtension('WEBGL_lose_context')?.loseContext()
    }
  } catch {
    renderer = ''
  }
  detected = { renderer, software: isSoftwareRenderer(renderer) }
  return detected
}

/** window.devicePixelRatio as the browser has it (whatever overridePixelRatio installed). */
export function realDevicePixelRatio(): number {
  const value = installed ? realFromSaved() : window.devicePixelRatio
  return value > 0 ? value : 1
}

/** The browser's own descriptor of devicePixelRatio (on window, or inherited) while overridden. */
let saved: PropertyDescriptor | undefined
/** Whether that descriptor was window's own (restored) or inherited (the override is deleted). */
let savedOwn = false
let installed = false
let current: number | null = null

/**
 * Makes window.devicePixelRatio answer `ratio` (null: the browser's own value again).
 *
 * Scoped override: installed only under a software renderer, only while a viewer's rendering
 * engine exists (use-volume-viewer removes it when the engine goes), and only the getter changes:
 * the browser's layout, CSS media queries and the screenshots the browser takes are untouched;
 * scripts that read the property meanwhile (cornerstone, vtk, chart.js if a chart were drawn
 * beside the viewer) see the lower ratio. If the property cannot be redefined (a future browser
 * making it unconfigurable), nothing changes and the views render at the display's ratio, as
 * before. Returns the ratio now in effect.
 */
export function overridePixelRatio(ratio: number | null): number {
  if (ratio === null) {
    if (installed) {
      if (saved && savedOwn) Object.defineProperty(window, 'devicePixelRatio', saved)
      else delete (window as unknown as Record<string, unknown>).devicePixelRatio
      installed = false
      saved = undefined
    }
    current = null
    return window.devicePixelRatio || 1
  }
  if (!installed) {
    const own = Object.getOwnPropertyDescriptor(window, 'devicePixelRatio')
    if (own && !own.configurable) return window.devicePixelRatio || 1
    try {
      saved = own ?? inheritedDescriptor()
      savedOwn = !!own
      Object.defineProperty(window, 'devicePixelRatio', { configurable: true, enumerable: true, get: () => current ?? realFromSaved() })
      installed = true
    } catch {
      saved = undefined
      return window.devicePixelRatio || 1
    }
  }
  current = ratio
  return window.devicePixelRatio
}

function inheritedDescriptor(): PropertyDescriptor | undefined {
  for (let o = Object.getPrototypeOf(window); o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, 'devicePixelRatio')
    if (d) return d
  }
  return undefined
}

function realFromSaved(): number {
  if (saved?.get) return saved.get.call(window) as number
  if (saved && 'value' in saved) return saved.value as number
  return 1
}
