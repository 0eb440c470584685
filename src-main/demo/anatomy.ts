/**
 * Procedural brain anatomy on the 91 x 109 x 91, 2 mm MNI grid (DEMO_COHORT.md section 1):
 * soft-edged ellipsoids for brain, cortex, white matter, ventricles, deep grey matter, pons and
 * both hippocampi, computed once per cohort. No template file is needed.
 *
 * Grid: voxel (i, j, k), 0-based, storage index i + 91 * (j + 109 * k); LAS affine
 * x = 90 - 2i, y = 2j - 126, z = 2k - 72 (MNI mm).
 */
import type { Affine } from '../volume/types'

export const MNI_DIMS: [number, number, number] = [91, 109, 91]
export const MNI_SPACING: [number, number, number] = [2, 2, 2]
export const MNI_AFFINE: Affine = [
  [-2, 0, 0, 90],
  [0, 2, 0, -126],
  [0, 0, 2, -72],
  [0, 0, 0, 1]
]

/** Hippocampal centroids in MNI mm (AAL, /work/shared/fixtures/README.md). */
export const HIPPOCAMPUS_CENTROIDS_MM = {
  left: [-26.1, -20.8, -10.3],
  right: [28.2, -19.9, -10.5]
} as const

interface Ellipsoid {
  /** Centre, MNI mm. */
  c: readonly [number, number, number]
  /** Semi-axes, mm. */
  r: readonly [number, number, number]
}

/** Soft membership in [0, 1] of a point in an ellipsoid: 1 inside, 0 outside, ~`edge` mm ramp. */
function inside(x: number, y: number, z: number, e: Ellipsoid, edge = 2): number {
  const dx = (x - e.c[0]) / e.r[0]
  const dy = (y - e.c[1]) / e.r[1]
  const dz = (z - e.c[2]) / e.r[2]
  const rho = Math.sqrt(dx * dx + dy * dy + dz * dz) // 1 on the surface
  const meanR = (e.r[0] + e.r[1] + e.r[2]) / 3
  const t = ((1 - rho) * meanR) / edge
  return 1 / (1 + Math.exp(-2 * t))
}

/** Gaussian bump of width `sigma` ellipsoid radii: 1 at the centre. */
function bump(x: number, y: number, z: number, e: Ellipsoid): number {
  const dx = (x - e.c[0]) / e.r[0]
  const dy = (y - e.c[1]) / e.r[1]
  const dz = (z - e.c[2]) / e.r[2]
  return Math.exp(-0.5 * (dx * dx + dy * dy + dz * dz))
}

const brain: Ellipsoid = { c: [0, -18, 12], r: [68, 86, 64] }
const whiteMatter: Ellipsoid = { c: [0, -18, 14], r: [54, 70, 50] }
const ventricles: Ellipsoid[] = [
  { c: [-11, -12, 14], r: [6, 26, 10] },
  { c: [11, -12, 14], r: [6, 26, 10] }
]
const deepGrey: Ellipsoid[] = [
  { c: [-12, -18, 4], r: [8, 12, 8] },
  { c: [12, -18, 4], r: [8, 12, 8] }
]
/** Long axis roughly antero-posterior, as the hippocampus lies. */
export const hippocampi: Ellipsoid[] = [
  { c: HIPPOCAMPUS_CENTROIDS_MM.left, r: [7, 16, 8] },
  { c: HIPPOCAMPUS_CENTROIDS_MM.right, r: [7, 16, 8] }
]
const pons: Ellipsoid = { c: [0, -26, -36], r: [9, 10, 10] }
const posteriorCingulate: Ellipsoid = { c: [0, -52, 28], r: [10, 14, 10] }

export interface Anatomy {
  /** Grey-matter density template in [0, 1]. */
  gm: Float32Array
  /** FDG uptake template, SUVR-like (pons mean = 1). */
  uptake: Float32Array
  /** Smooth weight over both hippocampi, in [0, 1] (where atrophy acts). */
  wHip: Float32Array
  /** Smooth weight of the AD hypometabolism pattern: hippocampi + posterior cingulate. */
  wAd: Float32Array
  /** Pons mask (SUVR reference) as a soft weight. */
  pons: Float32Array
  /** Normalised coordinates in [-1, 1] per voxel axis (for smooth nuisance fields). */
  u: Float32Array
  v: Float32Array
  w: Float32Array
}

let built: Anatomy | null = null

/** The anatomy, computed on first use (about a second for the 0.9 M voxels) and then shared:
 *  callers must treat its arrays as read-only. */
export function buildAnatomy(): Anatomy {
  built ??= computeAnatomy()
  return built
}

function computeAnatomy(): Anatomy {
  const [nx, ny, nz] = MNI_DIMS
  const n = nx * ny * nz
  const a: Anatomy = {
    gm: new Float32Array(n),
    uptake: new Float32Array(n),
    wHip: new Float32Array(n),
    wAd: new Float32Array(n),
    pons: new Float32Array(n),
    u: new Float32Array(n),
    v: new Float32Array(n),
    w: new Float32Array(n)
  }
  let idx = 0
  for (let k = 0; k < nz; k++) {
    const z = 2 * k - 72
    for (let j = 0; j < ny; j++) {
      const y = 2 * j - 126
      for (let i = 0; i < nx; i++, idx++) {
        const x = 90 - 2 * i
        const inBrain = inside(x, y, z, brain, 3)
        const inWm = inside(x, y, z, whiteMatter, 4)
        let vent = 0
        for (const e of ventricles) vent = Math.max(vent, inside(x, y, z, e, 2))
        let deep = 0
        for (const e of deepGrey) deep = Math.max(deep, inside(x, y, z, e, 2))
        let hip = 0
        let hipBump = 0
        for (const e of hippocampi) {
          hip = Math.max(hip, inside(x, y, z, e, 2))
          hipBump = Math.max(hipBump, bump(x, y, z, { c: e.c, r: [e.r[0] * 0.8, e.r[1] * 0.8, e.r[2] * 0.8] }))
        }
        const p = inside(x, y, z, pons, 2)
        // Cortex: brain minus white matter; WM keeps a little GM; ventricles none.
        let gm = inBrain * (0.78 * (1 - inWm) + 0.12 * inWm)
        gm = gm * (1 - vent) + 0.75 * deep * inBrain
        gm = Math.max(gm, 0.85 * hip)
        gm = Math.min(1, gm * (1 - 0.9 * p) + 0.1 * p)
        a.gm[idx] = gm
        const wm = inBrain * inWm * (1 - vent) * (1 - deep)
        a.uptake[idx] = 1.9 * gm + 0.7 * wm * (1 - gm) + 1.0 * p
        a.wHip[idx] = hipBump
        a.wAd[idx] = Math.max(hipBump, 0.8 * bump(x, y, z, posteriorCingulate))
        a.pons[idx] = p
        a.u[idx] = (2 * i) / (nx - 1) - 1
        a.v[idx] = (2 * j) / (ny - 1) - 1
        a.w[idx] = (2 * k) / (nz - 1) - 1
      }
    }
  }
  // Rescale the uptake so the pons reference region averages 1 (SUVR units).
  let num = 0
  let den = 0
  for (let q = 0; q < n; q++) {
    num += a.uptake[q]! * a.pons[q]!
    den += a.pons[q]!
  }
  const ref = num / den
  for (let q = 0; q < n; q++) a.uptake[q] = a.uptake[q]! / ref
  return a
}
