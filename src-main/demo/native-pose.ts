/**
 * Scanner-space ("native") copies of MNI-space images with a known pose, for the raw demo and
 * the registration tests: the head rotated, scaled and shifted in the scanner, sampled on its
 * own oblique grid, with a smooth bias field and noise. The true transform is kept, so a
 * registration can be scored against it.
 */
import { applyAffine, eulerRotation, invertAffine, multiplyAffines } from '../volume/affine'
import type { Grid } from '../volume/grid'
import type { Affine, Volume } from '../volume/types'
import { resampleToGrid } from '../preprocessing/resample'

export interface NativePose {
  /** MNI world (RAS mm) -> scanner world (RAS mm): what a registration to MNI must recover. */
  worldFromMni: Affine
  /** The scanner grid the image is sampled on. */
  grid: Grid
}

const deg = Math.PI / 180

export interface PoseSpec {
  /** Head rotation in the scanner, degrees about x, y, z. */
  rotationDeg: [number, number, number]
  /** Head size relative to the template, per axis. */
  scale: [number, number, number]
  /** Where the template's origin lands in the scanner, mm. */
  shiftMm: [number, number, number]
  /** Voxel size of the scanner grid, mm. */
  voxelMm: [number, number, number]
  /** Rotation of the scanner grid's axes (an oblique acquisition), degrees about x, y, z. */
  gridRotationDeg: [number, number, number]
  /** Field of view of the scanner grid, mm per axis (centred on the head). */
  fovMm: [number, number, number]
}

/** The pose of a head described by `spec`; `base` (e.g. another scan of the same head) goes first. */
export function makePose(spec: PoseSpec, base?: Affine): NativePose {
  const [sx, sy, sz] = spec.scale
  let worldFromMni = multiplyAffines(eulerRotation(spec.rotationDeg[0] * deg, spec.rotationDeg[1] * deg, spec.rotationDeg[2] * deg), [
    [sx, 0, 0, 0],
    [0, sy, 0, 0],
    [0, 0, sz, 0],
    [0, 0, 0, 1]
  ])
  worldFromMni.forEach((row, r) => r < 3 && (row[3] = spec.shiftMm[r]!))
  if (base) worldFromMni = multiplyAffines(worldFromMni, base)
  const dims = spec.fovMm.map((f, a) => Math.round(f / spec.voxelMm[a]!)) as [number, number, number]
  const axes = eulerRotation(spec.gridRotationDeg[0] * deg, spec.gridRotationDeg[1] * deg, spec.gridRotationDeg[2] * deg)
  const affine: Affine = axes.map((row, r) => (r < 3 ? [row[0]! * spec.voxelMm[0], row[1]! * spec.voxelMm[1], row[2]! * spec.voxelMm[2], 0] : [0, 0, 0, 1]))
  // Centre the grid on where the centre of the MNI brain (0, -18, 18) lands.
  const centre = applyAffine(worldFromMni, [0, -18, 18])
  const mid = applyAffine(
    affine,
    dims.map((d) => (d - 1) / 2)
  )
  for (let r = 0; r < 3; r++) affine[r]![3] = centre[r]! - mid[r]!
  return { worldFromMni, grid: { dims, affine } }
}

/**
 * Samples an MNI-space image in the scanner pose (trilinear), times a smooth multiplicative bias
 * field of +-`bias`, plus Gaussian noise of sd `noise` x the image's maximum; negatives clipped.
 * @param random uniform [0, 1) numbers for the noise.
 */
export function toNative(mni: Volume, pose: NativePose, opts: { bias: number; noise: number; random: () => number }): Volume {
  const placed = { ...mni, affine: multiplyAffines(pose.worldFromMni, mni.affine) }
  const vol = resampleToGrid(placed, pose.grid)
  let max = 0
  for (const v of mni.data) if (v > max) max = v
  const [nx, ny] = vol.dims
  const inv = invertAffine(pose.worldFromMni)
  for (let o = 0; o < vol.data.length; o++) {
    const i = o % nx
    const j = Math.floor(o / nx) % ny
    const k = Math.floor(o / (nx * ny))
    const [x, , z] = applyAffine(inv, applyAffine(vol.affine, [i, j, k]))
    const field = 1 + opts.bias * Math.sin(x / 60 + 0.3) * Math.cos(z / 70 - 0.2)
    const gauss = Math.sqrt(-2 * Math.log(opts.random() + 1e-12)) * Math.cos(2 * Math.PI * opts.random())
    vol.data[o] = Math.max(0, vol.data[o]! * field + opts.noise * max * gauss)
  }
  return vol
}

/**
 * How far a recovered MNI -> scanner mapping is from the true one: mean and max distance (mm)
 * between where each maps the voxel centres of `grid` inside `mask` (>= 0.5).
 */
export function poseErrorMm(recovered: Affine, truth: Affine, mask: Volume): { mean: number; max: number } {
  let sum = 0
  let max = 0
  let n = 0
  const [nx, ny, nz] = mask.dims
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        if (mask.data[i + nx * (j + ny * k)]! < 0.5) continue
        const w = applyAffine(mask.affine, [i, j, k])
        const a = applyAffine(recovered, w)
        const b = applyAffine(truth, w)
        const e = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])
        sum += e
        max = Math.max(max, e)
        n++
      }
  return { mean: sum / n, max }
}
