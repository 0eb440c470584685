/**
 * Pure coordinate math between a NIfTI-style volume (what main sends) and cornerstone3D's
 * volume description. No DOM, no cornerstone import: unit-tested in plain Node.
 *
 * Spaces:
 * - voxel: 0-based (i, j, k) in the payload's storage order, index = i + nx * (j + ny * k).
 * - RAS mm: the NIfTI / MNI world, +x = subject's Right, +y = Anterior, +z = Superior.
 *   Payload affines are 4x4 row-major voxel -> RAS mm.
 * - LPS mm: DICOM's patient space, which cornerstone uses: +x = Left, +y = Posterior,
 *   +z = Superior. LPS = (-x, -y, z) of RAS.
 *
 * Cornerstone draws any direction matrix, but its MPR cameras and tools assume a right-handed
 * grid close to the LPS axes (as DICOM series are). So the volume is handed over reoriented by
 * exact axis permutations and flips (no interpolation) to the grid closest to LPS; the world
 * position of every voxel centre is unchanged.
 */

export type Vec3 = [number, number, number]
/** 4x4 row-major matrix. */
export type Matrix4 = number[][]

/** A volume as the viewer contract carries it (see src-main/api/contracts/viewer.ts). */
export interface VolumeGrid {
  /** [nx, ny, nz] */
  dims: Vec3
  /** 4x4 row-major voxel (0-based) -> RAS mm. */
  affine: Matrix4
  data: Float32Array
}

/** What `volumeLoader.createLocalVolume` needs, in LPS millimetres. */
export interface CornerstoneGeometry {
  /** [columns, rows, slices] of the reoriented grid. */
  dimensions: Vec3
  /** mm along each reoriented axis. */
  spacing: Vec3
  /** LPS mm of voxel (0, 0, 0) of the reoriented grid. */
  origin: Vec3
  /** Row-major 3x3: rows are the unit LPS directions of the reoriented i, j and k axes. */
  direction: [number, number, number, number, number, number, number, number, number]
  /** Voxel data in the reoriented order (the input array itself when no reordering was needed). */
  scalarData: Float32Array
  /**
   * For reoriented axis a: which payload axis it walks (`axis[a]`) and in which sense
   * (`sign[a]` = +1 or -1).
   */
  axis: Vec3
  sign: Vec3
}

/** RAS <-> LPS: the same flip both ways. */
export function rasToLps(p: readonly number[]): Vec3 {
  return [-p[0], -p[1], p[2]]
}
export const lpsToRas = rasToLps

/** Voxel (0-based, may be fractional) -> RAS mm through a row-major 4x4 affine. */
export function voxelToRas(affine: Matrix4, ijk: readonly number[]): Vec3 {
  const out: Vec3 = [0, 0, 0]
  for (let r = 0; r < 3; r++) out[r] = affine[r][0] * ijk[0] + affine[r][1] * ijk[1] + affine[r][2] * ijk[2] + affine[r][3]
  return out
}

/**
 * RAS mm -> fractional voxel (0-based) through the inverse of the affine's 3x3 part.
 * @throws when the affine is singular.
 */
export function rasToVoxel(affine: Matrix4, xyz: readonly number[]): Vec3 {
  const inv = invert3([
    [affine[0][0], affine[0][1], affine[0][2]],
    [affine[1][0], affine[1][1], affine[1][2]],
    [affine[2][0], affine[2][1], affine[2][2]]
  ])
  const d = [xyz[0] - affine[0][3], xyz[1] - affine[1][3], xyz[2] - affine[2][3]]
  return [0, 1, 2].map((r) => inv[r][0] * d[0] + inv[r][1] * d[1] + inv[r][2] * d[2]) as Vec3
}

