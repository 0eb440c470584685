/**
 * Resampling a volume onto another voxel grid through world space (trilinear for images,
 * nearest neighbour for label maps), and bringing scans that are already in MNI space onto
 * the 91 x 109 x 91 2 mm MNI grid, whatever their resolution or storage order.
 */
import { invertAffine, multiplyAffines, axisOrientation, voxelSizes } from '../volume/affine'
import { NiftiError } from '../readers/nifti/errors'
import type { Volume } from '../volume/types'
import { MNI_2MM, sameGrid, worldBounds, type Grid } from '../volume/grid'

export type Interpolation = 'linear' | 'nearest'

/** Tolerance (voxels) for target points that fall just outside the source grid through rounding. */
const EDGE_EPS = 1e-4

/**
 * Samples `vol` at the voxel centres of `grid`. Points outside the source field of view get 0.
 * The result has the grid's dims and affine.
 * @param method 'linear' (trilinear, for intensities) or 'nearest' (for labels and masks).
 */
export function resampleToGrid(vol: Volume, grid: Grid, method: Interpolation = 'linear'): Volume {
  const [tx, ty, tz] = grid.dims
  const spacing = voxelSizes(grid.affine)
  if (sameGrid(vol, grid)) {
    return { dims: [...grid.dims], spacing, affine: grid.affine.map((r) => r.slice()), data: vol.data.slice() }
  }
  const [nx, ny, nz] = vol.dims
  const src = vol.data
  // Target voxel -> source voxel, linear in (i, j, k): walk it incrementally.
  const m = multiplyAffines(invertAffine(vol.affine), grid.affine)
  const out = new Float32Array(tx * ty * tz)
  const sxy = nx * ny
  let o = 0
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      let x = m[0][1] * j + m[0][2] * k + m[0][3]
      let y = m[1][1] * j + m[1][2] * k + m[1][3]
      let z = m[2][1] * j + m[2][2] * k + m[2][3]
      for (let i = 0; i < tx; i++, o++, x += m[0][0], y += m[1][0], z += m[2][0]) {
        if (x < -EDGE_EPS || y < -EDGE_EPS || z < -EDGE_EPS || x > nx - 1 + EDGE_EPS || y > ny - 1 + EDGE_EPS || z > nz - 1 + EDGE_EPS) {
          continue // outside the source: stays 0
        }
        if (method === 'nearest') {
          const ii = Math.min(nx - 1, Math.max(0, Math.round(x)))
          const jj = Math.min(ny - 1, Math.max(0, Math.round(y)))
          const kk = Math.min(nz - 1, Math.max(0, Math.round(z)))
          out[o] = src[ii + nx * jj + sxy * kk]
          continue
        }
        // Corner voxel and weights, clamped so the last plane interpolates with weight 1.
        const cx = Math.min(Math.max(x, 0), nx - 1)
        const cy = Math.min(Math.max(y, 0), ny - 1)
        const cz = Math.min(Math.max(z, 0), nz - 1)
        const x0 = Math.min(Math.floor(cx), Math.max(nx - 2, 0))
        const y0 = Math.min(Math.floor(cy), Math.max(ny - 2, 0))
        const z0 = Math.min(Math.floor(cz), Math.max(nz - 2, 0))
        const fx = cx - x0
        const fy = cy - y0
        const fz = cz - z0
        const dx = nx > 1 ? 1 : 0
        const dy = ny > 1 ? nx : 0
        const dz = nz > 1 ? sxy : 0
        const b = x0 + nx * y0 + sxy * z0
        const c00 = src[b] * (1 - fx) + src[b + dx] * fx
        const c10 = src[b + dy] * (1 - fx) + src[b + dy + dx] * fx
        const c01 = src[b + dz] * (1 - fx) + src[b + dz + dx] * fx
        const c11 = src[b + dz + dy] * (1 - fx) + src[b + dz + dy + dx] * fx
        out[o] = (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz
      }
    }
  }
  return { dims: [tx, ty, tz], spacing, affine: grid.affine.map((r) => r.slice()), data: out }
}

/** The part of MNI space any brain image must cover (mm, RAS): cortex to cerebellum. */
const MNI_BRAIN_BOX = [
  [-65, 65],
  [-100, 65],
  [-45, 75]
]
/** Centre of the standard MNI bounding box (x -90..90, y -126..90, z -72..108). */
const MNI_BOX_CENTRE = [0, -18, 18]

export interface MniCheck {
  ok: boolean
  /** Why the scan does not look like an MNI-space image (empty when ok). */
  reasons: string[]
}

