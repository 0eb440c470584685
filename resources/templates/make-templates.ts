/**
 * Writes the bundled MNI templates (this folder) from the ICBM 2009a 1 mm originals in
 * ../shared/templates: the T1-weighted template, a brain mask and a PET-like template on the app's 2 mm MNI grid
 * (MNI_2MM, 91x109x91 LAS), the target of the registration steps (src-main/preprocessing/registration.ts).
 * 1 mm -> 2 mm: a [1 2 1]/4 filter along each axis (so each 2 mm voxel averages its 1 mm
 * neighbourhood instead of aliasing), then trilinear sampling at the 2 mm voxel centres.
 * Run: node --import tsx resources/templates/make-templates.ts [../shared/templates]
 */
import { join, resolve } from 'node:path'
import { readNifti } from '../../src-main/readers/nifti/read'
import { writeNifti } from '../../src-main/readers/nifti/write'
import { resampleToGrid } from '../../src-main/preprocessing/resample'
import { MNI_2MM } from '../../src-main/volume/grid'
import type { Volume } from '../../src-main/volume/types'

function smooth121(vol: Volume): Volume {
  const [nx, ny, nz] = vol.dims
  let src = vol.data
  const strides = [1, nx, nx * ny]
  for (let axis = 0; axis < 3; axis++) {
    const out = new Float32Array(src.length)
    const n = vol.dims[axis]!
    const s = strides[axis]!
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const p = i + nx * (j + ny * k)
          const c = [i, j, k][axis]!
          const lo = c > 0 ? src[p - s]! : src[p]!
          const hi = c < n - 1 ? src[p + s]! : src[p]!
          out[p] = 0.25 * lo + 0.5 * src[p]! + 0.25 * hi
        }
    src = out
  }
  return { ...vol, data: src }
}

async function main(): Promise<void> {
  const from = resolve(process.argv[2] ?? join(__dirname, '../../../shared/templates'))
  const to = __dirname
  const read = (name: string) => readNifti(join(from, `mni_icbm152_${name}_tal_nlin_sym_09a_1mm.nii.gz`))
  const t1 = resampleToGrid(smooth121(await read('t1')), MNI_2MM)
  await writeNifti(join(to, 'mni_icbm152_t1_2mm.nii.gz'), t1, { datatype: 'uint8', xformCode: 4, description: 'ICBM 2009a sym T1, 2 mm (TCGM Lab)' })
  const gm = await read('gm')
  const wm = await read('wm')
  const tissue = { ...gm, data: gm.data.map((g, i) => (g + wm.data[i]!) / 255) }
  const tissue2 = resampleToGrid(smooth121(tissue), MNI_2MM)
  const mask = { ...tissue2, data: tissue2.data.map((v) => (v > 0.2 ? 1 : 0)) }
  await writeNifti(join(to, 'mni_icbm152_brainmask_2mm.nii.gz'), mask, { datatype: 'uint8', xformCode: 4, description: 'ICBM 2009a sym gm+wm > 0.2, 2 mm (TCGM Lab)' })
  // A PET-like template for PET without a T1 and for the PET's QC: FDG uptake is about three
  // times higher in grey than in white matter; blurred to a PET's resolution (about 6 mm).
  const uptake = { ...gm, data: gm.data.map((g, i) => (g + 0.35 * wm.data[i]!) / 255) }
  const petlike = resampleToGrid(smooth121(smooth121(smooth121(smooth121(uptake)))), MNI_2MM)
  await writeNifti(join(to, 'mni_icbm152_petlike_2mm.nii.gz'), petlike, { datatype: 'uint8', xformCode: 4, description: 'ICBM 2009a sym gm + 0.35 wm, blurred, 2 mm (TCGM Lab)' })
  console.log(`wrote ${to}: T1 ${t1.dims.join('x')}, brain mask ${mask.data.reduce((a, b) => a + b, 0)} voxels`)
}

void main()