/** Nearest voxel (0-based, rounded) for a RAS point, or null when it falls outside the grid. */
export function rasToVoxelIndex(grid: Pick<VolumeGrid, 'dims' | 'affine'>, xyz: readonly number[]): Vec3 | null {
  const f = rasToVoxel(grid.affine, xyz)
  const ijk = f.map((v) => Math.round(v)) as Vec3
  for (let a = 0; a < 3; a++) if (ijk[a] < 0 || ijk[a] >= grid.dims[a]) return null
  return ijk
}

/** Value of the voxel nearest to a RAS point, or null outside the grid. */
export function sampleAtRas(grid: VolumeGrid, xyz: readonly number[]): number | null {
  const ijk = rasToVoxelIndex(grid, xyz)
  if (!ijk) return null
  const [nx, ny] = grid.dims
  return grid.data[ijk[0] + nx * (ijk[1] + ny * ijk[2])]
}

function invert3(m: number[][]): number[][] {
  const [a, b, c] = m[0]
  const [d, e, f] = m[1]
  const [g, h, i] = m[2]
  const A = e * i - f * h
  const B = -(d * i - f * g)
  const C = d * h - e * g
  const det = a * A + b * B + c * C
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error(`rasToVoxel: the affine's 3x3 part is singular (determinant ${det})`)
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det]
  ]
}

/**
 * Converts a payload grid into cornerstone's description: LPS origin, unit direction rows,
 * spacing, and the data reordered so that the grid is right-handed and closest to the LPS axes.
 *
 * @throws when dims and data length disagree, or the affine is singular or sheared (cornerstone
 *         cannot represent non-orthogonal voxel axes).
 */
export function toCornerstoneGeometry(grid: VolumeGrid, what = 'volume'): CornerstoneGeometry {
  const { dims, affine, data } = grid
  const n = dims[0] * dims[1] * dims[2]
  if (!dims.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`${what}: dims must be positive integers, got [${dims.join(', ')}]`)
  if (data.length !== n) throw new Error(`${what}: data has ${data.length} voxels, dims [${dims.join(', ')}] need ${n}`)
  if (affine.length !== 4 || affine.some((row) => row.length !== 4 || row.some((v) => !Number.isFinite(v)))) {
    throw new Error(`${what}: the affine must be a finite 4x4 row-major matrix`)
  }

  // Column c of the LPS matrix: the world step of one voxel along payload axis c.
  const step: Vec3[] = [0, 1, 2].map((c) => rasToLps([affine[0][c], affine[1][c], affine[2][c]]))
  const size = step.map((v) => Math.hypot(v[0], v[1], v[2])) as Vec3
  if (size.some((s) => s < 1e-9)) throw new Error(`${what}: the affine has a zero-length voxel axis (singular)`)
  const unit = step.map((v, c) => v.map((x) => x / size[c]) as Vec3)
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 3; b++) {
      const dot = unit[a][0] * unit[b][0] + unit[a][1] * unit[b][1] + unit[a][2] * unit[b][2]
      if (Math.abs(dot) > 1e-3)
        throw new Error(`${what}: voxel axes ${a} and ${b} are not orthogonal (cosine ${dot.toFixed(4)}); sheared affines cannot be displayed`)
    }
  }

  // Greedy assignment: each LPS axis takes the payload axis most aligned with it.
  const axis: Vec3 = [-1, -1, -1]
  const sign: Vec3 = [1, 1, 1]
  const used = new Set<number>()
  for (const a of orderByAlignment(unit)) {
    let best = -1
    for (let c = 0; c < 3; c++) if (!used.has(c) && (best < 0 || Math.abs(unit[c][a]) > Math.abs(unit[best][a]))) best = c
    used.add(best)
    axis[a] = best
    sign[a] = unit[best][a] < 0 ? -1 : 1
  }

  const dimensions = [dims[axis[0]], dims[axis[1]], dims[axis[2]]] as Vec3
  const spacing = [size[axis[0]], size[axis[1]], size[axis[2]]] as Vec3
  // `+ 0` turns -0 into 0 so that equal directions compare equal.
  const direction = [0, 1, 2].flatMap((a) => unit[axis[a]].map((x) => x * sign[a] + 0)) as CornerstoneGeometry['direction']
  const firstVoxel: Vec3 = [0, 0, 0]
  for (let a = 0; a < 3; a++) if (sign[a] < 0) firstVoxel[axis[a]] = dims[axis[a]] - 1
  const origin = rasToLps(voxelToRas(affine, firstVoxel))

  const identity = axis[0] === 0 && axis[1] === 1 && axis[2] === 2 && sign.every((s) => s > 0)
  const scalarData = identity ? data : reorder(data, dims, axis, sign)
  return { dimensions, spacing, origin, direction, scalarData, axis, sign }
}

