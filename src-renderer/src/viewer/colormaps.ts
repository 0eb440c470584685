/**
 * The overlay colormaps the viewer offers, bundled (no lookups by name in vtk's preset list,
 * which differs between versions). The same control points drive the rendering (registered
 * with cornerstone) and the colour bar, so the two cannot disagree.
 *
 * Control points: [position in 0..1, r, g, b] with r, g, b in 0..1. Inferno and viridis are
 * sampled at ninths from matplotlib's definitions (CC0), hot is the classic black-red-yellow-white
 * ramp of FSLeyes / MRIcroGL.
 */
export type ColormapPoint = [number, number, number, number]

export interface OverlayColormap {
  /** Registered name (prefixed so it never collides with cornerstone's presets). */
  id: string
  label: string
  points: ColormapPoint[]
}

const ninths = (rgb: [number, number, number][]): ColormapPoint[] => rgb.map((c, i) => [i / (rgb.length - 1), c[0], c[1], c[2]])

export const overlayColormaps: readonly OverlayColormap[] = [
  {
    id: 'tcgm-hot',
    label: 'Hot',
    points: [
      [0, 0, 0, 0],
      [0.375, 1, 0, 0],
      [0.75, 1, 1, 0],
      [1, 1, 1, 1]
    ]
  },
  {
    id: 'tcgm-inferno',
    label: 'Inferno',
    points: ninths([
      [0.001, 0.0, 0.014],
      [0.098, 0.045, 0.244],
      [0.258, 0.039, 0.406],
      [0.416, 0.09, 0.433],
      [0.578, 0.148, 0.404],
      [0.735, 0.216, 0.33],
      [0.865, 0.317, 0.226],
      [0.954, 0.468, 0.1],
      [0.987, 0.645, 0.04],
      [0.988, 0.998, 0.645]
    ])
  },
  {
    id: 'tcgm-viridis',
    label: 'Viridis',
    points: ninths([
      [0.267, 0.005, 0.329],
      [0.283, 0.141, 0.458],
      [0.254, 0.265, 0.53],
      [0.207, 0.372, 0.553],
      [0.164, 0.471, 0.558],
      [0.128, 0.567, 0.551],
      [0.135, 0.659, 0.518],
      [0.267, 0.749, 0.441],
      [0.478, 0.821, 0.318],
      [0.993, 0.906, 0.144]
    ])
  },
  {
    id: 'tcgm-pet',
    label: 'PET rainbow',
    points: [
      [0, 0, 0, 0],
      [0.2, 0.33, 0, 0.66],
      [0.4, 0, 0, 1],
      [0.55, 0, 0.8, 0.2],
      [0.7, 1, 1, 0],
      [0.85, 1, 0.5, 0],
      [1, 1, 0, 0]
    ]
  },
  {
    id: 'tcgm-grey',
    label: 'Grey',
    points: [
      [0, 0, 0, 0],
      [1, 1, 1, 1]
    ]
  }
]

/**
 * The attribution maps' diverging colormap, over a range symmetric about 0: light blue (occluding
 * the region raises the class probability) through dark blue and purple to pink (occluding it
 * lowers the probability: the region speaks for the class). Every colour has more blue than
 * green, unlike every colour of the PET's default hot map and of the grey anatomy, so the
 * attribution stays readable over a PET overlay (and is told apart in screenshots). The middle,
 * near 0, is drawn transparent (the viewer's opacity function), so its colour never shows.
 */
export const attributionColormap: OverlayColormap = {
  id: 'tcgm-attribution',
  label: 'Attribution (blue - / pink +)',
  points: [
    [0, 0.1, 0.65, 1],
    [0.35, 0.05, 0.2, 0.85],
    [0.5, 0.35, 0.2, 0.6],
    [0.65, 0.6, 0.1, 0.85],
    [1, 1, 0.45, 1]
  ]
}

/** Every colormap the viewer registers: the overlay choices and the attribution map's. */
export const registeredColormaps: readonly OverlayColormap[] = [...overlayColormaps, attributionColormap]

export function findColormap(id: string): OverlayColormap {
  const found = registeredColormaps.find((c) => c.id === id)
  if (!found) throw new Error(`findColormap: unknown colormap '${id}'; known: ${registeredColormaps.map((c) => c.id).join(', ')}`)
  return found
}

/** Colour (0..255 per channel) of a position t in 0..1 (clamped), by linear interpolation. */
export function colourAt(map: OverlayColormap, t: number): [number, number, number] {
  const p = map.points
  const x = Math.min(1, Math.max(0, t))
  let i = 1
  while (i < p.length - 1 && p[i][0] < x) i++
  const [x0, r0, g0, b0] = p[i - 1]
  const [x1, r1, g1, b1] = p[i]
  const f = x1 > x0 ? (x - x0) / (x1 - x0) : 0
  return [Math.round(255 * (r0 + f * (r1 - r0))), Math.round(255 * (g0 + f * (g1 - g0))), Math.round(255 * (b0 + f * (b1 - b0)))]
}

/** cornerstone / vtk `RGBPoints`: flat [x, r, g, b, ...]. */
export function toRgbPoints(map: OverlayColormap): number[] {
  return map.points.flat()
}
