/**
 * Writing a volume as a DICOM series (one uncompressed explicit-VR little-endian file per slice,
 * MR or PT image storage), for the raw demo and the reader's tests: the minimal Part 10 file
 * the readers of the field (dcm2niix, GDCM/ITK, pydicom) take as a 3-D acquisition.
 * Geometry: DICOM patient space is LPS; ImageOrientationPatient holds the directions of i
 * (along a row) and j (down a column); ImagePositionPatient the centre of each slice's first voxel.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { itkGeometryOf } from '../../volume/itk-image'
import type { Volume } from '../../volume/types'

/** A DICOM UID under the UUID-derived root 2.25 (unique without a registered root). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString()}`
}

type Vr = 'UI' | 'CS' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'DA' | 'US' | 'UL' | 'OB' | 'OW'

function element(group: number, elem: number, vr: Vr, value: string | number[] | Uint8Array): Buffer {
  let body: Buffer
  if (value instanceof Uint8Array) body = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  else if (vr === 'US') body = Buffer.from(new Uint16Array(value as number[]).buffer)
  else if (vr === 'UL') body = Buffer.from(new Uint32Array(value as number[]).buffer)
  else body = Buffer.from(value as string, 'latin1')
  if (body.length % 2) body = Buffer.concat([body, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])])
  const long = vr === 'OB' || vr === 'OW'
  const head = Buffer.alloc(long ? 12 : 8)
  head.writeUInt16LE(group, 0)
  head.writeUInt16LE(elem, 2)
  head.write(vr, 4, 'latin1')
  if (long) head.writeUInt32LE(body.length, 8)
  else head.writeUInt16LE(body.length, 6)
  return Buffer.concat([head, body])
}

const ds = (v: number) => {
  const s = Number(v.toPrecision(10)).toString()
  return s.length <= 16 ? s : v.toExponential(8)
}

export interface DicomSeriesOptions {
  modality: 'MR' | 'PT'
  patientId: string
  seriesDescription: string
  seriesNumber: number
  studyUid?: string
  seriesUid?: string
  /** Transfer syntax written in the file meta (default explicit VR little endian). Only for tests of the reader's checks: the pixel data stays uncompressed. */
  transferSyntax?: string
  /** ImageType (default ORIGINAL\PRIMARY). */
  imageType?: string
  /** Extra (group, element, VR, value) per slice, e.g. NumberOfFrames. */
  extra?: (k: number) => Array<[number, number, Vr, string]>
  /** Slice positions as written (default k): to write missing, repeated or uneven slices. */
  positions?: number[]
}

/** Writes `vol` as files <dir>/<prefix>_<n>.dcm and returns their paths (one per slice position). */
export async function writeDicomSeries(dir: string, vol: Volume, opts: DicomSeriesOptions): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true })
  const g = itkGeometryOf(vol)
  const [nx, ny, nz] = vol.dims
  const d = g.direction
  const col = (c: number) => [d[c]!, d[3 + c]!, d[6 + c]!]
  let max = 0
  let min = 0
  for (const v of vol.data) {
    if (v > max) max = v
    if (v < min) min = v
  }
  const slope = max > min ? (max - min) / 65000 : 1
  const sopClass = opts.modality === 'MR' ? '1.2.840.10008.5.1.4.1.1.4' : '1.2.840.10008.5.1.4.1.1.128'
  const studyUid = opts.studyUid ?? newUid()
  const seriesUid = opts.seriesUid ?? newUid()
  const positions = opts.positions ?? Array.from({ length: nz }, (_, k) => k)
  const files: string[] = []
  for (const [n, pk] of positions.entries()) {
    const k = Math.min(nz - 1, Math.max(0, Math.round(pk)))
    const sop = newUid()
    const pixels = new Uint16Array(nx * ny)
    for (let p = 0; p < nx * ny; p++) pixels[p] = Math.round((vol.data[k * nx * ny + p]! - min) / slope)
    const pos = [0, 1, 2].map((a) => g.origin[a]! + col(2)[a]! * g.spacing[2]! * pk)
    const iop = [...col(0), ...col(1)]
    const meta = [
      element(0x0002, 0x0001, 'OB', new Uint8Array([0, 1])),
      element(0x0002, 0x0002, 'UI', sopClass),
      element(0x0002, 0x0003, 'UI', sop),
      element(0x0002, 0x0010, 'UI', opts.transferSyntax ?? '1.2.840.10008.1.2.1'),
      element(0x0002, 0x0012, 'UI', '2.25.1')
    ]
    const metaBytes = Buffer.concat(meta)
    const body: Buffer[] = [
      element(0x0008, 0x0008, 'CS', opts.imageType ?? 'ORIGINAL\\PRIMARY'),
      element(0x0008, 0x0016, 'UI', sopClass),
      element(0x0008, 0x0018, 'UI', sop),
      element(0x0008, 0x0060, 'CS', opts.modality),
      element(0x0008, 0x103e, 'LO', opts.seriesDescription),
      element(0x0010, 0x0010, 'PN', opts.patientId),
      element(0x0010, 0x0020, 'LO', opts.patientId),
      element(0x0018, 0x0050, 'DS', ds(g.spacing[2]!)),
      element(0x0020, 0x000d, 'UI', studyUid),
      element(0x0020, 0x000e, 'UI', seriesUid),
      element(0x0020, 0x0011, 'IS', String(opts.seriesNumber)),
      element(0x0020, 0x0013, 'IS', String(n + 1)),
      element(0x0020, 0x0032, 'DS', pos.map(ds).join('\\')),
      element(0x0020, 0x0037, 'DS', iop.map(ds).join('\\')),
      ...(opts.extra?.(n) ?? []).map(([gr, el, vr, v]) => element(gr, el, vr, v)),
      element(0x0028, 0x0002, 'US', [1]),
      element(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
      element(0x0028, 0x0010, 'US', [ny]),
      element(0x0028, 0x0011, 'US', [nx]),
      element(0x0028, 0x0030, 'DS', `${ds(g.spacing[1]!)}\\${ds(g.spacing[0]!)}`),
      element(0x0028, 0x0100, 'US', [16]),
      element(0x0028, 0x0101, 'US', [16]),
      element(0x0028, 0x0102, 'US', [15]),
      element(0x0028, 0x0103, 'US', [0]),
      element(0x0028, 0x1052, 'DS', ds(min)),
      element(0x0028, 0x1053, 'DS', ds(slope)),
      element(0x7fe0, 0x0010, 'OW', new Uint8Array(pixels.buffer))
    ]
    // Elements must be in tag order: sort by (group, element) read back from each buffer.
    body.sort((a, b) => a.readUInt16LE(0) - b.readUInt16LE(0) || a.readUInt16LE(2) - b.readUInt16LE(2))
    const groupLength = element(0x0002, 0x0000, 'UL', [metaBytes.length])
    const file = join(dir, `${opts.modality}${String(opts.seriesNumber).padStart(3, '0')}_${String(n + 1).padStart(4, '0')}.dcm`)
    await fsp.writeFile(file, Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, metaBytes, ...body]))
    files.push(file)
  }
  return files
}
