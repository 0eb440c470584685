/**
 * WebGPU without CUDA: TensorFlow.js's webgpu backend (@tensorflow/tfjs-backend-webgpu) on Dawn,
 * Chrome's WebGPU implementation, through its Node bindings (npm `webgpu`, whose dawn.node ships
 * inside the package and loads Vulkan, Metal or Direct3D 12 at run time). Both packages are
 * optionalDependencies.
 *
 * What tfjs 4.22 needs under Node, found in a spike (see the README's compute-backend section):
 * - Node has no `navigator.gpu`, and WebGPUBackend's constructor refuses to run without one, so
 *   Dawn's GPU object is put there, and the backend is registered here with our device (tfjs's
 *   own registration only runs when navigator.gpu exists at import time);
 * - Dawn's globals (GPUBufferUsage, GPUMapMode, ...) must be global;
 * - WEBGPU_CPU_FORWARD is turned off, so no op silently runs on tfjs's cpu kernels instead;
 * - `dataSync` throws (no OffscreenCanvas): the training, prediction and statistics paths read
 *   tensors with `data()`;
 * - a rank-5 broadcast or pad compiles to invalid WGSL and yields zeros with no exception, only an
 *   `uncapturederror` event: the fast ops stay at rank <= 4 for those, and any such event is fatal
 *   (recorded here; every later training or prediction call throws it).
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { adapterName, dawnAddonPath, isSoftwareAdapter, type GpuAdapterInfo } from './webgpu-adapter'

interface DawnAddon {
  create(flags: string[]): { requestAdapter(options?: unknown): Promise<DawnAdapter | null> }
  globals: Record<string, unknown>
}
interface DawnAdapter {
  info: GpuAdapterInfo
  features: Set<string>
  limits: Record<string, number>
  requestDevice(descriptor: unknown): Promise<DawnDevice>
}
interface DawnDevice {
  addEventListener(type: 'uncapturederror', listener: (event: { error?: { message?: string } }) => void): void
}

const runtimeRequire = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

let fatal: string | null = null

/** Throws the first WebGPU error reported in this process (they are fatal: a failed shader
 *  leaves zeros behind, so nothing computed after it can be trusted). */
export function throwIfGpuFailed(): void {
  if (fatal) throw new Error(`WebGPU failed earlier in this process: ${fatal}`)
}

/**
 * Finds an adapter, makes the device and registers TensorFlow.js's 'webgpu' backend on it
 * (not yet activated).
 * @param allowSoftware accept a CPU rasteriser (when WebGPU was asked for explicitly)
 * @returns the adapter's information
 * @throws with a one-line cause: packages missing, no adapter, a software adapter not allowed
 */
export async function registerWebGpu(resolvePackage: (name: string) => string | null, allowSoftware: boolean): Promise<GpuAdapterInfo> {
  const addonPath = dawnAddonPath(resolvePackage)
  if (addonPath === null) throw new Error(`the webgpu package or its dawn.node for ${process.platform}-${process.arch} is not installed`)
  if (resolvePackage('@tensorflow/tfjs-backend-webgpu') === null) throw new Error('@tensorflow/tfjs-backend-webgpu is not installed')
  const dawn = runtimeRequire(addonPath) as DawnAddon
  Object.assign(globalThis, dawn.globals)
  const gpu = dawn.create([])
  const nav = (globalThis as { navigator?: object }).navigator
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true })
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true })
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
  if (!adapter) throw new Error('no WebGPU adapter: Dawn found no Vulkan, Metal or Direct3D 12 device it accepts')
  const info: GpuAdapterInfo = {
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    device: adapter.info.device,
    description: adapter.info.description
  }
  if (isSoftwareAdapter(info) && !allowSoftware)
    throw new Error(`the only adapter is a software rasteriser (${adapterName(info)}), slower than WebAssembly; set TCGM_BACKEND=webgpu to use it anyway`)
  const L = adapter.limits
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup
    }
  })
  device.addEventListener('uncapturederror', (event) => {
    fatal ??= (event.error?.message ?? 'unknown error').split('\n')[0]!
  })
  // Registers the webgpu kernels (its own backend registration is skipped: see above).
  const { WebGPUBackend } = runtimeRequire('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend }
  tf.env().set('WEBGPU_CPU_FORWARD', false)
  tf.removeBackend('webgpu')
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 1)
  return info
}
