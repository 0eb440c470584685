/**
 * The fast ops' own WebAssembly SIMD kernels (source: src-wasm/fast-kernels, AssemblyScript),
 * registered as tfjs kernels of the wasm backend. The module imports the backend's own memory,
 * so the kernels read and write tfjs's tensors in place (no copies), and their outputs are
 * ordinary tensors of the backend (makeOutput), tracked by tidy and tf.profile like tfjs's own.
 *
 * Used only where tf.getBackend() is 'wasm' and the memory could be shared (wasmKernels());
 * elsewhere (cpu, webgpu) the fast ops keep their tfjs-op form.
 */
import * as tf from '@tensorflow/tfjs'
import { KERNELS_WASM_BASE64 } from './kernels-binary'

/** The exports of src-wasm/fast-kernels: byte offsets into the shared memory, sizes as i32. */
interface KernelExports {
  channelSums(x: number, rows: number, c: number, shift: number, out: number): void
  bnReluApply(x: number, rows: number, c: number, params: number, y: number): void
  bnReluGradSums(x: number, dy: number, rows: number, c: number, params: number, out: number): void
  bnReluGradApply(x: number, dy: number, rows: number, c: number, params: number, dx: number): void
  reverseAxes3(x: number, a: number, b: number, c: number, out: number): void
  swapLeading3(x: number, a: number, b: number, c: number, out: number): void
  stackDepthTaps(x: number, n: number, d: number, s: number, k: number, taps: number, stride: number, od: number, out: number): void
  parityInterleave(y: number, n: number, qd: number, qh: number, qw: number, c: number, d: number, h: number, w: number, out: number): void
}

/** What the kernels use of tfjs-backend-wasm's BackendWasm (4.22): its emscripten module's
 *  memory, the byte offset of a tensor's data, and output allocation. */
interface WasmBackendInternals {
  wasm?: { asm?: { memory?: unknown } }
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined }
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo
}

/** The WebAssembly JS API as used here (the ES2023 lib declares none). */
interface WasmApi {
  Memory: abstract new () => { buffer: ArrayBuffer }
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

let compiled: object | null = null
const instances = new WeakMap<object, KernelExports | null>()

/** The kernels instantiated on `backend`'s memory, or null when it has none to share (another
 *  backend, or a build whose memory is not a plain WebAssembly.Memory). */
function instanceFor(backend: object): KernelExports | null {
  if (instances.has(backend)) return instances.get(backend)!
  let exports: KernelExports | null = null
  const memory = (backend as Partial<WasmBackendInternals>).wasm?.asm?.memory
  if (memory instanceof WA.Memory && !(memory.buffer instanceof SharedArrayBuffer)) {
    compiled ??= new WA.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'))
    exports = new WA.Instance(compiled, { env: { memory } }).exports as KernelExports
  }
  instances.set(backend, exports)
  return exports
}

/** Whether the kernels below run here: the current backend is wasm and shares its memory. */
export function wasmKernels(): boolean {
  return tf.getBackend() === 'wasm' && instanceFor(tf.backend()) !== null
}

const offset = (b: WasmBackendInternals, t: tf.TensorInfo): number => b.dataIdMap.get(t.dataId)!.memoryOffset

/** Registers a kernel of the wasm backend: `run` gets the exports, the backend, the inputs and
 *  the output's byte offset. Once per process (a second import finds it registered). */
function register(
  name: string,
  outShape: (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => number[],
  run: (k: KernelExports, b: WasmBackendInternals, inputs: tf.NamedTensorInfoMap, out: number, attrs: tf.NamedAttrMap) => void
): void {
  if (tf.getKernel(name, 'wasm')) return
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendInternals
      const k = instanceFor(b)
      if (!k) throw new Error(`${name}: the wasm backend's memory cannot be shared with the fast ops' kernels`)
      const out = b.makeOutput(outShape(inputs, attrs ?? {}), 'float32')
      run(k, b, inputs, offset(b, out), attrs ?? {})
      return out
    }
  })
}

/** Rows and channels of an activation [.., C] (channels innermost). */
const rowsAndChannels = (t: tf.TensorInfo): [number, number] => {
  const c = t.shape[t.shape.length - 1]!
  return [t.shape.reduce((a, v) => a * v, 1) / c, c]
}

register(
  'TcgmChannelSums',
  ({ x }) => [4 * x!.shape[x!.shape.length - 1]!],
  (k, b, { x, shift }, out) => {
    const [rows, c] = rowsAndChannels(x!)
    k.channelSums(offset(b, x!), rows, c, offset(b, shift!), out)
  }
)
register(
  'TcgmBnReluApply',
  ({ x }) => [...x!.shape],
  (k, b, { x, params }, out) => {
    const [rows, c] = rowsAndChannels(x!)
    k.bnReluApply(offset(b, x!), rows, c, offset(b, params!), out)
  }
)
register(
  'TcgmBnReluGradSums',
  ({ x }) => [4 * x!.shape[x!.shape.length - 1]!],
  (k, b, { x, dy, params }, out) => {
    const [rows, c] = rowsAndChannels(x!)
    k.bnReluGradSums(offset(b, x!), offset(b, dy!), rows, c, offset(b, params!), out)
  }
)
register(
  'TcgmBnReluGradApply',
  ({ x }) => [...x!.shape],
  (k, b, { x, dy, params }, out) => {
    const [rows, c] = rowsAndChannels(x!)
    k.bnReluGradApply(offset(b, x!), offset(b, dy!), rows, c, offset(b, params!), out)
  }
)

