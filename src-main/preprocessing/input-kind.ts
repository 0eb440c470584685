/**
 * Recognising what a structural scan in MNI space is from its values, so that a T1-weighted
 * image is never taken for a grey-matter probability map (clipping T1 intensities to [0, 1]
 * gives a constant image) and the other way round.
 *
 * Two facts decide: probabilities lie in [0, 1]; and inside the template's brain mask a
 * T1-weighted image correlates strongly and positively with the MNI T1 template (white matter
 * brightest), while a grey-matter map does not (it is dark in white matter).
 */
import type { Volume } from '../volume/types'
import { sameGrid } from '../volume/grid'
import type { MniTemplates } from './templates'

export interface StructuralKindEvidence {
  kind: 'grey-matter-map' | 't1-weighted' | 'unknown'
  /** Pearson correlation with the MNI T1 template inside its brain mask. */
  templateCorrelation: number
  /** 0.1th and 99.9th percentiles of the finite voxels inside the brain mask. */
  range: [number, number]
  /** One sentence with the numbers, for the preview and the error messages. */
  reason: string
}

/** At or above: T1-weighted. */
export const T1_MIN_CORRELATION = 0.5
/** At or below (and values within [0, MAX_GM_VALUE]): grey-matter map. */
export const GM_MAX_CORRELATION = 0.3
/** Highest 99.9th percentile of a grey-matter map: 1 for probabilities, about 2 for modulated maps. */
export const MAX_GM_VALUE = 3

/** Pearson correlation of a and b over the voxels where mask >= 0.5 (0 when either is constant). */
export function maskedCorrelation(a: Float32Array, b: Float32Array, mask: Float32Array): number {
  let sa = 0,
    sb = 0,
    saa = 0,
    sbb = 0,
    sab = 0,
    n = 0
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]! < 0.5) continue
    const x = a[i]!
    const y = b[i]!
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue
    sa += x
    sb += y
    saa += x * x
    sbb += y * y
    sab += x * y
    n++
  }
  const va = saa - (sa * sa) / n
  const vb = sbb - (sb * sb) / n
  return n > 1 && va > 1e-12 * n && vb > 1e-12 * n ? (sab - (sa * sb) / n) / Math.sqrt(va * vb) : 0
}

/**
 * @param vol a structural scan already on the MNI 2 mm grid (MNI_2MM).
 * @throws Error when `vol` is not on the templates' grid.
 */
export function recogniseStructuralKind(vol: Volume, templates: MniTemplates): StructuralKindEvidence {
  if (!sameGrid(vol, templates.t1, 1e-3)) throw new Error('recogniseStructuralKind: the scan must be on the MNI 2 mm grid of the templates')
  const m = templates.brainMask.data
  const inMask: number[] = []
  for (let i = 0; i < m.length; i++) if (m[i]! >= 0.5 && Number.isFinite(vol.data[i]!)) inMask.push(vol.data[i]!)
  const sorted = Float32Array.from(inMask).sort()
  const at = (q: number) => (sorted.length ? sorted[Math.round(q * (sorted.length - 1))]! : NaN)
  const range: [number, number] = [at(0.001), at(0.999)]
  const r = maskedCorrelation(vol.data, templates.t1.data, m)
  // Probabilities lie in [0, 1]; modulated maps (probability x Jacobian) reach about 2.
  const probabilities = range[0] >= -0.01 && range[1] <= MAX_GM_VALUE
  const numbers = `correlation with the MNI T1 template in the brain ${r.toFixed(2)}, values ${range[0].toPrecision(3)}..${range[1].toPrecision(3)}`
  const evidence = (kind: StructuralKindEvidence['kind'], reason: string): StructuralKindEvidence => ({ kind, templateCorrelation: r, range, reason })
  if (!(range[1] > range[0])) return evidence('unknown', `the image is constant inside the brain (${numbers})`)
  if (r >= T1_MIN_CORRELATION) return evidence('t1-weighted', `looks T1-weighted (${numbers})`)
  if (r <= GM_MAX_CORRELATION && probabilities) return evidence('grey-matter-map', `looks like a grey-matter probability map (${numbers})`)
  return evidence(
    'unknown',
    `neither a grey-matter probability map (values within 0..${MAX_GM_VALUE}, correlation at most ${GM_MAX_CORRELATION}) nor a T1-weighted image (correlation at least ${T1_MIN_CORRELATION}): ${numbers}`
  )
}
