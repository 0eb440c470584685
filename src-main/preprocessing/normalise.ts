/**
 * Spatial normalisation of a native-space scan onto the MNI 2 mm grid, composed from the
 * registration steps (registration.ts), with each transform looked up in and written to a
 * transform store (the study's cache, study/transform-cache.ts) keyed by the source file and the
 * settings, so a second import or a re-run registers nothing:
 *   T1-weighted:          T1 -> MNI T1 template, one resampling
 *   PET with the T1:      PET -> T1 (rigid), composed with T1 -> template, one resampling
 *   PET without a T1:     PET -> the PET-like template (affine), one resampling
 * then the QC number of the result against the template of its kind.
 */
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import type { ScanInput } from '../domain/input-kind'
import type { Volume } from '../volume/types'
import {
  type Registration,
  type RegistrationQc,
  type RegistrationSettings,
  composeRegistrations,
  registerAffine,
  registerRigid,
  registerT1ToTemplate,
  registrationQc,
  resampleOntoMni
} from './registration'
import { TEMPLATE_FILES, type MniTemplates } from './templates'

/** Where registrations are kept between runs (the study's cache). */
export interface TransformStore {
  load(key: string): Promise<Registration | null>
  save(key: string, reg: Registration, about: { source: string; what: string }): Promise<void>
}

/** Bumped when the templates or the registration settings' meaning change (part of every key). */
export const REGISTRATION_VERSION = 1

/** Key of one registration: the source file's identity (path, size, mtime), what was registered to what, the settings. */
export async function transformKey(file: string, what: string, settings: RegistrationSettings, other?: string): Promise<string> {
  const st = await fsp.stat(file)
  const parts = [REGISTRATION_VERSION, TEMPLATE_FILES.t1, file, st.size, Math.round(st.mtimeMs), what, settings.model, other ?? '']
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 20)
}

async function cached(
  store: TransformStore | undefined,
  key: string,
  about: { source: string; what: string },
  make: () => Promise<Registration>
): Promise<{ reg: Registration; fromCache: boolean }> {
  const hit = await store?.load(key)
  if (hit) return { reg: hit, fromCache: true }
  const reg = await make()
  await store?.save(key, reg, about)
  return { reg, fromCache: false }
}

export interface NormaliseRequest {
  file: string
  volume: Volume
  input: ScanInput
  settings: RegistrationSettings
  templates: MniTemplates
  /** The same subject's native T1-weighted scan, for a PET (read only when a registration is not cached). */
  t1?: { file: string; read: () => Promise<Volume> }
  transforms?: TransformStore
  signal?: AbortSignal
}

export interface Normalised {
  volume: Volume
  steps: string[]
  qc: RegistrationQc
}

/** @throws Error "registration to MNI failed: …" saying why (a constant image, elastix's own error). */
export async function normaliseToMni(req: NormaliseRequest): Promise<Normalised> {
  try {
    return await normalise(req)
  } catch (err) {
    if (req.signal?.aborted) throw err
    throw new Error(
      `native-space ${req.input.kind === 'pet' ? 'PET' : 'scan'}: registration to MNI failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err }
    )
  }
}

async function normalise(req: NormaliseRequest): Promise<Normalised> {
  const { file, volume, settings, templates: tpl, transforms, signal } = req
  const steps: string[] = []
  const note = (r: { reg: Registration; fromCache: boolean }) =>
    steps.push(r.fromCache ? `${r.reg.step.replace(/ in [\d.]+ s$/, '')} (from the study's transform cache)` : r.reg.step)
  let reg: Registration
  let t1Volume: Volume | null = null
  const t1Registration = async (t1File: string, read: () => Promise<Volume>) =>
    cached(transforms, await transformKey(t1File, 't1-to-mni', settings), { source: t1File, what: 'T1 -> MNI T1 template' }, async () =>
      registerT1ToTemplate((t1Volume ??= await read()), tpl.t1, settings, signal)
    )
  if (req.input.kind === 't1-weighted') {
    const r = await t1Registration(file, async () => volume)
    note(r)
    reg = r.reg
  } else if (req.input.kind === 'pet' && req.t1) {
    const t1 = req.t1
    const toT1 = await t1Registration(t1.file, t1.read)
    note(toT1)
    const rigid = await cached(
      transforms,
      await transformKey(file, 'pet-to-t1', settings, await transformKey(t1.file, 'identity', settings)),
      { source: file, what: `PET -> T1 ${t1.file} (rigid)` },
      async () => registerRigid((t1Volume ??= await t1.read()), volume, `PET registered to its T1 (${t1.file})`, signal)
    )
    note(rigid)
    reg = composeRegistrations(toT1.reg, rigid.reg)
    steps.push(reg.step)
  } else if (req.input.kind === 'pet') {
    const r = await cached(
      transforms,
      await transformKey(file, 'pet-to-petlike', settings),
      { source: file, what: 'PET -> PET-like template (affine)' },
      async () => registerAffine(tpl.petLike, volume, 'registered to the PET-like MNI template (no T1 of this subject)', signal)
    )
    note(r)
    reg = r.reg
  } else {
    throw new Error('a grey-matter map must already be in MNI space (it is an output of a normalisation); import the T1-weighted scan instead')
  }
  const resampled = await resampleOntoMni(volume, reg, signal)
  steps.push(resampled.step)
  const qc =
    req.input.kind === 't1-weighted'
      ? registrationQc(resampled.volume, tpl.t1, tpl.brainMask, 'MNI T1 template')
      : registrationQc(resampled.volume, tpl.petLike, tpl.brainMask, 'PET-like template')
  steps.push(qc.step)
  return { volume: resampled.volume, steps, qc }
}
