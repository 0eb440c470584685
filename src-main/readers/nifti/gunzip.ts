/**
 * Bounded gzip decompression: take bytes [start, start + length) of the decompressed stream
 * and stop there. The output buffer is allocated once at the requested size, so a gzip bomb
 * (a tiny file that inflates to gigabytes) can never use more memory than the caller allowed;
 * the stream is destroyed as soon as enough bytes have arrived.
 */
import { createGunzip } from 'node:zlib'

/** Magic bytes of a gzip member (RFC 1952). */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b
}

export interface InflateRangeResult {
  /** The requested bytes; `filled` of them are valid. */
  data: Buffer
  /** How many bytes were available (less than requested when the stream ended early). */
  filled: number
}

/**
 * Decompresses `compressed` and returns bytes [start, start + length) of the output.
 * Resolves with `filled < length` when the stream ends first (the caller decides whether that
 * is an error); rejects with zlib's error for corrupt data, or with the signal's reason.
 * `target` may be given to receive the bytes (it must hold `length` bytes).
 */
export function inflateRange(
  compressed: Uint8Array,
  start: number,
  length: number,
  opts: { signal?: AbortSignal; target?: Buffer } = {}
): Promise<InflateRangeResult> {
  const out = opts.target ?? Buffer.allocUnsafe(length)
  if (out.length < length) throw new RangeError(`inflateRange: target holds ${out.length} bytes, need ${length}`)
  return new Promise((resolve, reject) => {
    // Large chunks: fewer round trips to the zlib thread pool for big volumes.
    const gunzip = createGunzip({ chunkSize: 1 << 20 })
    let pos = 0 // bytes of decompressed stream seen so far
    let filled = 0
    let settled = false
    const finish = (err?: unknown) => {
      if (settled) return
      settled = true
      opts.signal?.removeEventListener('abort', onAbort)
      gunzip.removeAllListeners('data')
      gunzip.destroy()
      if (err) reject(err)
      else resolve({ data: out, filled })
    }
    const onAbort = () => finish(opts.signal?.reason ?? new Error('aborted'))
    if (opts.signal?.aborted) return onAbort()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    gunzip.on('data', (chunk: Buffer) => {
      const chunkStart = pos
      pos += chunk.length
      const from = Math.max(start, chunkStart)
      const to = Math.min(start + length, pos)
      if (to > from) {
        chunk.copy(out, from - start, from - chunkStart, to - chunkStart)
        filled += to - from
      }
      if (filled >= length) finish()
    })
    gunzip.on('error', (err) => finish(err))
    gunzip.on('end', () => finish())
    if (length === 0) return finish()
    gunzip.end(compressed)
  })
}
