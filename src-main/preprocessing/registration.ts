/**
 * Spatial normalisation steps, with elastix (the registration toolbox of the field, here as
 * itk-wasm's WebAssembly build, @itk-wasm/elastix: no native install, same results as the
 * elastix CLI for the same parameter map; see bench/registration-bench.ts):
 *   registerT1ToTemplate  T1-weighted (native) -> the MNI T1 template: affine (default), or affine then B-spline
 *   registerRigid         PET -> the same subject's T1 (rigid)
 *   composeRegistrations  [template <- T1] then [T1 <- PET]: one transform from the MNI grid into the PET
 *   resampleOntoMni       one resampling of the moving image onto the MNI 2 mm grid through a registration
 *   registrationQc        normalised cross-correlation with a template inside its brain mask
 *
 * A Registration holds elastix's own transform parameter maps, which map points of the FIXED
 * image (the MNI grid) to points of the MOVING image (ITK's LPS millimetres), applied first map
 * first. `worldFromMni` is the same mapping in the app's RAS millimetres when every map is linear.
 */
import { eulerRotation, multiplyAffines } from '../volume/affine'
import { itkGeometryOf, itkImageOf, volumeFromItk } from '../volume/itk-image'
import { MNI_2MM, sameGrid } from '../volume/grid'
import type { Affine, Volume } from '../volume/types'
import { maskedCorrelation } from './input-kind'

/** One elastix parameter map: every value is a list of strings, as elastix stores them. */
export type ElastixMap = Record<string, string[]>

export interface RegistrationSettings {
  /** 'affine' (12 parameters), or 'bspline': affine then a B-spline stage (10 mm final grid). */
  model: 'affine' | 'bspline'
}

export const DEFAULT_REGISTRATION: RegistrationSettings = { model: 'affine' }

export interface Registration {
  maps: ElastixMap[]
  /** MNI world (RAS mm) -> moving world (RAS mm), or null when a map is not linear (B-spline). */
  worldFromMni: Affine | null
  step: string
}

/** NCC below this with the template in the brain mask flags a registration as failed. Measured
 *  (test/main/registration.test.ts): synthetic native T1s 0.9, PET 0.8; half a scan missing 0.3,
 *  a PET registered as a T1 below 0. */
export const QC_MIN_NCC = 0.6

// The settings measured in ../shared/templates/README.md: 4 resolutions, 256 iterations, 2048
// samples, Mattes mutual information (elastix's default metric), centre-of-gravity start.
const STAGE_SETTINGS: ElastixMap = {
  MaximumNumberOfIterations: ['256'],
  NumberOfSpatialSamples: ['2048'],
  ResultImagePixelType: ['float'],
  ResampleInterpolator: ['FinalLinearInterpolator'],
  WriteResultImage: ['false']
}

type ElastixModule = typeof import('@itk-wasm/elastix')
let elastixModule: Promise<ElastixModule> | null = null
/** The WebAssembly pipelines load from the package's dist/pipelines on first use. */
function elastix(): Promise<ElastixModule> {
  elastixModule ??= import('@itk-wasm/elastix')
  return elastixModule
}

/** The parameter maps the registration steps run (exported for the benchmark against the elastix CLI). */
export async function stageMaps(stages: Array<'rigid' | 'affine' | 'bspline'>): Promise<ElastixMap[]> {
  const { defaultParameterMapNode } = await elastix()
  const maps: ElastixMap[] = []
  for (const [i, stage] of stages.entries()) {
    const { parameterMap } = await defaultParameterMapNode(stage, { numberOfResolutions: 4, finalGridSpacing: 10 })
    const map = { ...(parameterMap as ElastixMap), ...STAGE_SETTINGS }
    // Without a start at the centres of gravity, scanner-space offsets of 10 cm and more fail.
    if (i === 0) Object.assign(map, { AutomaticTransformInitialization: ['true'], AutomaticTransformInitializationMethod: ['CenterOfGravity'] })
    maps.push(map)
  }
  return maps
}

