/**
 * Test-only NIfTI builder: writes headers byte by byte with a DataView, independently of
 * src-main/nifti/write.ts, so reader tests do not trust the writer they would also test.
 */
export interface MakeNiftiOptions {
  version?: 1 | 2
  /** dim[1..]: e.g. [4, 3, 2] or [4, 3, 2, 3]. */
  dims: number[]
  /** NIfTI datatype code. */
  datatype: number
  /** Stored values in storage order (before scaling). */
  values: number[] | Float64Array
  littleEndian?: boolean
  pixdim?: number[]
  scl?: [number, number]
  qform?: { code: number; b: number; c: number; d: number; offset: [number, number, number]; qfac?: 1 | -1 }
  sform?: { code: number; rows: number[][] }
  /** Default 352 (NIfTI-1) or 544 (NIfTI-2); 0 for the .hdr of a pair. */
  voxOffset?: number
  /** 'n+1' (default), 'ni1' for a pair. */
  pair?: boolean
  description?: string
}

const BYTES: Record<number, number> = { 2: 1, 256: 1, 4: 2, 512: 2, 8: 4, 768: 4, 16: 4, 64: 8, 32: 8, 128: 3 }

function writeValue(dv: DataView, off: number, code: number, v: number, le: boolean): void {
  switch (code) {
    case 2:
      return dv.setUint8(off, v)
    case 256:
      return dv.setInt8(off, v)
    case 4:
      return dv.setInt16(off, v, le)
    case 512:
      return dv.setUint16(off, v, le)
    case 8:
      return dv.setInt32(off, v, le)
    case 768:
      return dv.setUint32(off, v, le)
    case 16:
      return dv.setFloat32(off, v, le)
    case 64:
      return dv.setFloat64(off, v, le)
    default:
      for (let b = 0; b < (BYTES[code] ?? 1); b++) dv.setUint8(off + b, v & 0xff)
  }
}

/** Header bytes (and, unless `pair`, the data after them) of a NIfTI file. */
export function makeNifti(o: MakeNiftiOptions): { header: Uint8Array; data: Uint8Array; file: Uint8Array } {
  const v = o.version ?? 1
  const le = o.littleEndian ?? true
  const hdrSize = v === 1 ? 348 : 540
  const voxOffset = o.voxOffset ?? (o.pair ? 0 : hdrSize + 4)
  const headerLen = o.pair ? hdrSize + 4 : voxOffset
  const h = new DataView(new ArrayBuffer(Math.max(headerLen, hdrSize + 4)))
  const pixdim = o.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1].map((x, i) => (i <= o.dims.length ? x : 1))
  const dimArr = [o.dims.length, ...o.dims, ...Array(7 - o.dims.length).fill(1)]
  const qfac = o.qform?.qfac ?? 1
  const bpv = BYTES[o.datatype] ?? 1
  const magic = (o.pair ? 'ni' : 'n+') + v
  if (v === 1) {
    h.setInt32(0, 348, le)
    dimArr.forEach((d, i) => h.setInt16(40 + 2 * i, d, le))
    h.setInt16(70, o.datatype, le)
    h.setInt16(72, bpv * 8, le)
    h.setFloat32(76, qfac, le)
    pixdim.forEach((p, i) => i < 7 && h.setFloat32(80 + 4 * i, p, le))
    h.setFloat32(108, voxOffset, le)
    h.setFloat32(112, o.scl?.[0] ?? 1, le)
    h.setFloat32(116, o.scl?.[1] ?? 0, le)
    if (o.qform) {
      h.setInt16(252, o.qform.code, le)
      h.setFloat32(256, o.qform.b, le)
      h.setFloat32(260, o.qform.c, le)
      h.setFloat32(264, o.qform.d, le)
      o.qform.offset.forEach((x, i) => h.setFloat32(268 + 4 * i, x, le))
    }
    if (o.sform) {
      h.setInt16(254, o.sform.code, le)
      for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) h.setFloat32(280 + 16 * r + 4 * c, o.sform.rows[r][c], le)
    }
    ;[...(o.description ?? '')].slice(0, 79).forEach((ch, i) => h.setUint8(148 + i, ch.charCodeAt(0)))
    ;[...magic].forEach((ch, i) => h.setUint8(344 + i, ch.charCodeAt(0)))
  } else {
    h.setInt32(0, 540, le)
    ;[...magic, '\0', '\r', '\n', '\x1a', '\n'].forEach((ch, i) => h.setUint8(4 + i, ch.charCodeAt(0)))
    h.setInt16(12, o.datatype, le)
    h.setInt16(14, bpv * 8, le)
    dimArr.forEach((d, i) => h.setBigInt64(16 + 8 * i, BigInt(d), le))
    h.setFloat64(104, qfac, le)
    pixdim.forEach((p, i) => i < 7 && h.setFloat64(112 + 8 * i, p, le))
    h.setBigInt64(168, BigInt(voxOffset), le)
    h.setFloat64(176, o.scl?.[0] ?? 1, le)
    h.setFloat64(184, o.scl?.[1] ?? 0, le)
    if (o.qform) {
      h.setInt32(344, o.qform.code, le)
      h.setFloat64(352, o.qform.b, le)
      h.setFloat64(360, o.qform.c, le)
      h.setFloat64(368, o.qform.d, le)
      o.qform.offset.forEach((x, i) => h.setFloat64(376 + 8 * i, x, le))
    }
    if (o.sform) {
      h.setInt32(348, o.sform.code, le)
      for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) h.setFloat64(400 + 32 * r + 8 * c, o.sform.rows[r][c], le)
    }
  }
  const data = new DataView(new ArrayBuffer(o.values.length * bpv))
  for (let i = 0; i < o.values.length; i++) writeValue(data, i * bpv, o.datatype, o.values[i], le)
  const header = new Uint8Array(h.buffer, 0, headerLen)
  const dataBytes = new Uint8Array(data.buffer)
  const file = new Uint8Array(o.pair ? 0 : headerLen + dataBytes.length)
  if (!o.pair) {
    file.set(header, 0)
    file.set(dataBytes, headerLen)
  }
  return { header, data: dataBytes, file }
}
