/**
 * DICOM series in: the same scan written as DICOM and as NIfTI reads back as the same voxels and
 * affine; the dcm2niix conversion (the field's reference converter) agrees in world space; and
 * every problem of a DICOM folder is named (folder, series, what), while the good series of the
 * same folder still reads.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAffine, invertAffine, multiplyAffines } from '../../../src-main/volume/affine'
import type { Volume } from '../../../src-main/volume/types'
import { readNifti } from '../../../src-main/readers/nifti/read'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { readScan } from '../../../src-main/readers'
import { DicomError, readDicomFolder } from '../../../src-main/readers/dicom/read'
import { scanDicomFolder } from '../../../src-main/readers/dicom/series'
import { type DicomSeriesOptions, writeDicomSeries } from '../../../src-main/readers/dicom/write'
import { loadMniTemplates } from '../../../src-main/preprocessing/templates'
import { makePose, toNative } from '../../../src-main/demo/native-pose'

let dir: string
let scan: Volume
const mr = (n: number, description: string, extra: Partial<DicomSeriesOptions> = {}): DicomSeriesOptions => ({
  modality: 'MR',
  patientId: 'SUBJ01',
  seriesDescription: description,
  seriesNumber: n,
  ...extra
})

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tcgm-dicom-'))
  const tpl = await loadMniTemplates()
  // An oblique native-space T1 (rotated head, tilted 1.2 x 1 x 1.1 mm grid).
  const pose = makePose({
    rotationDeg: [10, -5, 12],
    scale: [1, 1, 1],
    shiftMm: [3, -10, 20],
    voxelMm: [1.2, 1, 1.1],
    gridRotationDeg: [6, -3, 8],
    fovMm: [170, 200, 150]
  })
  let s = 1
  scan = toNative(tpl.t1, pose, { bias: 0.1, noise: 0.01, random: () => (s = (s * 16807) % 2147483647) / 2147483647 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}
const maxAffineDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, r) => row.map((v, c) => Math.abs(v - b[r]![c]!))))

describe('DICOM reader (@itk-wasm/dicom behind the volume type)', () => {
  it('reads a series written slice by slice in shuffled order with the voxels and the RAS affine of the same scan read from NIfTI', async () => {
    const series = join(dir, 'same-scan')
    const order = Array.from({ length: scan.dims[2] }, (_, k) => (k * 37) % scan.dims[2]) // a permutation: files not in position order
    expect(new Set(order).size).toBe(scan.dims[2])
    await writeDicomSeries(series, scan, mr(2, 'MPRAGE', { positions: order }))
    const fromDicom = await readScan(series)
    const niiFile = join(dir, 'same-scan.nii.gz')
    await writeNifti(niiFile, scan)
    const fromNifti = await readScan(niiFile)
    expect(fromDicom.format).toBe('dicom')
    expect(fromDicom.dims).toEqual(fromNifti.dims)
    expect(maxAffineDiff(fromDicom.affine, fromNifti.affine)).toBeLessThan(1e-4)
    let max = 0
    for (const v of scan.data) max = Math.max(max, v)
    // 16-bit storage with a rescale slope of max / 65000: at most half a step apart.
    expect(maxAbsDiff(fromDicom.data, fromNifti.data)).toBeLessThanOrEqual((max / 65000) * 0.51)
    expect(fromDicom.readStep).toContain("series 2 'MPRAGE'")
  })

  const dcm2niix = (() => {
    try {
      execFileSync('dcm2niix', ['-v'], { stdio: 'pipe' })
      return true
    } catch (err) {
      return (err as { status?: number }).status !== undefined // dcm2niix -v exits non-zero on some versions
    }
  })()
  it.skipIf(!dcm2niix)(
    'agrees with dcm2niix on the same series: same voxels at the same world positions (skipped when dcm2niix is not installed: apt-get install dcm2niix)',
    async () => {
      const series = join(dir, 'for-dcm2niix')
      await writeDicomSeries(series, scan, mr(3, 'MPRAGE'))
      const out = join(dir, 'dcm2niix-out')
      execFileSync('mkdir', ['-p', out])
      execFileSync('dcm2niix', ['-z', 'n', '-f', 'conv', '-o', out, series], { stdio: 'pipe' })
      const ref = await readNifti(
        join(
          out,
          readdirSync(out).find((f) => f.endsWith('.nii'))!
        )
      )
      const ours = await readDicomFolder(series)
      // dcm2niix stores the rows flipped: the voxel grids differ by a flip, the world positions agree.
      const ourToRef = multiplyAffines(invertAffine(ref.affine), ours.affine)
      for (const row of ourToRef.slice(0, 3)) for (const v of row) expect(Math.abs(v - Math.round(v))).toBeLessThan(1e-3)
      const [nx, ny] = ours.dims
      let worst = 0
      for (let o = 0; o < ours.data.length; o += 7) {
        const ijk = [o % nx, Math.floor(o / nx) % ny, Math.floor(o / (nx * ny))]
        const r = applyAffine(ourToRef, ijk).map(Math.round)
        worst = Math.max(worst, Math.abs(ours.data[o]! - ref.data[r[0]! + ref.dims[0] * (r[1]! + ref.dims[1] * r[2]!)]!))
      }
      // Both are the same 16-bit stored values through the same rescale slope.
      let max = 0
      for (const v of scan.data) max = Math.max(max, v)
      expect(worst).toBeLessThanOrEqual((max / 65000) * 0.01)
    }
  )

  it('names every problem of a folder by folder, series and what is wrong, and still reads the good series there', async () => {
    const folder = join(dir, 'mixed')
    const small: Volume = { ...scan, dims: [scan.dims[0], scan.dims[1], 12], data: scan.data.slice(0, scan.dims[0] * scan.dims[1] * 12) }
    const k = Array.from({ length: 12 }, (_, i) => i)
    await writeDicomSeries(folder, small, mr(2, 'MPRAGE'))
    // A localiser in another orientation with the good series' UID, mixed into the folder.
    const good = (await scanDicomFolder(folder)).series[0]!
    const tilted: Volume = {
      ...small,
      dims: [small.dims[0], small.dims[1], 1],
      affine: [
        [0, 0, 1, 0],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 1]
      ],
      data: small.data.slice(0, small.dims[0] * small.dims[1])
    }
    const [localiser] = await writeDicomSeries(join(dir, 'localiser'), tilted, mr(2, 'MPRAGE', { seriesUid: good.uid, positions: [0] }))
    renameSync(localiser!, join(folder, 'localiser-in-series.dcm'))
    await writeDicomSeries(folder, small, mr(3, 'missing', { positions: k.filter((i) => i !== 5) }))
    await writeDicomSeries(folder, small, mr(4, 'duplicated', { positions: [...k, 6] }))
    await writeDicomSeries(folder, small, mr(5, 'uneven', { positions: k.map((i) => (i < 6 ? i : i * 1.1)) }))
    const shear = small.affine.map((r) => r.slice())
    for (let r = 0; r < 3; r++) shear[r]![2] = shear[r]![2]! + 0.25 * small.affine[r]![1]! // slices advance along k + 0.25 j: a tilted gantry
    await writeDicomSeries(folder, { ...small, affine: shear }, mr(6, 'tilted'))
    await writeDicomSeries(folder, small, mr(7, 'scout', { imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER', positions: [0, 1, 2] }))
    await writeDicomSeries(folder, small, mr(8, 'enhanced', { extra: () => [[0x0028, 0x0008, 'IS', '12']] }))
    await writeDicomSeries(folder, small, mr(9, 'jpeg2000', { transferSyntax: '1.2.840.10008.1.2.4.90' }))
    await writeDicomSeries(folder, small, mr(10, 'single', { positions: [0] }))

    const found = await scanDicomFolder(folder)
    const by = (n: number) => found.series.find((s) => s.label.startsWith(`series ${n} `))!
    expect(found.series).toHaveLength(9)
    expect(by(2).ok).toBe(true)
    expect(by(2).files).toHaveLength(12)
    expect(by(2).warnings.join()).toMatch(/1 localiser or 2-D image\(s\) in another orientation left out/)
    const expected: Array<[number, RegExp]> = [
      [3, /1 missing slice\(s\)/],
      [4, /1 duplicated slice position/],
      [5, /non-uniform slice spacing/],
      [6, /gantry tilt of 12\.8 degrees/], // atan(0.25 x 1 mm / 1.1 mm)
      [7, /localiser \/ scout series/],
      [8, /multi-frame \(enhanced\) DICOM/],
      [9, /compressed pixel data, transfer syntax JPEG 2000 \(1\.2\.840\.10008\.1\.2\.4\.90\)/],
      [10, /a single 2-D image, not a 3-D volume/]
    ]
    for (const [n, re] of expected) {
      expect(by(n).ok, by(n).label).toBe(false)
      expect(by(n).errors.join('; ')).toMatch(re)
    }
    // Reading the folder takes its one good series.
    const vol = await readDicomFolder(folder)
    expect(vol.series.label).toBe("series 2 'MPRAGE'")
    expect(vol.dims).toEqual(small.dims)
    // Asking for a bad series gives its problem, starting with the folder and the series.
    await expect(readDicomFolder(folder, { uid: by(3).uid })).rejects.toThrow(
      new RegExp(`^${folder.replace(/[/\\.]/g, '\\$&')}: series 3 'missing': 1 missing slice`)
    )
    await expect(readDicomFolder(folder, { uid: by(3).uid })).rejects.toBeInstanceOf(DicomError)
  })

  it('refuses a folder without DICOM images, naming it', async () => {
    const empty = join(dir, 'empty')
    execFileSync('mkdir', ['-p', empty])
    await expect(readDicomFolder(empty)).rejects.toThrow(`${empty}: no DICOM image files in this folder`)
  })
})