register(
  'TcgmParityInterleave',
  (_, attrs) => attrs.outShape as number[],
  (k, b, { y }, out, attrs) => {
    const [n, qd, qh, qw, c8] = y!.shape as number[]
    const [, d, h, w] = attrs.outShape as number[]
    k.parityInterleave(offset(b, y!), n!, qd!, qh!, qw!, c8! / 8, d!, h!, w!, out)
  }
)

register(
  'TcgmReverseAxes3',
  ({ x }) => [...x!.shape].reverse(),
  (k, b, { x }, out) => k.reverseAxes3(offset(b, x!), x!.shape[0]!, x!.shape[1]!, x!.shape[2]!, out)
)
register(
  'TcgmSwapLeading3',
  ({ x }) => [x!.shape[1]!, x!.shape[0]!, x!.shape[2]!],
  (k, b, { x }, out) => k.swapLeading3(offset(b, x!), x!.shape[0]!, x!.shape[1]!, x!.shape[2]!, out)
)

register(
  'TcgmStackDepthTaps',
  ({ x }, attrs) => [x!.shape[0]!, attrs.outDepth as number, x!.shape[2]!, x!.shape[3]! * (attrs.taps as number)],
  (k, b, { x }, out, attrs) => {
    const [n, d, s, c] = x!.shape as number[]
    k.stackDepthTaps(offset(b, x!), n!, d!, s!, c!, attrs.taps as number, attrs.stride as number, attrs.outDepth as number, out)
  }
)

/** The float64 sums of a sums kernel's output (hi, lo float32 pairs) [2C]. */
function readSums(t: tf.Tensor): Float64Array {
  const v = t.dataSync()
  t.dispose()
  const out = new Float64Array(v.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = v[2 * i]! + v[2 * i + 1]!
  return out
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor =>
  tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor

/** Per channel of x [.., C]: [sum of (x - shift), sum of (x - shift)^2], each [C], in float64
 *  (float32 partial sums over 32 rows). */
export function channelSums(x: tf.Tensor, shift: Float32Array): [Float64Array, Float64Array] {
  const c = x.shape[x.rank - 1]!
  const s = tf.tensor1d(shift)
  const sums = readSums(run('TcgmChannelSums', { x, shift: s }))
  s.dispose()
  return [sums.subarray(0, c), sums.subarray(c)]
}

/** max(0, (x - mean) scale + beta) per channel; `params` [3C] = mean, scale, beta. */
export function bnReluApply(x: tf.Tensor, params: Float32Array): tf.Tensor {
  const p = tf.tensor1d(params)
  const y = run('TcgmBnReluApply', { x, params: p })
  p.dispose()
  return y
}

/** With dz = dy where bnReluApply(x, params) > 0, else 0: [sum of dz, sum of dz (x - mean)], each [C]. */
export function bnReluGradSums(x: tf.Tensor, dy: tf.Tensor, params: Float32Array): [Float64Array, Float64Array] {
  const c = x.shape[x.rank - 1]!
  const p = tf.tensor1d(params)
  const sums = readSums(run('TcgmBnReluGradSums', { x, dy, params: p }))
  p.dispose()
  return [sums.subarray(0, c), sums.subarray(c)]
}

/** dx = a dz + ((x - mean) s + o); `params` [6C] = mean, scale, beta (as bnReluApply's), a, s, o. */
export function bnReluGradApply(x: tf.Tensor, dy: tf.Tensor, params: Float32Array): tf.Tensor {
  const p = tf.tensor1d(params)
  const dx = run('TcgmBnReluGradApply', { x, dy, params: p })
  p.dispose()
  return dx
}

/** x [N, D, H, W, C] from y [N, Qd, Qh, Qw, 8C], the 8 parities (rd, rh, rw) of a stride-2
 *  window per position: x[i] = y[(i + 1) >> 1, parity (i + 1) & 1] on each axis, so that window q
 *  covers inputs 2q - 1 and 2q (Q >= floor(size / 2) + 1). */
export function parityInterleave(y: tf.Tensor5D, outShape: [number, number, number, number, number]): tf.Tensor5D {
  const [n, qd, qh, qw, c8] = y.shape
  const [, d, h, w, c] = outShape
  if (outShape[0] !== n || c8 !== 8 * c || qd < (d >> 1) + 1 || qh < (h >> 1) + 1 || qw < (w >> 1) + 1)
    throw new Error(`parityInterleave: [${y.shape}] does not hold the parities of [${outShape}]`)
  return run('TcgmParityInterleave', { y }, { outShape }) as tf.Tensor5D
}

/** [A, B, C] -> [C, B, A] in one pass. */
export const reverseAxes3 = (x: tf.Tensor3D): tf.Tensor3D => run('TcgmReverseAxes3', { x }) as tf.Tensor3D

/** [A, B, C] -> [B, A, C] in one pass. */
export const swapLeading3 = (x: tf.Tensor3D): tf.Tensor3D => run('TcgmSwapLeading3', { x }) as tf.Tensor3D

/** x [N, D, H, W, K] -> [N * outDepth, H, W, K * taps] with channel j * taps + t = x at depth
 *  o * stride + t - 1 (zero outside the volume); SIMD for 4 taps of a multiple of 4 channels. */
export function stackDepthTaps(x: tf.Tensor5D, taps: number, stride: number, outDepth: number): tf.Tensor4D {
  const [n, d, h, w, k] = x.shape
  const y = run('TcgmStackDepthTaps', { x: x.reshape([n, d, h * w, k]) }, { taps, stride, outDepth })
  return y.reshape([n * outDepth, h, w, k * taps]) as tf.Tensor4D
}
