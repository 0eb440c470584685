/**
 * One build per process (electron-vite): main (Electron main, browser-mode server, worker
 * entries), preload (sandboxed, so self-contained) and the Vue renderer.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import { cspMeta } from './src-main/api/csp'

const src = (p: string): string => resolve(__dirname, p)

/** Main-process bundles: out/main/<name>.js. Worker entries are written by other parts of the
 *  app and join the build once their file exists, so the build never breaks on a missing one.
 *  Names must match `workerEntries` in src-main/process/fork.ts. */
const mainEntries: Record<string, string> = Object.fromEntries(
  Object.entries({
    index: 'src-main/index.ts',
    serve: 'src-main/serve.ts',
    'train-worker': 'src-main/runs/worker/entry.ts',
    'modality-worker': 'src-main/engine/model/modality-worker-entry.ts',
    'preprocess-worker': 'src-main/study/import/preprocess-worker-entry.ts',
    'attribution-worker': 'src-main/attribution/worker-entry.ts',
    'model-replica': 'src-main/engine/model/parallel/replica-entry.ts'
  })
    .filter(([, file]) => existsSync(src(file)))
    .map(([name, file]) => [name, src(file)])
)

/** Writes the one CSP (src-main/shell/csp.ts) into index.html's meta tag. */
function injectCsp(): Plugin {
  return {
    name: 'tcgm-inject-csp',
    transformIndexHtml(html) {
      if (!html.includes('%TCGM_CSP%')) throw new Error('src-renderer/index.html: the CSP meta tag placeholder %TCGM_CSP% is missing')
      return html.replace('%TCGM_CSP%', cspMeta)
    }
  }
}

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Native TensorFlow packages are optionalDependencies: never bundle them, load at run time.
      externalizeDeps: { include: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] },
      rollupOptions: { input: mainEntries }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only 'electron': bundle everything else (zod) into it.
      externalizeDeps: false,
      rollupOptions: { input: { preload: src('src-main/preload.ts') }, external: ['electron'] }
    }
  },
  renderer: {
    root: src('src-renderer'),
    resolve: { alias: { '@contract': src('src-main/api') } },
    plugins: [vue(), injectCsp()],
    build: {
      outDir: src('out/renderer'),
      rollupOptions: { input: { index: src('src-renderer/index.html') } }
    }
  }
})
