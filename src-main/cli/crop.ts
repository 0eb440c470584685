/**
 * `crop FILE --out DIR`: the left and right hippocampus crops of a scan in MNI space, written
 * as NIfTI (float32, MNI xform code), optionally after the full preprocessing of a modality.
 */
import { mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { readNifti } from '../readers/nifti/read'
import { writeNifti } from '../readers/nifti/write'
import { isNiftiError } from '../readers/nifti/errors'
import { toMni2mm } from '../preprocessing/resample'
import { zeroNonFinite } from '../preprocessing/intensity'
import { defaultPreprocessSettings, preprocessScan } from '../preprocessing/preprocess'
import { cropHippocampi, type HippocampalCrops } from '../roi/crop'
import { DEFAULT_CROP_MARGIN } from '../roi/boxes'

export const summary = 'write the left and right hippocampus crops of an MNI-space scan as NIfTI'

const usage =
  'usage: npm run cli -- crop FILE --out DIR [--margin N] [--modality smri|pet] [--allow-non-mni]\n' +
  '  --margin N       extra voxels around the hippocampus boxes (default 2)\n' +
  '  --modality M     run the full preprocessing first (smri: GM proportional scaling; pet: SUVR to the pons)\n' +
  '  --allow-non-mni  resample scans that do not look normalised to MNI space anyway\n'

export async function run(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        margin: { type: 'string' },
        modality: { type: 'string' },
        'allow-non-mni': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    process.stderr.write(`crop: ${(err as Error).message}\n${usage}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(usage)
    return 0
  }
  const margin = values.margin === undefined ? DEFAULT_CROP_MARGIN : Number(values.margin)
  const modality = values.modality
  if (positionals.length !== 1 || !values.out || !Number.isInteger(margin) || margin < 0 || (modality && modality !== 'smri' && modality !== 'pet')) {
    process.stderr.write(usage)
    return 2
  }
  const file = positionals[0]
  const allowNonMni = !!values['allow-non-mni']
  try {
    const steps: string[] = []
    let crops: HippocampalCrops
    if (modality === 'smri' || modality === 'pet') {
      const result = await preprocessScan(file, { ...defaultPreprocessSettings(modality), cropMargin: margin, allowNonMni })
      steps.push(...result.steps)
      crops = result.crops
    } else {
      const img = await readNifti(file)
      steps.push(`read ${img.header.originalDims.join('x')} ${img.header.datatype} (${img.header.orientation}, ${img.header.frames})`)
      const clean = img.header.nonFiniteCount > 0 ? zeroNonFinite(img) : null
      if (clean) steps.push(clean.step)
      const mni = toMni2mm({ ...(clean?.volume ?? img), header: img.header }, { allowNonMni })
      steps.push(mni.step)
      crops = cropHippocampi(mni.volume, { margin })
      steps.push(`hippocampus crops ${crops.stacked.dims.join('x')} (margin ${margin} voxels)`)
    }
    await mkdir(values.out, { recursive: true })
    const stem = basename(file).replace(/\.(nii|hdr|img)(\.gz)?$/i, '')
    for (const side of ['left', 'right'] as const) {
      const out = join(values.out, `${stem}_hippocampus-${side}.nii.gz`)
      await writeNifti(out, crops[side], { xformCode: 4, description: `TCGM Lab ${side} hippocampus crop` })
      steps.push(`wrote ${out} (${crops[side].dims.join('x')}, start voxel ${crops.starts[side].join(',')} of the MNI 2 mm grid)`)
    }
    if (crops.paddedVoxels > 0) steps.push(`${crops.paddedVoxels} crop voxels were outside the image and set to 0`)
    process.stdout.write(steps.map((s) => `- ${s}`).join('\n') + '\n')
    return 0
  } catch (err) {
    if (!isNiftiError(err)) throw err
    process.stderr.write(`error: ${err.message}\n`)
    return 1
  }
}
