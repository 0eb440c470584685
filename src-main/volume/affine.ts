/**
 * Pure 4x4 affine arithmetic for voxel <-> world transforms.
 *
 * Conventions (same as types.ts): matrices are row-major `number[][]`, they map 0-based voxel
 * indices (i, j, k) to world millimetres (x, y, z) in RAS+. Only the top three rows are
 * meaningful; the last row is always [0, 0, 0, 1].
 */
import type { Affine } from './types'

export type Vec3 = [number, number, number]
type Mat3 = number[][]

export function identityAffine(): Affine {
  return [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
}

/** a * b (apply b first, then a). */
export function multiplyAffines(a: Affine, b: Affine): Affine {
  const out: Affine = [[], [], [], []]
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      out[r][c] = a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c] + a[r][3] * b[3][c]
    }
  }
  return out
}

/** Maps the point p through the affine: returns the top three rows of a * [p, 1]. */
/**
 * Rotation about x, y and z (radians) as a 4x4 affine: Rz Ry Rx (x applied first), or Rz Rx Ry when
 * `order` is 'zxy' (elastix's EulerTransform without ComputeZYX).
 */
export function eulerRotation(ax: number, ay: number, az: number, order: 'zyx' | 'zxy' = 'zyx'): Affine {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)]
  const rx = [
    [1, 0, 0, 0],
    [0, cx, -sx, 0],
    [0, sx, cx, 0],
    [0, 0, 0, 1]
  ]
  const ry = [
    [cy, 0, sy, 0],
    [0, 1, 0, 0],
    [-sy, 0, cy, 0],
    [0, 0, 0, 1]
  ]
  const rz = [
    [cz, -sz, 0, 0],
    [sz, cz, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
  return order === 'zyx' ? multiplyAffines(rz, multiplyAffines(ry, rx)) : multiplyAffines(rz, multiplyAffines(rx, ry))
}

export function applyAffine(a: Affine, p: readonly number[]): Vec3 {
  const [x, y, z] = p
  return [
    a[0][0] * x + a[0][1] * y + a[0][2] * z + a[0][3],
    a[1][0] * x + a[1][1] * y + a[1][2] * z + a[1][3],
    a[2][0] * x + a[2][1] * y + a[2][2] * z + a[2][3]
  ]
}

function det3(m: Mat3): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  )
}

function inverse3(m: Mat3): Mat3 | null {
  const d = det3(m)
  if (!Number.isFinite(d) || d === 0) return null
  const inv = [
    [m[1][1] * m[2][2] - m[1][2] * m[2][1], m[0][2] * m[2][1] - m[0][1] * m[2][2], m[0][1] * m[1][2] - m[0][2] * m[1][1]],
    [m[1][2] * m[2][0] - m[1][0] * m[2][2], m[0][0] * m[2][2] - m[0][2] * m[2][0], m[0][2] * m[1][0] - m[0][0] * m[1][2]],
    [m[1][0] * m[2][1] - m[1][1] * m[2][0], m[0][1] * m[2][0] - m[0][0] * m[2][1], m[0][0] * m[1][1] - m[0][1] * m[1][0]]
  ]
  return inv.map((row) => row.map((v) => v / d))
}

function linearPart(a: Affine): Mat3 {
  return [a[0].slice(0, 3), a[1].slice(0, 3), a[2].slice(0, 3)]
}

/** Determinant of the 3x3 linear part (negative for left-handed storage such as LAS). */
export function affineDeterminant(a: Affine): number {
  return det3(linearPart(a))
}

/** True when every entry is finite and the linear part can be inverted. */
export function isUsableAffine(a: Affine): boolean {
  if (a.length !== 4 || a.some((row) => row.length !== 4 || row.some((v) => !Number.isFinite(v)))) return false
  const d = affineDeterminant(a)
  const scale = Math.max(...linearPart(a).flat().map(Math.abs))
  return scale > 0 && Math.abs(d) > 1e-12 * scale ** 3
}

