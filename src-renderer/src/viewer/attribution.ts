/**
 * Display of the attribution map (an occlusion-sensitivity volume, signed): a range symmetric
 * about 0, and an opacity function that hides the values near 0 on both sides (FSLeyes'
 * "negative and positive" threshold for signed maps). Pure: unit-tested in jsdom.
 */
import type { Modality } from '@contract/contracts/study'

export interface AttributionDisplay {
  /** Opacity of the drawn values, 0..1. */
  opacity: number
  /** Values with |v| below this are transparent. */
  threshold: number
  /** Colours span [-range, range]. */
  range: number
}

/** Defaults for a map whose largest |value| is `maxAbs`: the upper 85% of the magnitudes shown. */
export function defaultAttributionDisplay(maxAbs: number): AttributionDisplay {
  const range = maxAbs > 0 ? maxAbs : 1e-3
  return { opacity: 0.85, threshold: 0.15 * range, range }
}

/**
 * Control points [value, opacity] of the scalar opacity function: `opacity` for |v| >= threshold,
 * 0 strictly between -threshold and threshold (a step a thousandth of the threshold wide), and
 * flat beyond the range so values outside it keep their opacity.
 */
export function attributionOpacityPoints(d: AttributionDisplay): [number, number][] {
  const t = Math.max(d.threshold, 1e-9)
  const edge = Math.max(d.range, t) * 4 + 1
  const step = t * 1e-3
  return [
    [-edge, d.opacity],
    [-t, d.opacity],
    [-t + step, 0],
    [t - step, 0],
    [t, d.opacity],
    [edge, d.opacity]
  ]
}

/** Which views show the map: the fused ones and those of the map's own modality. */
export function showsAttribution(viewKind: 'fused' | Modality, mapModality: Modality | null): boolean {
  return mapModality !== null && (viewKind === 'fused' || viewKind === mapModality)
}
