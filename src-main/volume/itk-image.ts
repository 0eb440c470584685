/**
 * The app's volume (RAS+ affine) <-> ITK's image geometry (origin, spacing, direction in LPS+),
 * the one conversion between the two conventions (itk-wasm readers and elastix speak ITK).
 *
 * ITK: p_LPS = origin + direction * diag(spacing) * ijk. The app: p_RAS = affine * [ijk, 1],
 * p_RAS = F p_LPS with F = diag(-1, -1, 1). Voxel order is the same in both (i fastest).
 */
import { voxelSizes } from './affine'
import type { Affine, Volume } from './types'

/** The fields of an itk-wasm `Image` this conversion reads or writes (structurally typed, so
 *  the volume layer does not depend on itk-wasm). */
export interface ItkGeometry {
  size: number[]
  spacing: number[]
  origin: number[]
  /** 3x3 row-major. */
  direction: ArrayLike<number>
}

const F = [-1, -1, 1]

/** RAS voxel -> world affine of an ITK image. */
export function affineFromItk(g: ItkGeometry): Affine {
  const a: Affine = [[], [], [], [0, 0, 0, 1]]
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) a[r]![c] = F[r]! * g.direction[3 * r + c]! * g.spacing[c]!
    a[r]![3] = F[r]! * g.origin[r]!
  }
  return a
}

/** ITK geometry (LPS) of a volume's grid. */
export function itkGeometryOf(vol: { dims: [number, number, number]; affine: Affine }): ItkGeometry {
  const spacing = voxelSizes(vol.affine)
  const direction = new Float64Array(9)
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) direction[3 * r + c] = (F[r]! * vol.affine[r]![c]!) / spacing[c]!
  return { size: [...vol.dims], spacing: [...spacing], origin: [0, 1, 2].map((r) => F[r]! * vol.affine[r]![3]!), direction }
}

/** A float32 scalar itk-wasm image over the volume's data (shared, not copied). */
export function itkImageOf(vol: Volume, name = 'volume') {
  const g = itkGeometryOf(vol)
  return {
    imageType: { dimension: 3, componentType: 'float32' as const, pixelType: 'Scalar' as const, components: 1 },
    name,
    origin: g.origin,
    spacing: g.spacing,
    direction: g.direction as Float64Array,
    size: g.size,
    metadata: new Map<string, string>(),
    data: vol.data
  }
}

/** A volume from an itk-wasm scalar image (any numeric pixel type, converted to float32). */
export function volumeFromItk(img: ItkGeometry & { data: ArrayLike<number> | null; imageType?: { components: number } }): Volume {
  if (img.size.length !== 3) throw new Error(`expected a 3-D image, got ${img.size.length}-D (${img.size.join('x')})`)
  if (img.imageType && img.imageType.components !== 1)
    throw new Error(`expected one value per voxel, got ${img.imageType.components} (colour or vector images are not scans)`)
  if (!img.data) throw new Error('the image has no pixel data')
  const affine = affineFromItk(img)
  const data = img.data instanceof Float32Array ? img.data : Float32Array.from(img.data)
  return { dims: [img.size[0]!, img.size[1]!, img.size[2]!], spacing: voxelSizes(affine), affine, data }
}