/**
 * Inverse of an affine (world -> voxel when given voxel -> world).
 * @throws Error when the linear part is singular or not finite.
 */
export function invertAffine(a: Affine): Affine {
  const inv = isUsableAffine(a) ? inverse3(linearPart(a)) : null
  if (!inv) throw new Error('invertAffine: the affine is singular or not finite')
  const t = [a[0][3], a[1][3], a[2][3]]
  const out: Affine = [[], [], [], [0, 0, 0, 1]]
  for (let r = 0; r < 3; r++) {
    out[r] = [inv[r][0], inv[r][1], inv[r][2], -(inv[r][0] * t[0] + inv[r][1] * t[1] + inv[r][2] * t[2])]
  }
  return out
}

/** Voxel sizes in mm implied by an affine: the Euclidean norms of its first three columns. */
export function voxelSizes(a: Affine): Vec3 {
  const n = (c: number) => Math.hypot(a[0][c], a[1][c], a[2][c])
  return [n(0), n(1), n(2)]
}

/** Nearest orthogonal matrix (polar decomposition) by the Newton iteration Q <- (Q + Q^-T) / 2. */
function nearestRotation(m: Mat3): Mat3 {
  let q = m.map((r) => r.slice())
  for (let it = 0; it < 50; it++) {
    const inv = inverse3(q)
    if (!inv) return q
    const next = q.map((row, r) => row.map((v, c) => 0.5 * (v + inv[c][r])))
    const delta = Math.max(...next.flat().map((v, i) => Math.abs(v - q.flat()[i])))
    q = next
    if (delta < 1e-14) break
  }
  return q
}

/**
 * For each voxel axis, the world axis it runs along and its direction, as nibabel's
 * `io_orientation` computes it: [worldAxis (0 = x, 1 = y, 2 = z), +1 | -1] per voxel axis.
 * Oblique affines get the closest axis.
 */
export function axisOrientation(a: Affine): Array<[number, 1 | -1]> {
  const zooms = voxelSizes(a)
  const rs = linearPart(a).map((row) => row.map((v, c) => v / (zooms[c] || 1)))
  const r = nearestRotation(rs)
  const out: Array<[number, 1 | -1]> = []
  for (let c = 0; c < 3; c++) {
    let best = -1
    let bestAbs = 0
    for (let w = 0; w < 3; w++) {
      const v = Math.abs(r[w][c])
      if (v > bestAbs + 1e-12) {
        bestAbs = v
        best = w
      }
    }
    if (best < 0) throw new Error('axisOrientation: the affine has a zero column')
    out.push([best, r[best][c] < 0 ? -1 : 1])
    for (let cc = 0; cc < 3; cc++) r[best][cc] = 0
  }
  return out
}

/**
 * Orientation code of the voxel axes, e.g. 'LAS': the first letter says where the first voxel
 * axis (i) points (L = towards the subject's left, i.e. decreasing x), and so on for j and k.
 */
export function orientationCode(a: Affine): string {
  const letters = [
    ['L', 'R'],
    ['P', 'A'],
    ['I', 'S']
  ]
  return axisOrientation(a)
    .map(([w, sign]) => letters[w][sign > 0 ? 1 : 0])
    .join('')
}

/**
 * Rotation matrix of a NIfTI-1 unit quaternion given by its (b, c, d) part; a is derived as
 * sqrt(1 - b^2 - c^2 - d^2). Returns null when b^2 + c^2 + d^2 exceeds 1 beyond rounding.
 */
export function quaternionToRotation(b: number, c: number, d: number): Mat3 | null {
  const w2 = 1 - (b * b + c * c + d * d)
  if (!(w2 >= -1e-6)) return null
  const a = w2 > 0 ? Math.sqrt(w2) : 0
  return [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b]
  ]
}

