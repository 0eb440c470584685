/**
 * WebGPU adapters as Dawn (npm `webgpu`) describes them, without TensorFlow.js: what the main
 * process needs to say which adapter training would use (probe.ts asks a short child process).
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const

/** What Dawn says about an adapter. */
export interface GpuAdapterInfo {
  vendor: string
  architecture: string
  device: string
  description: string
}

/** The name shown to the user: the description, else vendor and architecture. */
export function adapterName(info: GpuAdapterInfo): string {
  const parts = [info.description, info.device, [info.vendor, info.architecture].filter(Boolean).join(' ')].map((s) => s.trim()).filter(Boolean)
  return parts[0] ?? 'unnamed adapter'
}

/** CPU rasterisers that present themselves as GPUs (SwiftShader, llvmpipe/lavapipe, WARP): far
 *  slower than the wasm backend, so used only when asked for (as on CI). */
export function isSoftwareAdapter(info: GpuAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase()
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/.test(text)
}

/** The dawn.node of the installed `webgpu` package for this platform, or null. */
export function dawnAddonPath(resolvePackage: (name: string) => string | null): string | null {
  const pkg = resolvePackage('webgpu/package.json')
  if (pkg === null) return null
  const arch = process.platform === 'darwin' ? 'universal' : process.arch
  const file = join(dirname(pkg), 'dist', `${process.platform}-${arch}`, 'dawn.node')
  return existsSync(file) ? file : null
}