type MaybeHeader = { header?: { sformCode?: number; qformCode?: number; file?: string } }

/**
 * Decides whether a scan looks spatially normalised to MNI space, from its affine and field
 * of view: the axes must be aligned with x, y, z (normalised images are never oblique), the
 * field of view must cover the brain part of MNI space without being much larger than a head,
 * and either the header says MNI / template space (xform code 4 or 5) or the field of view is
 * centred (within 15 mm) where standard MNI bounding boxes are centred. This is a heuristic:
 * it accepts the FSL/SPM/ICBM grids and SPM's default normalisation box, and rejects oblique,
 * partial or off-centre (scanner isocentre) native scans.
 */
export function checkMniSpace(vol: Volume & MaybeHeader): MniCheck {
  const reasons: string[] = []
  const zooms = voxelSizes(vol.affine)
  const orient = axisOrientation(vol.affine)
  let maxOff = 0
  orient.forEach(([w], c) => {
    for (let r = 0; r < 3; r++) if (r !== w) maxOff = Math.max(maxOff, Math.abs(vol.affine[r][c]) / zooms[c])
  })
  if (maxOff > 1e-3) reasons.push(`its axes are rotated (oblique by ${((Math.asin(Math.min(1, maxOff)) * 180) / Math.PI).toFixed(1)} degrees)`)
  const bounds = worldBounds(vol)
  const axes = ['x', 'y', 'z']
  bounds.forEach(([lo, hi], a) => {
    if (lo > MNI_BRAIN_BOX[a][0] || hi < MNI_BRAIN_BOX[a][1]) {
      reasons.push(
        `its field of view ${axes[a]} ${lo.toFixed(0)}..${hi.toFixed(0)} mm does not cover the brain in MNI space (${MNI_BRAIN_BOX[a][0]}..${MNI_BRAIN_BOX[a][1]} mm)`
      )
    } else if (hi - lo > 260) {
      reasons.push(`its field of view along ${axes[a]} is ${(hi - lo).toFixed(0)} mm, larger than any MNI template`)
    }
  })
  // Codes 4 (MNI152) and 5 (template) are trusted; code 1 (scanner) is not taken as proof of
  // native space, because ITK/ANTs write code 1 on every output, MNI-registered or not.
  const h = vol.header
  const code = h ? (h.sformCode && h.sformCode > 0 ? h.sformCode : (h.qformCode ?? 0)) : 0
  if (code !== 4 && code !== 5) {
    const centre = bounds.map(([lo, hi]) => (lo + hi) / 2)
    const off = Math.hypot(...centre.map((c, a) => c - MNI_BOX_CENTRE[a]))
    if (off > 15) reasons.push(`its field of view is centred ${off.toFixed(0)} mm away from the MNI bounding box centre`)
  }
  return { ok: reasons.length === 0, reasons }
}

/**
 * Brings a scan in MNI space onto the 91 x 109 x 91 2 mm MNI grid (trilinear, or nearest for
 * label maps). Scans that do not look normalised (see checkMniSpace) are refused unless
 * `allowNonMni` is set, in which case they are resampled by their world coordinates as they are.
 * @throws NiftiError "… was given as an MNI-space scan but does not look spatially normalised …".
 */
export function toMni2mm(vol: Volume & MaybeHeader, opts: { allowNonMni?: boolean; method?: Interpolation } = {}): { volume: Volume; step: string } {
  const file = vol.header?.file ?? '(volume)'
  const check = checkMniSpace(vol)
  if (!check.ok && !opts.allowNonMni) {
    throw new NiftiError(
      file,
      `was given as an MNI-space scan but does not look spatially normalised: ${check.reasons.join('; ')}. ` +
        'Import it as a native-space scan (it is then registered to the MNI template here), or allow non-MNI scans in the settings if you know it is aligned.'
    )
  }
  const method = opts.method ?? 'linear'
  if (sameGrid(vol, MNI_2MM)) return { volume: resampleToGrid(vol, MNI_2MM, method), step: 'already on the MNI 2 mm grid' }
  const from = `${vol.dims.join('x')} ${voxelSizes(vol.affine)
    .map((s) => +s.toFixed(2))
    .join('x')} mm`
  const note = check.ok ? '' : ' (not recognised as MNI space; allowed by the user)'
  return {
    volume: resampleToGrid(vol, MNI_2MM, method),
    step: `resampled ${from} onto the MNI 2 mm grid 91x109x91 (${method === 'linear' ? 'trilinear' : 'nearest neighbour'})${note}`
  }
}