/** The qform affine (NIfTI-1 method 2): R * diag(dx, dy, qfac * dz) plus the offsets. */
export function qformAffine(quat: { b: number; c: number; d: number }, offset: Vec3, pixdim: Vec3, qfac: 1 | -1): Affine | null {
  const rot = quaternionToRotation(quat.b, quat.c, quat.d)
  if (!rot) return null
  const s = [pixdim[0], pixdim[1], pixdim[2] * qfac]
  // `+ 0` turns -0 (from products with zero rotation entries) into 0.
  return [
    [rot[0][0] * s[0] + 0, rot[0][1] * s[1] + 0, rot[0][2] * s[2] + 0, offset[0]],
    [rot[1][0] * s[0] + 0, rot[1][1] * s[1] + 0, rot[1][2] * s[2] + 0, offset[1]],
    [rot[2][0] * s[0] + 0, rot[2][1] * s[1] + 0, rot[2][2] * s[2] + 0, offset[2]],
    [0, 0, 0, 1]
  ]
}

/**
 * The qform parameters that best represent an affine (shears dropped), as nibabel's
 * `set_qform` computes them: voxel sizes are the column norms, qfac is -1 for a left-handed
 * matrix, and the quaternion has a >= 0.
 */
export function affineToQform(a: Affine): {
  b: number
  c: number
  d: number
  offset: Vec3
  pixdim: Vec3
  qfac: 1 | -1
} {
  const zooms = voxelSizes(a)
  const m = linearPart(a).map((row) => row.map((v, c) => v / (zooms[c] || 1)))
  const r = nearestRotation(m)
  let qfac: 1 | -1 = 1
  if (det3(r) < 0) {
    qfac = -1
    for (let row = 0; row < 3; row++) r[row][2] = -r[row][2]
  }
  // Shepperd's method on the proper rotation r.
  const tr = r[0][0] + r[1][1] + r[2][2]
  let qa: number, qb: number, qc: number, qd: number
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1)
    qa = s / 4
    qb = (r[2][1] - r[1][2]) / s
    qc = (r[0][2] - r[2][0]) / s
    qd = (r[1][0] - r[0][1]) / s
  } else if (r[0][0] > r[1][1] && r[0][0] > r[2][2]) {
    const s = 2 * Math.sqrt(1 + r[0][0] - r[1][1] - r[2][2])
    qa = (r[2][1] - r[1][2]) / s
    qb = s / 4
    qc = (r[0][1] + r[1][0]) / s
    qd = (r[0][2] + r[2][0]) / s
  } else if (r[1][1] > r[2][2]) {
    const s = 2 * Math.sqrt(1 + r[1][1] - r[0][0] - r[2][2])
    qa = (r[0][2] - r[2][0]) / s
    qb = (r[0][1] + r[1][0]) / s
    qc = s / 4
    qd = (r[1][2] + r[2][1]) / s
  } else {
    const s = 2 * Math.sqrt(1 + r[2][2] - r[0][0] - r[1][1])
    qa = (r[1][0] - r[0][1]) / s
    qb = (r[0][2] + r[2][0]) / s
    qc = (r[1][2] + r[2][1]) / s
    qd = s / 4
  }
  if (qa < 0) {
    qb = -qb
    qc = -qc
    qd = -qd
  }
  return { b: qb, c: qc, d: qd, offset: [a[0][3], a[1][3], a[2][3]], pixdim: zooms, qfac }
}

/**
 * The affine nibabel uses when a header has neither sform nor qform (`get_base_affine`):
 * voxel sizes on the diagonal with x flipped (radiological Analyze convention) and the world
 * origin at the centre of the voxel grid.
 */
export function baseAffine(dims: Vec3, pixdim: Vec3): Affine {
  const z = [-pixdim[0], pixdim[1], pixdim[2]]
  const out = identityAffine()
  for (let c = 0; c < 3; c++) {
    out[c][c] = z[c]
    out[c][3] = (-(dims[c] - 1) / 2) * z[c] + 0
  }
  return out
}