async function runElastix(
  fixed: Volume,
  moving: Volume,
  stages: Array<'rigid' | 'affine' | 'bspline'>,
  signal?: AbortSignal
): Promise<{ maps: ElastixMap[]; ms: number }> {
  signal?.throwIfAborted()
  let lo = Infinity
  let hi = -Infinity
  for (const v of moving.data) {
    if (!Number.isFinite(v)) continue
    lo = Math.min(lo, v)
    hi = Math.max(hi, v)
  }
  if (!(hi > lo)) throw new Error(`cannot register an image without structure (every voxel ${Number.isFinite(lo) ? `is ${lo}` : 'is NaN or infinite'})`)
  const { elastixNode } = await elastix()
  const t0 = Date.now()
  let r: Awaited<ReturnType<ElastixModule['elastixNode']>>
  try {
    r = await elastixNode(await stageMaps(stages), { fixed: itkImageOf(fixed, 'fixed'), moving: itkImageOf(moving, 'moving') })
  } catch (err) {
    // The WebAssembly build throws a bare number (an exception pointer) for elastix's own errors.
    throw new Error(`elastix failed (${err instanceof Error ? err.message : 'an internal error; the images may not overlap or hold too little structure'})`, {
      cause: err
    })
  }
  signal?.throwIfAborted()
  const maps = r.transformParameterObject as unknown as ElastixMap[]
  if (!Array.isArray(maps) || maps.length !== stages.length)
    throw new Error(`elastix returned ${Array.isArray(maps) ? maps.length : 'no'} transform maps for ${stages.length} stages`)
  return { maps, ms: Date.now() - t0 }
}

const num = (m: ElastixMap, key: string): number[] => {
  const v = m[key]
  if (!v) throw new Error(`elastix transform map without ${key}`)
  return v.map(Number)
}

/** Rotation of elastix's EulerTransform: R = Rz Ry Rx when ComputeZYX is true, else Rz Rx Ry. */
function eulerMatrix([ax, ay, az]: number[], zyx: boolean): number[][] {
  return eulerRotation(ax!, ay!, az!, zyx ? 'zyx' : 'zxy')
}

/** A linear elastix map as a RAS 4x4 (fixed world -> moving world), or null when it is not linear. */
export function mapToRasAffine(m: ElastixMap): Affine | null {
  const kind = m.Transform?.[0]
  const p = num(m, 'TransformParameters')
  const c = m.CenterOfRotationPoint ? num(m, 'CenterOfRotationPoint') : [0, 0, 0]
  let lin: number[][]
  let t: number[]
  if (kind === 'AffineTransform') {
    lin = [p.slice(0, 3), p.slice(3, 6), p.slice(6, 9)]
    t = p.slice(9, 12)
  } else if (kind === 'EulerTransform') {
    lin = eulerMatrix(p.slice(0, 3), m.ComputeZYX?.[0] === 'true')
      .slice(0, 3)
      .map((r) => r.slice(0, 3))
    t = p.slice(3, 6)
  } else if (kind === 'TranslationTransform') {
    lin = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1]
    ]
    t = p.slice(0, 3)
  } else return null
  // LPS: y = M (x - c) + t + c. RAS = F LPS with F = diag(-1, -1, 1): y' = F M F x' + F (t + c - M c).
  const F = [-1, -1, 1]
  const a: Affine = [[], [], [], [0, 0, 0, 1]]
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) a[r]![col] = F[r]! * lin[r]![col]! * F[col]!
    const mc = lin[r]![0]! * c[0]! + lin[r]![1]! * c[1]! + lin[r]![2]! * c[2]!
    a[r]![3] = F[r]! * (t[r]! + c[r]! - mc)
  }
  return a
}

/** Maps applied first to last: world_moving = T_last(... T_first(world_fixed)). */
function composedAffine(maps: ElastixMap[]): Affine | null {
  let acc: Affine | null = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]
  ]
  for (const m of maps) {
    const a = mapToRasAffine(m)
    if (!a || !acc) return null
    acc = multiplyAffines(a, acc)
  }
  return acc
}

function describe(maps: ElastixMap[], what: string, ms: number): string {
  const kinds = maps.map((m) => (m.Transform?.[0] ?? '?').replace('Transform', '').replace('Euler', 'rigid').replace('Recursive', '').toLowerCase())
  return `${what}: elastix ${kinds.join(' + ')} (Mattes mutual information, 4 resolutions, centre-of-gravity start) in ${(ms / 1000).toFixed(1)} s`
}

/** T1-weighted scan (any space, any grid) -> the MNI T1 template on MNI_2MM. */
export async function registerT1ToTemplate(t1: Volume, template: Volume, settings: RegistrationSettings, signal?: AbortSignal): Promise<Registration> {
  const stages: Array<'affine' | 'bspline'> = settings.model === 'bspline' ? ['affine', 'bspline'] : ['affine']
  const { maps, ms } = await runElastix(template, t1, stages, signal)
  return { maps, worldFromMni: composedAffine(maps), step: describe(maps, 'registered to the MNI T1 template', ms) }
}

