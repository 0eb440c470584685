/**
 * The loopback bridge with a viewer-sized payload: one 91x109x91 Float32Array (the MNI 2 mm
 * grid, 902,629 voxels) as a request result. Compares the tagged-base64 codec with plain JSON
 * (an array of numbers) for size and encode+decode time, then times full HTTP round trips
 * through the bridge. Prints ratios measured in this run; asserts nothing.
 *   npm run bench -- bridge
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBridge } from '../src-main/api/adapters/bridge'
import { CALL_PATH, TOKEN_HEADER } from '../src-main/api/wire/bridge-protocol'
import { handlers } from '../src-main/api/handlers'
import { createApiRuntime } from '../src-main/api/runtime'
import { decodeWire, encodeWire } from '../src-main/api/wire/typed-codec'

const voxels = new Float32Array(91 * 109 * 91).map((_, i) => Math.sin(i / 100) * 1000)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function time(fn: () => void, runs = 5): number {
  fn() // warm up
  const t: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    fn()
    t.push(performance.now() - t0)
  }
  return median(t)
}

async function main(): Promise<void> {
  let tagged = ''
  let plain = ''
  const tCodec = time(() => {
    tagged = encodeWire({ voxels })
    decodeWire(tagged)
  })
  const tJson = time(() => {
    plain = JSON.stringify({ voxels: Array.from(voxels) })
    Float32Array.from((JSON.parse(plain) as { voxels: number[] }).voxels)
  })
  console.log(`payload: ${voxels.length} float32 voxels (${(voxels.byteLength / 1e6).toFixed(1)} MB raw)`)
  console.log(`tagged base64: ${(tagged.length / 1e6).toFixed(1)} MB, encode+decode ${tCodec.toFixed(0)} ms`)
  console.log(`plain JSON array: ${(plain.length / 1e6).toFixed(1)} MB, encode+decode ${tJson.toFixed(0)} ms`)
  console.log(`ratio plain/tagged: size x${(plain.length / tagged.length).toFixed(2)}, time x${(tJson / tCodec).toFixed(2)}`)

  // Full round trip: a handler answering the volume, called over HTTP on 127.0.0.1.
  const table = { ...handlers, 'studies.recent': async () => ({ voxels }) as never }
  const rt = createApiRuntime({
    shell: 'browser',
    userDataDir: mkdtempSync(join(tmpdir(), 'tcgm-bench-')),
    allowedRoots: [],
    validateOutputs: false,
    handlers: table
  })
  const bridge = await startBridge({ dispatch: rt.dispatch, hub: rt.hub, staticDir: null })
  const trips: number[] = []
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now()
    const res = await fetch(bridge.origin + CALL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: bridge.token },
      body: encodeWire({ name: 'studies.recent', args: {} })
    })
    const back = decodeWire(await res.text()) as { result: { voxels: Float32Array } }
    if (back.result.voxels.length !== voxels.length) throw new Error('bridge-bench: wrong length back')
    if (i > 0) trips.push(performance.now() - t0)
  }
  await bridge.close()
  console.log(`bridge round trip (HTTP, encode, decode) of the volume: median ${median(trips).toFixed(0)} ms over ${trips.length} calls`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
