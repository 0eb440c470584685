/**
 * The fast ops' own WebAssembly kernels (src-wasm/fast-kernels): the committed binary is the
 * build of that source, it touches no memory of its own (tfjs's is imported), and on the wasm
 * backend the fast ops run them, deterministically. Their values are checked against the
 * reference ops on cpu in fast-ops-wasm.test.ts.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { chooseBackend } from '../../../src-main/engine/backend/choose'
import { createFastOps } from '../../../src-main/engine/model/ops/fast'
import { KERNELS_WASM_BASE64 } from '../../../src-main/engine/model/ops/fast/wasm/kernels-binary'
import { reverseAxes3, swapLeading3, wasmKernels } from '../../../src-main/engine/model/ops/fast/wasm/kernels'
import { SeededRandom } from '../../../src-main/domain/random/mulberry32'

const root = resolve(__dirname, '../../..')

/** WebAssembly.Module's reflection (the ES2023 lib declares no WebAssembly). */
interface WasmModuleApi {
  new (bytes: Uint8Array): object
  imports(m: object): { module: string; name: string; kind: string }[]
  exports(m: object): { name: string; kind: string }[]
}
const WasmModule = (globalThis as unknown as { WebAssembly: { Module: WasmModuleApi } }).WebAssembly.Module

beforeAll(async () => {
  await chooseBackend('wasm', undefined, {})
})

describe('fast-ops wasm kernels', () => {
  it('the committed kernels-binary.ts is the build of src-wasm/fast-kernels (run `node src-wasm/build.mjs` after a change)', async () => {
    const build = (await import(resolve(root, 'src-wasm/build.mjs'))) as {
      compileKernels(): Promise<Uint8Array>
      kernelsModuleText(w: Uint8Array): string
      KERNELS_MODULE: string
    }
    const wasm = await build.compileKernels()
    expect(Buffer.from(wasm).toString('base64')).toBe(KERNELS_WASM_BASE64)
    expect(readFileSync(build.KERNELS_MODULE, 'utf8')).toBe(build.kernelsModuleText(wasm))
  }, 120_000)

  it("imports tfjs's memory and nothing else, and has no data segment that would write into it", () => {
    const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64')
    const mod = new WasmModule(bytes)
    expect(WasmModule.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }])
    expect(WasmModule.exports(mod).every((e) => e.kind === 'function')).toBe(true)
    // Section ids after the 8-byte header: 11 is the data section, 6 globals (a stack pointer).
    const ids: number[] = []
    for (let p = 8; p < bytes.length;) {
      ids.push(bytes[p]!)
      let size = 0
      let shift = 0
      let b: number
      p++
      do {
        b = bytes[p++]!
        size |= (b & 0x7f) << shift
        shift += 7
      } while (b & 0x80)
      p += size
    }
    expect(ids).not.toContain(11)
    expect(ids).not.toContain(6)
  })

  it('run on the wasm backend for BN-ReLU, and a forward + backward gives the same bits twice', async () => {
    expect(wasmKernels()).toBe(true)
    const rng = new SeededRandom(5)
    const shape = [2, 5, 6, 7, 8]
    const x = tf.tensor5d(
      Float32Array.from({ length: 2 * 5 * 6 * 7 * 8 }, () => rng.normal()),
      shape as [number, number, number, number, number]
    )
    const g = tf.tensor1d(Float32Array.from({ length: 8 }, () => 1 + rng.normal()))
    const b = tf.tensor1d(Float32Array.from({ length: 8 }, () => rng.normal()))
    const ops = createFastOps()
    const step = () =>
      tf.tidy(() =>
        tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
          const r = ops.bnReluTrain(xi as tf.Tensor5D, gi as tf.Tensor1D, bi as tf.Tensor1D)
          tf.dispose([r.stats.mean, r.stats.variance])
          return tf.sum(tf.square(r.y))
        })([x, g, b])
      )
    const names = new Set((await tf.profile(() => tf.dispose(step()))).kernels.map((k) => k.name))
    expect([...names].filter((n) => n.startsWith('Tcgm')).sort()).toEqual(['TcgmBnReluApply', 'TcgmBnReluGradApply', 'TcgmBnReluGradSums', 'TcgmChannelSums'])
    const first = step()
    const second = step()
    first.forEach((t, i) => expect(Buffer.from(t.dataSync().buffer).equals(Buffer.from(second[i]!.dataSync().buffer))).toBe(true))
    tf.dispose([...first, ...second, x, g, b])
    ops.dispose()
  })

  // [A, B, C]: whole 4x4 blocks, edges in A, in C, in both, a single row.
  it.each([
    [8, 3, 12],
    [5, 2, 7],
    [9, 4, 8],
    [8, 1, 6],
    [1, 5, 3]
  ])('permute [%i, %i, %i] exactly as tf.transpose ([2,1,0] and [1,0,2])', (a, b, c) => {
    const x = tf.tensor3d(
      Float32Array.from({ length: a * b * c }, (_, i) => i * 0.5 - 3),
      [a, b, c]
    )
    const pairs: [tf.Tensor, tf.Tensor][] = [
      [reverseAxes3(x), tf.transpose(x, [2, 1, 0])],
      [swapLeading3(x), tf.transpose(x, [1, 0, 2])]
    ]
    for (const [got, want] of pairs) {
      expect(got.shape).toEqual(want.shape)
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()))
    }
    tf.dispose([x, ...pairs.flat()])
  })
})