/** Rigid (6 parameters) registration of `moving` onto `fixed`: PET onto the same subject's T1. */
export async function registerRigid(fixed: Volume, moving: Volume, what: string, signal?: AbortSignal): Promise<Registration> {
  const { maps, ms } = await runElastix(fixed, moving, ['rigid'], signal)
  return { maps, worldFromMni: null, step: describe(maps, what, ms) }
}

/** Affine registration onto a template without a T1 (a PET onto the PET-like template). */
export async function registerAffine(template: Volume, moving: Volume, what: string, signal?: AbortSignal): Promise<Registration> {
  const { maps, ms } = await runElastix(template, moving, ['affine'], signal)
  return { maps, worldFromMni: composedAffine(maps), step: describe(maps, what, ms) }
}

const GRID_KEYS = ['Size', 'Spacing', 'Origin', 'Direction', 'Index'] as const

/**
 * [MNI -> T1] then [T1 -> PET] as one registration from the MNI grid into the PET: the maps in
 * that order, the output grid (MNI's) copied into the last one, which is where transformix takes
 * it from. (The reverse order resamples the PET nowhere near MNI: r = 0.21 against the truth.)
 */
export function composeRegistrations(toT1: Registration, t1ToPet: Registration): Registration {
  const first = toT1.maps[0]!
  const grid = Object.fromEntries(GRID_KEYS.filter((k) => first[k]).map((k) => [k, first[k]!]))
  const maps = [...toT1.maps, ...t1ToPet.maps.map((m, i, all) => (i === all.length - 1 ? { ...m, ...grid } : m))]
  return { maps, worldFromMni: composedAffine(maps), step: `composed with the T1's registration into one resampling (${maps.length} transforms)` }
}

/**
 * The moving image on the MNI 2 mm grid through a registration, in one resampling (trilinear,
 * outside the moving image 0), by elastix's transformix.
 */
export async function resampleOntoMni(moving: Volume, reg: Registration, signal?: AbortSignal): Promise<{ volume: Volume; step: string }> {
  signal?.throwIfAborted()
  const { transformixNode } = await elastix()
  const g = itkGeometryOf(MNI_2MM)
  const last = {
    ...reg.maps[reg.maps.length - 1]!,
    ResampleInterpolator: ['FinalLinearInterpolator'],
    ResultImagePixelType: ['float'],
    DefaultPixelValue: ['0']
  }
  Object.assign(last, {
    Size: g.size.map(String),
    Spacing: g.spacing.map(String),
    Origin: g.origin.map(String),
    Direction: Array.from(g.direction, String),
    Index: ['0', '0', '0']
  })
  const r = await transformixNode(itkImageOf(moving, 'moving'), [...reg.maps.slice(0, -1), last] as never)
  const out = volumeFromItk(r.result as never)
  if (!sameGrid(out, MNI_2MM, 1e-3)) throw new Error('transformix did not resample onto the MNI 2 mm grid')
  return {
    volume: { ...out, affine: MNI_2MM.affine.map((row) => row.slice()) },
    step: 'resampled once onto the MNI 2 mm grid 91x109x91 through the registration (trilinear)'
  }
}

export interface RegistrationQc {
  /** Normalised cross-correlation with the template inside its brain mask. */
  ncc: number
  threshold: number
  flagged: boolean
  step: string
}

/** QC of a registered scan (on MNI_2MM): NCC with the template in the brain mask, flagged below QC_MIN_NCC. */
export function registrationQc(registered: Volume, template: Volume, brainMask: Volume, templateName: string): RegistrationQc {
  const ncc = maskedCorrelation(registered.data, template.data, brainMask.data)
  const flagged = !(ncc >= QC_MIN_NCC)
  return {
    ncc,
    threshold: QC_MIN_NCC,
    flagged,
    step: `registration QC: NCC with the ${templateName} in the brain ${ncc.toFixed(3)} ${flagged ? `< ${QC_MIN_NCC}: FLAGGED as a failed registration` : `(>= ${QC_MIN_NCC}, passed)`}`
  }
}

/** elastix's transform parameter file text of one map (what elastix and transformix read). */
export function elastixTransformText(m: ElastixMap, initialTransformFile = 'NoInitialTransform'): string {
  const quoteIfText = (v: string) => (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) ? v : `"${v}"`)
  const lines = Object.entries({ ...m, InitialTransformParameterFileName: undefined, InitialTransformParametersFileName: [initialTransformFile] })
    .filter((e): e is [string, string[]] => Array.isArray(e[1]))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `(${k} ${v.map(quoteIfText).join(' ')})`)
  return `${lines.join('\n')}\n`
}
