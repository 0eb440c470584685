/**
 * The synthetic ADNI-style cohort of DEMO_COHORT.md section 1, written as an ADNI download:
 *
 *   <out>/ADNI/<PTID>/<series>/<date>/I<imageId>/ADNI_<PTID>_<MR|PT>_..._I<imageId>.nii.gz
 *   <out>/demo_collection.csv     the collection CSV (Subject, Group, Sex, Age, Visit, Modality, ...)
 *   <out>/ground_truth.tsv        y, latent scores a and b, oracle posteriors (never read by training)
 *
 * Per subject: y ~ Bernoulli(pAd); atrophy a ~ N(muA[y], sigmaA^2) seen only by sMRI,
 * hypometabolism b ~ N(muB[y], sigmaB^2) seen only by PET (independent given y). Nuisance per
 * modality: global scale (head size / dose), a smooth low-order field, voxel noise.
 *   sMRI (grey-matter density, clipped to [0, 1]) = gm * scale * field * (1 - a * wHip) + noise
 *   PET (uptake; SUVR after dividing by the pons)   = uptake * scale * field * (1 - b * wAd) + noise
 * The anatomy is built once; each subject costs a few passes of arithmetic over the grid.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { formatTable } from '../files/tables'
import { writeNifti } from '../readers/nifti/write'
import { Rng } from '../domain/random/sfc32'
import { type Anatomy, MNI_AFFINE, MNI_DIMS, MNI_SPACING, buildAnatomy } from './anatomy'

export interface DemoParams {
  subjects: number
  seed: number
  /** P(y = AD). */
  pAd: number
  /** Class means of the atrophy score [NC, AD] and its standard deviation. */
  muA: [number, number]
  sigmaA: number
  /** Class means of the hypometabolism score [NC, AD] and its standard deviation. */
  muB: [number, number]
  sigmaB: number
  /** Standard deviation of the global scale (mean 1), per modality. */
  scaleSd: number
  /** Standard deviation of each coefficient of the smooth field (linear + cross terms). */
  fieldSd: number
  /** Voxel noise standard deviation (sMRI in GM density units, PET in SUVR units). */
  noiseSmri: number
  noisePet: number
  /** Fraction of subjects without an sMRI / without a PET scan (disjoint sets). */
  missingSmri: number
  missingPet: number
}

export const DEFAULT_DEMO_PARAMS: DemoParams = {
  subjects: 120,
  seed: 1,
  pAd: 0.48,
  muA: [0.05, 0.2],
  sigmaA: 0.09,
  muB: [0.05, 0.2],
  sigmaB: 0.09,
  scaleSd: 0.08,
  fieldSd: 0.03,
  noiseSmri: 0.03,
  noisePet: 0.05,
  missingSmri: 0,
  missingPet: 0
}

export const CLASS_NAMES = ['NC', 'AD'] as const
export const SMRI_SERIES = 'MPRAGE_GM_MNI_2mm'
export const PET_SERIES = 'Coreg,_Avg,_Std_Img_and_Vox_Siz,_Uniform_Resolution'
export const COLLECTION_CSV = 'demo_collection.csv'
export const GROUND_TRUTH_TSV = 'ground_truth.tsv'

export interface DemoSubject {
  ptid: string
  /** 0 = NC, 1 = AD. */
  y: 0 | 1
  a: number
  b: number
  sex: 'M' | 'F'
  age: number
  /** Oracle posteriors P(AD | a), P(AD | b), P(AD | a, b). */
  pA: number
  pB: number
  pAB: number
  smri: string | null
  pet: string | null
}

export interface DemoResult {
  out: string
  adniDir: string
  collectionCsv: string
  groundTruth: string
  subjects: DemoSubject[]
  /** Oracle accuracy on this sample: from a only, b only, both. */
  oracleAccuracy: { smri: number; pet: number; both: number }
  seconds: number
}

function normalPdf(x: number, mu: number, sd: number): number {
  const z = (x - mu) / sd
  return Math.exp(-0.5 * z * z) / sd
}

/** Posterior P(AD | scores) under the generating model (scores independent given y). */
export function oraclePosterior(p: DemoParams, a: number | null, b: number | null): number {
  let l1 = p.pAd
  let l0 = 1 - p.pAd
  if (a !== null) {
    l1 *= normalPdf(a, p.muA[1], p.sigmaA)
    l0 *= normalPdf(a, p.muA[0], p.sigmaA)
  }
  if (b !== null) {
    l1 *= normalPdf(b, p.muB[1], p.sigmaB)
    l0 *= normalPdf(b, p.muB[0], p.sigmaB)
  }
  return l1 / (l0 + l1)
}

