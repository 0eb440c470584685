/**
 * Regions of interest stored as boxes in MNI152 millimetres (resources/roi/*.json), and their
 * conversion to voxel ranges through an image's own affine, so the same box works on LAS- and
 * RAS-stored grids and at any resolution.
 */
import { z } from 'zod'
import hippocampusJson from '../../resources/roi/hippocampus.json'
import referenceJson from '../../resources/roi/reference-regions.json'
import { applyAffine, invertAffine } from '../volume/affine'
import type { Grid } from '../volume/grid'
import type { Volume } from '../volume/types'

const range = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo <= hi, 'range must be [low, high]')
const boxSchema = z.object({ x: range, y: range, z: range })
/** An axis-aligned box in MNI mm (RAS+), bounds inclusive, voxel-centre coordinates. */
export type MniBox = z.infer<typeof boxSchema>

const hippocampusSchema = z.object({
  boxes: z.object({ left: boxSchema, right: boxSchema }),
  defaultMarginVoxels: z.number().int().min(0)
})
const referenceSchema = z.object({
  regions: z.record(z.string(), z.object({ label: z.string(), boxes: z.array(boxSchema).min(1), source: z.string() }))
})

function parseResource<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new Error(`resources/roi/${name} is invalid: ${parsed.error.message}`)
  return parsed.data
}

const hippocampus = parseResource('hippocampus.json', hippocampusSchema, hippocampusJson)
const references = parseResource('reference-regions.json', referenceSchema, referenceJson)

/** Left and right hippocampus boxes in MNI mm (from the AAL atlas; see the JSON's source). */
export const HIPPOCAMPUS_BOXES: Readonly<{ left: MniBox; right: MniBox }> = Object.freeze(hippocampus.boxes)
/** Default crop margin around the hippocampus boxes, in voxels of the image grid. */
export const DEFAULT_CROP_MARGIN = hippocampus.defaultMarginVoxels

export type ReferenceRegionName = 'pons' | 'cerebellum'

/** The boxes of a PET reference region. @throws Error for an unknown region name. */
export function referenceRegion(name: ReferenceRegionName): { label: string; boxes: MniBox[] } {
  const region = references.regions[name]
  if (!region) throw new Error(`referenceRegion: unknown region '${name}' (known: ${Object.keys(references.regions).join(', ')})`)
  return region
}

/** Centre of a box in mm. */
export function boxCentre(box: MniBox): [number, number, number] {
  return [(box.x[0] + box.x[1]) / 2, (box.y[0] + box.y[1]) / 2, (box.z[0] + box.z[1]) / 2]
}

/**
 * Inclusive 0-based voxel ranges [[i0, i1], [j0, j1], [k0, k1]] of the grid voxels whose
 * centres lie in the box (corners mapped through the inverse affine, rounded to the nearest
 * voxel). Ranges may extend outside the grid; callers clip or pad.
 */
export function boxToVoxelRange(box: MniBox, grid: Grid): [[number, number], [number, number], [number, number]] {
  const inv = invertAffine(grid.affine)
  const lo = [Infinity, Infinity, Infinity]
  const hi = [-Infinity, -Infinity, -Infinity]
  for (const x of box.x)
    for (const y of box.y)
      for (const zz of box.z) {
        const v = applyAffine(inv, [x, y, zz])
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], v[a])
          hi[a] = Math.max(hi[a], v[a])
        }
      }
  // Small tolerance so voxel centres exactly on a bound are inside.
  return [0, 1, 2].map((a) => [Math.ceil(lo[a] - 1e-6), Math.floor(hi[a] + 1e-6)]) as [[number, number], [number, number], [number, number]]
}

/**
 * Mean and count of the finite voxel values of `vol` whose centres lie in any of the boxes
 * (a voxel in two boxes counts once).
 */
export function statsInBoxes(vol: Volume, boxes: MniBox[]): { mean: number; sum: number; count: number } {
  const [nx, ny, nz] = vol.dims
  const seen = new Uint8Array(nx * ny * nz)
  let sum = 0
  let count = 0
  for (const box of boxes) {
    const [[i0, i1], [j0, j1], [k0, k1]] = boxToVoxelRange(box, vol)
    for (let k = Math.max(0, k0); k <= Math.min(nz - 1, k1); k++)
      for (let j = Math.max(0, j0); j <= Math.min(ny - 1, j1); j++)
        for (let i = Math.max(0, i0); i <= Math.min(nx - 1, i1); i++) {
          const idx = i + nx * (j + ny * k)
          const v = vol.data[idx]
          if (seen[idx] || !Number.isFinite(v)) continue
          seen[idx] = 1
          sum += v
          count++
        }
  }
  return { mean: count > 0 ? sum / count : NaN, sum, count }
}
