/**
 * Which views the viewer shows: the fused sMRI + PET views, each modality alone side by side,
 * or both. The researcher's last choice is remembered across launches; before there is one, the
 * viewer opens with everything on a hardware renderer and with the fused views only under
 * software WebGL, where each extra view costs about 30 ms of every slice change (measured with
 * SwiftShader in bench/viewer-bench.ts: 9 views about 95 ms per slice change, the fused 3 about 40).
 */
export const layouts = ['all', 'fused', 'compare'] as const
export type Layout = (typeof layouts)[number]

/** localStorage key of the last layout the researcher chose. */
export const LAYOUT_KEY = 'tcgm-lab.viewer.layout'

export function isLayout(value: unknown): value is Layout {
  return typeof value === 'string' && (layouts as readonly string[]).includes(value)
}

/**
 * The layout a viewer opens with: the one asked for (a view parameter), else the researcher's
 * last choice, else the default for the renderer.
 */
export function initialLayout(requested: unknown, remembered: unknown, softwareRenderer: boolean): { layout: Layout; chosenForRenderer: boolean } {
  if (isLayout(requested)) return { layout: requested, chosenForRenderer: false }
  if (isLayout(remembered)) return { layout: remembered, chosenForRenderer: false }
  return { layout: softwareRenderer ? 'fused' : 'all', chosenForRenderer: true }
}

export function readRememberedLayout(): string | null {
  try {
    return localStorage.getItem(LAYOUT_KEY)
  } catch {
    return null
  }
}

export function rememberLayout(layout: Layout): void {
  try {
    localStorage.setItem(LAYOUT_KEY, layout)
  } catch {
    // Storage unavailable: the next viewer opens with the renderer's default.
  }
}