/** A bank of standard normals drawn once; volumes read it at a random odd stride and offset. */
class NoiseBank {
  private static readonly SIZE = 1 << 21
  private readonly bank = new Float32Array(NoiseBank.SIZE)
  constructor(rng: Rng) {
    for (let i = 0; i < NoiseBank.SIZE; i++) this.bank[i] = rng.normal()
  }
  /** Returns a function q -> noise for voxel q. */
  view(rng: Rng): (q: number) => number {
    const mask = NoiseBank.SIZE - 1
    const offset = rng.int(NoiseBank.SIZE)
    const stride = 2 * rng.int(1 << 19) + 1
    const bank = this.bank
    return (q) => bank[(offset + q * stride) & mask]!
  }
}

interface Field {
  c: number[]
}

function drawField(rng: Rng, sd: number): Field {
  return { c: Array.from({ length: 6 }, () => rng.normal() * sd) }
}

/** Synthesises one volume: template * scale * field * (1 - score * weight) + noise. */
function synthesise(
  anatomy: Anatomy,
  template: Float32Array,
  weight: Float32Array,
  score: number,
  scale: number,
  field: Field,
  noiseSd: number,
  noise: (q: number) => number,
  clip01: boolean
): Float32Array {
  const n = template.length
  const out = new Float32Array(n)
  const { u, v, w } = anatomy
  const [c0, c1, c2, c3, c4, c5] = field.c as [number, number, number, number, number, number]
  for (let q = 0; q < n; q++) {
    const t = template[q]!
    if (t < 0.005) {
      out[q] = 0
      continue
    }
    const f = 1 + c0 * u[q]! + c1 * v[q]! + c2 * w[q]! + c3 * u[q]! * v[q]! + c4 * v[q]! * w[q]! + c5 * u[q]! * w[q]!
    let x = t * scale * f * (1 - score * weight[q]!) + noiseSd * noise(q)
    if (x < 0) x = 0
    else if (clip01 && x > 1) x = 1
    out[q] = x
  }
  return out
}

function ptidFor(i: number, rng: Rng): string {
  const site = String(2 + rng.int(140)).padStart(3, '0')
  return `${site}_S_${String(1000 + i).padStart(4, '0')}`
}

/**
 * Writes the cohort into `out` (created; must not already hold a cohort).
 * @param onProgress fraction 0..1 and a message, after each subject.
 */