/** LPS axes in the order of how decisively some payload axis points along them. */
function orderByAlignment(unit: Vec3[]): number[] {
  const strength = [0, 1, 2].map((a) => Math.max(...unit.map((u) => Math.abs(u[a]))))
  return [0, 1, 2].sort((x, y) => strength[y] - strength[x])
}

function reorder(data: Float32Array, dims: Vec3, axis: Vec3, sign: Vec3): Float32Array {
  const stride: Vec3 = [1, dims[0], dims[0] * dims[1]]
  const step = [0, 1, 2].map((a) => sign[a] * stride[axis[a]])
  let start = 0
  for (let a = 0; a < 3; a++) if (sign[a] < 0) start += (dims[axis[a]] - 1) * stride[axis[a]]
  const [n0, n1, n2] = [dims[axis[0]], dims[axis[1]], dims[axis[2]]]
  const out = new Float32Array(data.length)
  let o = 0
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      let src = start + k * step[2] + j * step[1]
      for (let i = 0; i < n0; i++, src += step[0]) out[o++] = data[src]
    }
  }
  return out
}

/** LPS mm of a voxel (0-based) of the reoriented grid. */
export function cornerstoneVoxelToLps(g: Pick<CornerstoneGeometry, 'origin' | 'direction' | 'spacing'>, ijk: readonly number[]): Vec3 {
  const out: Vec3 = [g.origin[0], g.origin[1], g.origin[2]]
  for (let a = 0; a < 3; a++) {
    for (let r = 0; r < 3; r++) out[r] += ijk[a] * g.spacing[a] * g.direction[3 * a + r]
  }
  return out
}

/** Index into the reoriented data of the voxel that was (i, j, k) in the payload. */
export function payloadToCornerstoneIndex(g: Pick<CornerstoneGeometry, 'dimensions' | 'axis' | 'sign'>, ijk: readonly number[]): number {
  const idx = [0, 1, 2].map((a) => (g.sign[a] > 0 ? ijk[g.axis[a]] : g.dimensions[a] - 1 - ijk[g.axis[a]]))
  return idx[0] + g.dimensions[0] * (idx[1] + g.dimensions[1] * idx[2])
}

/**
 * How far (mm, signed, along the unit view-plane normal) a slice view's camera must move so that
 * its slice passes through `target`, the target first clamped into `bounds` ([xmin, xmax, ymin,
 * ymax, zmin, zmax], same space as the camera); 0 when the slice already does (within 1 µm).
 * Moving focal point and position by `shift * normal` changes the slice and nothing in the plane
 * (no pan), which is what cornerstone's `jumpToWorld` does before drawing.
 */
export function sliceShift(focalPoint: readonly number[], normal: readonly number[], target: readonly number[], bounds?: readonly number[]): number {
  let shift = 0
  for (let a = 0; a < 3; a++) {
    const t = bounds ? Math.max(bounds[2 * a], Math.min(bounds[2 * a + 1], target[a])) : target[a]
    shift += (t - focalPoint[a]) * normal[a]
  }
  return Math.max(Math.abs(shift * normal[0]), Math.abs(shift * normal[1]), Math.abs(shift * normal[2])) > 1e-3 ? shift : 0
}
