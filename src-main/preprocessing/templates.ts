/**
 * The bundled MNI templates (resources/templates/, see NOTICE.md there): the ICBM 2009a T1 and
 * its brain mask on the app's 2 mm MNI grid. Read once per process; steps get them as arguments.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { readNifti } from '../readers/nifti/read'
import type { Volume } from '../volume/types'

export interface MniTemplates {
  /** T1-weighted template, 0-255, on MNI_2MM. */
  t1: Volume
  /** 1 inside the brain (grey + white matter probability > 0.2), else 0, on MNI_2MM. */
  brainMask: Volume
  /** FDG-like image (grey matter + 0.35 x white matter, blurred), 0-1 x 255 scale, on MNI_2MM. */
  petLike: Volume
}

export const TEMPLATE_FILES = {
  t1: 'mni_icbm152_t1_2mm.nii.gz',
  brainMask: 'mni_icbm152_brainmask_2mm.nii.gz',
  petLike: 'mni_icbm152_petlike_2mm.nii.gz'
} as const

/** resources/templates, found upwards from this module (sources, out/main, out/main/chunks, asar). */
export function templatesDir(): string {
  let dir = __dirname
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'templates')
    if (existsSync(join(candidate, TEMPLATE_FILES.t1))) return candidate
  }
  throw new Error(`the bundled MNI templates (resources/templates/${TEMPLATE_FILES.t1}) are missing above ${__dirname}`)
}

let loaded: Promise<MniTemplates> | null = null

export function loadMniTemplates(): Promise<MniTemplates> {
  loaded ??= (async () => {
    const dir = templatesDir()
    const read = async (name: string): Promise<Volume> => {
      const v = await readNifti(join(dir, name))
      return { dims: v.dims, spacing: v.spacing, affine: v.affine, data: v.data }
    }
    const [t1, brainMask, petLike] = await Promise.all([read(TEMPLATE_FILES.t1), read(TEMPLATE_FILES.brainMask), read(TEMPLATE_FILES.petLike)])
    return { t1, brainMask, petLike }
  })()
  loaded.catch(() => (loaded = null))
  return loaded
}