export async function generateDemoCohort(
  out: string,
  params: Partial<DemoParams> = {},
  opts: { signal?: AbortSignal; onProgress?: (fraction: number, message: string) => void } = {}
): Promise<DemoResult> {
  const p: DemoParams = { ...DEFAULT_DEMO_PARAMS, ...params }
  if (!Number.isInteger(p.subjects) || p.subjects < 2) throw new Error(`demo cohort: subjects must be an integer >= 2, got ${p.subjects}`)
  const started = Date.now()
  const adniDir = join(out, 'ADNI')
  if (
    await fsp.stat(join(out, COLLECTION_CSV)).then(
      () => true,
      () => false
    )
  ) {
    throw new Error(`${out} already holds a demo cohort (${COLLECTION_CSV}); choose a new folder`)
  }
  await fsp.mkdir(adniDir, { recursive: true })
  const rng = new Rng(p.seed)
  const anatomy = buildAnatomy()
  const bank = new NoiseBank(rng.fork())
  const subjects: DemoSubject[] = []
  const csvColumns = ['Image Data ID', 'Subject', 'Group', 'Sex', 'Age', 'Visit', 'Modality', 'Description', 'Type', 'Acq Date', 'Format', 'Downloaded']
  const csv: Array<Array<string | number>> = []
  const used = new Set<string>()
  let imageId = 100000
  const pending: Promise<void>[] = []
  // Exactly round(fraction * n) subjects lack each modality; never both (every subject keeps a scan).
  const order = rng.fork().shuffle(Array.from({ length: p.subjects }, (_, i) => i))
  const nNoSmri = Math.round(p.missingSmri * p.subjects)
  const nNoPet = Math.min(p.subjects - nNoSmri, Math.round(p.missingPet * p.subjects))
  const noSmri = new Set(order.slice(0, nNoSmri))
  const noPet = new Set(order.slice(nNoSmri, nNoSmri + nNoPet))
  for (let i = 0; i < p.subjects; i++) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled')
    const r = rng.fork()
    let ptid = ptidFor(i, r)
    while (used.has(ptid)) ptid = ptidFor(i, r)
    used.add(ptid)
    const y: 0 | 1 = r.next() < p.pAd ? 1 : 0
    const a = p.muA[y] + p.sigmaA * r.normal()
    const b = p.muB[y] + p.sigmaB * r.normal()
    const sex = r.next() < 0.5 ? 'M' : 'F'
    const age = Math.round((y ? 75 : 73) + 6 * r.normal())
    const hasSmri = !noSmri.has(i)
    const hasPet = !noPet.has(i)
    const date = `2006-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`
    const acq = `${1 + (i % 12)}/${1 + (i % 28)}/2006`
    const group = y ? 'AD' : 'CN'
    const subject: DemoSubject = {
      ptid,
      y,
      a,
      b,
      sex,
      age,
      pA: oraclePosterior(p, a, null),
      pB: oraclePosterior(p, null, b),
      pAB: oraclePosterior(p, a, b),
      smri: null,
      pet: null
    }
    for (const modality of ['smri', 'pet'] as const) {
      if (modality === 'smri' ? !hasSmri : !hasPet) continue
      const id = ++imageId
      const series = modality === 'smri' ? SMRI_SERIES : PET_SERIES
      const dir = join(adniDir, ptid, series, `${date}_10_00_00.0`, `I${id}`)
      const file = join(
        dir,
        `ADNI_${ptid}_${modality === 'smri' ? 'MR' : 'PT'}_${series.replace(/,/g, '')}_Br_${date.replace(/-/g, '')}_S${id - 50000}_I${id}.nii.gz`
      )
      const scale = Math.max(0.5, 1 + p.scaleSd * r.normal())
      const field = drawField(r, p.fieldSd)
      const data =
        modality === 'smri'
          ? synthesise(anatomy, anatomy.gm, anatomy.wHip, a, scale, field, p.noiseSmri, bank.view(r), true)
          : // PET as acquired: SUV-like scale (dose / weight), so SUVR normalisation has work to do.
            synthesise(anatomy, anatomy.uptake, anatomy.wAd, b, scale * 1.6, field, p.noisePet * 1.6, bank.view(r), false)
      await fsp.mkdir(dir, { recursive: true })
      // Compress in the background (zlib's thread pool) while the next volume is computed.
      pending.push(
        writeNifti(
          file,
          { dims: [...MNI_DIMS], spacing: [...MNI_SPACING], affine: MNI_AFFINE.map((row) => [...row]), data },
          {
            // int16 with a slope: half the bytes of float32, far below the noise in precision.
            datatype: 'int16',
            xformCode: 4,
            description: `TCGM Lab demo ${modality === 'smri' ? 'grey matter' : 'FDG PET'}`
          }
        )
      )
      if (pending.length >= 4) await pending.shift()
      if (modality === 'smri') subject.smri = file
      else subject.pet = file
      csv.push([
        `I${id}`,
        ptid,
        group,
        sex,
        age,
        'bl',
        modality === 'smri' ? 'MRI' : 'PET',
        series,
        modality === 'smri' ? 'Processed' : 'Pre-processed',
        acq,
        'NiFTI',
        ''
      ])
    }
    subjects.push(subject)
    opts.onProgress?.((i + 1) / p.subjects, `demo subject ${i + 1}/${p.subjects}`)
  }
  await Promise.all(pending)
  const collectionCsv = join(out, COLLECTION_CSV)
  const groundTruth = join(out, GROUND_TRUTH_TSV)
  // Every field quoted, as ADNI's collection CSVs are.
  await fsp.writeFile(collectionCsv, formatTable(csvColumns, csv, { delimiter: ',', quoteAll: true }))
  const gt = subjects.map((s) => [s.ptid, CLASS_NAMES[s.y], s.a.toFixed(6), s.b.toFixed(6), s.pA.toFixed(6), s.pB.toFixed(6), s.pAB.toFixed(6)])
  await fsp.writeFile(groundTruth, formatTable(['participant_id', 'y', 'a', 'b', 'p_ad_given_a', 'p_ad_given_b', 'p_ad_given_ab'], gt))
  const acc = (f: (s: DemoSubject) => number) => subjects.filter((s) => (f(s) > 0.5 ? 1 : 0) === s.y).length / subjects.length
  return {
    out,
    adniDir,
    collectionCsv,
    groundTruth,
    subjects,
    oracleAccuracy: { smri: acc((s) => s.pA), pet: acc((s) => s.pB), both: acc((s) => s.pAB) },
    seconds: (Date.now() - started) / 1000
  }
}
