/**
 * What the viewer draws over each rendered slice, on a 2-D canvas laid over cornerstone's:
 * the crosshair, the hippocampal boxes cut by the slice plane, and the anatomical direction
 * letters at the four edges (so L/R is always read from the actual camera, whatever the
 * radiological / neurological setting).
 *
 * Points are LPS mm (cornerstone world); `toCanvas` maps them to CSS pixels of the viewport.
 */
import type { HippocampalBox } from '@contract/contracts/viewer'
import { rasToLps, type Vec3 } from './geometry'

export type ToCanvas = (lps: Vec3) => [number, number]

export interface SliceView {
  toCanvas: ToCanvas
  /** Unit vector normal to the slice plane (LPS) and a point on the plane (LPS mm). */
  normal: Vec3
  focalPoint: Vec3
  /** CSS pixel size of the viewport. */
  width: number
  height: number
}

/** Letter of each LPS direction: +x = Left, +y = Posterior, +z = Superior. */
const axisLetters: [string, string][] = [
  ['L', 'R'],
  ['P', 'A'],
  ['S', 'I']
]

export interface EdgeLetters {
  left: string
  right: string
  top: string
  bottom: string
}

/**
 * Which anatomical direction lies at each edge of the view: the world axis whose projection
 * is longest along screen x names the right/left edges, likewise screen y for top/bottom.
 */
export function edgeLetters(view: SliceView, at: Vec3): EdgeLetters {
  const o = view.toCanvas(at)
  const proj = [0, 1, 2].map((a) => {
    const p: Vec3 = [at[0], at[1], at[2]]
    p[a] += 10
    const c = view.toCanvas(p)
    return [c[0] - o[0], c[1] - o[1]]
  })
  const pick = (screenAxis: 0 | 1): [string, string] => {
    let best = 0
    for (let a = 1; a < 3; a++) if (Math.abs(proj[a][screenAxis]) > Math.abs(proj[best][screenAxis])) best = a
    // [letter at the positive screen end, letter at the negative end]
    return proj[best][screenAxis] > 0 ? [axisLetters[best][0], axisLetters[best][1]] : [axisLetters[best][1], axisLetters[best][0]]
  }
  const [right, left] = pick(0)
  const [bottom, top] = pick(1)
  return { left, right, top, bottom }
}

/** True when the patient's left is drawn on the screen's right (the radiological convention). */
export function isRadiological(view: SliceView, at: Vec3): boolean {
  return edgeLetters(view, at).right === 'L'
}

/**
 * The rectangle (CSS px) where a box meets the slice plane, or null when the plane misses it.
 * Exact for orthogonal views: the bounding rectangle of the box's projected corners.
 */
export function boxOnSlice(view: SliceView, box: Pick<HippocampalBox, 'mmMin' | 'mmMax'>): { x: number; y: number; w: number; h: number } | null {
  const corners: Vec3[] = []
  for (const x of [box.mmMin[0], box.mmMax[0]])
    for (const y of [box.mmMin[1], box.mmMax[1]]) for (const z of [box.mmMin[2], box.mmMax[2]]) corners.push(rasToLps([x, y, z]))
  const depth = (p: Vec3) =>
    (p[0] - view.focalPoint[0]) * view.normal[0] + (p[1] - view.focalPoint[1]) * view.normal[1] + (p[2] - view.focalPoint[2]) * view.normal[2]
  const depths = corners.map(depth)
  if (Math.min(...depths) > 1e-6 || Math.max(...depths) < -1e-6) return null
  const pts = corners.map(view.toCanvas)
  const xs = pts.map((p) => p[0])
  const ys = pts.map((p) => p[1])
  const x = Math.min(...xs)
  const y = Math.min(...ys)
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y }
}

export interface OverlayStyle {
  crosshair: string
  box: string
  letters: string
  showBoxes: boolean
}

export const defaultOverlayStyle: OverlayStyle = { crosshair: 'rgba(80, 220, 120, 0.9)', box: 'rgba(255, 214, 0, 0.95)', letters: '#f0f0f0', showBoxes: true }

/** Redraws the overlay canvas of one view. `crosshair` is LPS mm. */
export function drawOverlay(
  ctx: CanvasRenderingContext2D,
  view: SliceView,
  crosshair: Vec3,
  boxes: readonly HippocampalBox[],
  style: OverlayStyle = defaultOverlayStyle
): void {
  const { width, height } = view
  ctx.clearRect(0, 0, width, height)
  if (style.showBoxes) {
    ctx.save()
    ctx.strokeStyle = style.box
    ctx.lineWidth = 1.5
    ctx.setLineDash([5, 3])
    ctx.font = '11px sans-serif'
    ctx.fillStyle = style.box
    for (const box of boxes) {
      const r = boxOnSlice(view, box)
      if (!r) continue
      ctx.strokeRect(r.x, r.y, r.w, r.h)
      ctx.fillText(box.side === 'left' ? 'L hip' : 'R hip', r.x + 2, r.y - 3)
    }
    ctx.restore()
  }

  const [cx, cy] = view.toCanvas(crosshair)
  ctx.save()
  ctx.strokeStyle = style.crosshair
  ctx.lineWidth = 1
  const gap = 6
  ctx.beginPath()
  ctx.moveTo(0, cy)
  ctx.lineTo(cx - gap, cy)
  ctx.moveTo(cx + gap, cy)
  ctx.lineTo(width, cy)
  ctx.moveTo(cx, 0)
  ctx.lineTo(cx, cy - gap)
  ctx.moveTo(cx, cy + gap)
  ctx.lineTo(cx, height)
  ctx.stroke()
  ctx.restore()

  const letters = edgeLetters(view, crosshair)
  ctx.save()
  ctx.fillStyle = style.letters
  ctx.font = 'bold 13px sans-serif'
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'left'
  ctx.fillText(letters.left, 4, height / 2)
  ctx.textAlign = 'right'
  ctx.fillText(letters.right, width - 4, height / 2)
  ctx.textAlign = 'center'
  ctx.textBaseline = 'top'
  ctx.fillText(letters.top, width / 2, 4)
  ctx.textBaseline = 'bottom'
  ctx.fillText(letters.bottom, width / 2, height - 4)
  ctx.restore()
}
