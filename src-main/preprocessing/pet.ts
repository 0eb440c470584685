/**
 * PET intensities: SUV (body weight) when injected dose, body weight and times are known, and
 * SUVR against a reference region stored in MNI mm (resources/roi/reference-regions.json).
 */
import { readFile } from 'node:fs/promises'
import { NiftiError } from '../readers/nifti/errors'
import type { Volume } from '../volume/types'
import { referenceRegion, statsInBoxes, type ReferenceRegionName } from '../roi/boxes'
import type { IntensityStep } from './intensity'
import { describeReadError } from '../files/read-error'

/** Physical half-life of fluorine-18 in minutes (FDG, florbetapir, flutemetamol, florbetaben). */
export const F18_HALF_LIFE_MIN = 109.77

/** What SUV needs. */
export interface SuvInputs {
  /** Injected activity in Bq (at injection time). */
  injectedDoseBq: number
  /** Body weight in kg. */
  bodyWeightKg: number
  /** Seconds from injection to the time the image activity refers to (scan start); decay
   *  correction of the dose is skipped when unknown. */
  injectionToScanSeconds?: number
  /** Half-life in seconds (default F-18). */
  halfLifeSeconds?: number
  /** Units of the image values (default Bq/mL). */
  units?: 'Bq/mL' | 'kBq/mL' | 'MBq/mL'
}

const UNIT_TO_BQ_PER_ML = { 'Bq/mL': 1, 'kBq/mL': 1e3, 'MBq/mL': 1e6 } as const
const DOSE_UNIT_TO_BQ: Record<string, number> = { Bq: 1, kBq: 1e3, MBq: 1e6, GBq: 1e9, mCi: 3.7e7, uCi: 3.7e4 }
const HALF_LIFE_MIN: Record<string, number> = { F18: F18_HALF_LIFE_MIN, C11: 20.36, O15: 2.04, N13: 9.97, Ga68: 67.71 }

/**
 * SUV (body weight) = C (Bq/mL) / (dose decay-corrected to scan start (Bq) / weight (g)),
 * taking tissue density as 1 g/mL.
 * @throws Error for non-positive dose or weight.
 */
export function toSuv(vol: Volume, inputs: SuvInputs): IntensityStep & { factor: number } {
  const { injectedDoseBq: dose, bodyWeightKg: kg } = inputs
  if (!(dose > 0 && Number.isFinite(dose)) || !(kg > 0 && Number.isFinite(kg))) {
    throw new Error(`toSuv: injected dose (${dose} Bq) and body weight (${kg} kg) must be positive`)
  }
  const halfLife = inputs.halfLifeSeconds ?? F18_HALF_LIFE_MIN * 60
  const dt = inputs.injectionToScanSeconds
  const decayed = dt === undefined ? dose : dose * Math.pow(2, -dt / halfLife)
  const unit = inputs.units ?? 'Bq/mL'
  const factor = (UNIT_TO_BQ_PER_ML[unit] * kg * 1000) / decayed
  const data = new Float32Array(vol.data.length)
  for (let i = 0; i < data.length; i++) data[i] = vol.data[i] * factor
  const decayText =
    dt === undefined
      ? 'dose not decay-corrected (injection-to-scan time unknown)'
      : `dose decay-corrected over ${(dt / 60).toFixed(1)} min (half-life ${(halfLife / 60).toFixed(2)} min) to ${(decayed / 1e6).toFixed(1)} MBq`
  return {
    volume: { dims: [...vol.dims], spacing: [...vol.spacing], affine: vol.affine.map((r) => r.slice()), data },
    factor,
    step: `SUV (body weight): ${unit} x ${kg} kg / ${(dose / 1e6).toFixed(1)} MBq injected; ${decayText}`
  }
}

/**
 * SUVR: every voxel divided by the mean over the reference region (boxes in MNI mm, mapped
 * through the volume's affine).
 * @throws Error when the region has no voxels or no positive signal in this image.
 */
export function toSuvr(vol: Volume, region: ReferenceRegionName): IntensityStep & { referenceMean: number } {
  const { label, boxes } = referenceRegion(region)
  const { mean, count } = statsInBoxes(vol, boxes)
  if (!(count > 0 && mean > 0)) {
    throw new Error(`toSuvr: the ${label.toLowerCase()} reference region has ${count} voxels with mean ${mean} in this image; is it a PET in MNI space?`)
  }
  const data = new Float32Array(vol.data.length)
  for (let i = 0; i < data.length; i++) data[i] = vol.data[i] / mean
  return {
    volume: { dims: [...vol.dims], spacing: [...vol.spacing], affine: vol.affine.map((r) => r.slice()), data },
    referenceMean: mean,
    step: `SUVR against the ${label.toLowerCase()} (${count} voxels, mean ${mean.toPrecision(5)})`
  }
}

/** The BIDS sidecar of a NIfTI file: same name with .json instead of .nii / .nii.gz. */
export function sidecarPath(niftiFile: string): string {
  return niftiFile.replace(/\.(nii|hdr|img)(\.gz)?$/i, '') + '.json'
}

/**
 * SUV inputs from a BIDS PET sidecar (InjectedRadioactivity + InjectedRadioactivityUnits,
 * BodyWeight in kg, ScanStart and InjectionStart in seconds, Units, TracerRadionuclide).
 * Returns null when the sidecar lacks the dose or the weight.
 * @throws NiftiError naming the JSON file when it cannot be parsed or has unusable values.
 */
export async function readPetSidecar(jsonFile: string): Promise<SuvInputs | null> {
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(await readFile(jsonFile, 'utf8'))
  } catch (err) {
    throw new NiftiError(jsonFile, `not a readable JSON sidecar: ${describeReadError(err)}`, { cause: err })
  }
  const num = (k: string) => (typeof doc[k] === 'number' && Number.isFinite(doc[k]) ? (doc[k] as number) : undefined)
  const dose = num('InjectedRadioactivity')
  const weight = num('BodyWeight')
  if (dose === undefined || weight === undefined) return null
  const doseUnit = String(doc.InjectedRadioactivityUnits ?? 'MBq')
  const toBq = DOSE_UNIT_TO_BQ[doseUnit]
  if (!toBq) throw new NiftiError(jsonFile, `InjectedRadioactivityUnits '${doseUnit}' is not one of ${Object.keys(DOSE_UNIT_TO_BQ).join(', ')}`)
  const units = String(doc.Units ?? 'Bq/mL')
  if (!(units in UNIT_TO_BQ_PER_ML)) {
    throw new NiftiError(jsonFile, `Units '${units}' cannot give SUV: image values must be Bq/mL, kBq/mL or MBq/mL`)
  }
  const scan = num('ScanStart')
  const injection = num('InjectionStart')
  const nuclide = typeof doc.TracerRadionuclide === 'string' ? doc.TracerRadionuclide.replace(/[^A-Za-z0-9]/g, '') : 'F18'
  const halfLifeMin = HALF_LIFE_MIN[nuclide] ?? HALF_LIFE_MIN[nuclide.replace(/^(\d+)([A-Za-z]+)$/, '$2$1')]
  if (!halfLifeMin) throw new NiftiError(jsonFile, `TracerRadionuclide '${doc.TracerRadionuclide}' has no known half-life`)
  return {
    injectedDoseBq: dose * toBq,
    bodyWeightKg: weight,
    injectionToScanSeconds: scan !== undefined && injection !== undefined ? scan - injection : undefined,
    halfLifeSeconds: halfLifeMin * 60,
    units: units as SuvInputs['units']
  }
}
