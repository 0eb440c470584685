/**
 * The architecture as a lint rule (ARCHITECTURE.md "The rules"): every file of src-main belongs to
 * one part, and a part may import only the parts listed for it below. Relative imports are resolved
 * to the file they name, so a violation is reported whatever the spelling ('../../api/x', './x').
 * `electron` may be imported by the Electron shell alone. A table of data, not a resolver plugin:
 * the parts are folders, and the check is a prefix match on the resolved path.
 */
import { dirname, relative, resolve, sep } from 'node:path'

const SRC = resolve(import.meta.dirname, '..', 'src-main')

/** Part -> the parts it may import (itself always). Order follows ARCHITECTURE.md, bottom up. */
export const ALLOWED = {
  domain: [],
  log: [],
  files: ['domain', 'log'],
  process: ['domain', 'log', 'files'],
  volume: ['domain'],
  readers: ['domain', 'log', 'files', 'volume'],
  roi: ['domain', 'volume'],
  preprocessing: ['domain', 'log', 'files', 'volume', 'readers', 'roi'],
  study: ['domain', 'log', 'files', 'process', 'volume', 'readers', 'roi', 'preprocessing'],
  engine: ['domain', 'log', 'files', 'process'],
  runs: ['domain', 'log', 'files', 'process', 'volume', 'readers', 'roi', 'preprocessing', 'study', 'engine'],
  export: ['domain', 'log', 'files', 'study', 'runs'],
  viewer: ['domain', 'log', 'files', 'process', 'volume', 'readers', 'roi', 'preprocessing', 'study', 'engine', 'runs'],
  attribution: ['domain', 'log', 'files', 'process', 'volume', 'readers', 'roi', 'preprocessing', 'study', 'engine', 'runs', 'viewer'],
  demo: ['domain', 'log', 'files', 'volume', 'readers', 'roi', 'preprocessing'],
  settings: ['domain', 'log', 'files'],
  api: [
    'domain',
    'log',
    'files',
    'process',
    'volume',
    'readers',
    'roi',
    'preprocessing',
    'study',
    'engine',
    'runs',
    'export',
    'attribution',
    'viewer',
    'demo',
    'settings'
  ],
  shell: ['domain', 'log', 'files', 'process', 'settings', 'api'],
  entry: null // index.ts, preload.ts, serve.ts, cli.ts, cli/: the shells may import anything
}

/** The Electron shell, and the API's IPC adapter that binds the handlers to Electron's IPC. */
const ELECTRON_PARTS = new Set(['shell', 'entry', 'api'])

/** The part of an absolute file path, or null outside src-main. */
export function partOf(file) {
  const rel = relative(SRC, file)
  if (rel.startsWith('..') || rel === '') return null
  const first = rel.split(sep)[0]
  if (first === 'log.ts') return 'log'
  if (['index.ts', 'preload.ts', 'serve.ts', 'cli.ts', 'cli'].includes(first)) return 'entry'
  return first in ALLOWED ? first : 'unknown'
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the architecture of ARCHITECTURE.md' },
    schema: [],
    messages: {
      layer: "{{from}}/ may not import {{to}}/ ('{{spec}}'): allowed are {{allowed}} (ARCHITECTURE.md)",
      electron: "only the Electron shell (shell/, index.ts, preload.ts) and the API's IPC adapter may import 'electron'; {{from}}/ does",
      unknown: '{{file}} is in no part of ARCHITECTURE.md: add the folder to eslint/architecture.mjs and the document'
    }
  },
  create(context) {
    const file = context.filename
    const from = partOf(file)
    if (from === null) return {}
    const check = (node, spec) => {
      if (typeof spec !== 'string') return
      if (spec === 'electron' || spec.startsWith('electron/')) {
        if (!ELECTRON_PARTS.has(from)) context.report({ node, messageId: 'electron', data: { from } })
        return
      }
      if (!spec.startsWith('.')) return
      const to = partOf(resolve(dirname(file), spec))
      if (to === null || to === from || ALLOWED[from] === null) return
      if (to === 'unknown') return
      if (!ALLOWED[from].includes(to)) context.report({ node, messageId: 'layer', data: { from, to, spec, allowed: ALLOWED[from].join(', ') || 'none' } })
    }
    return {
      Program(node) {
        if (from === 'unknown') context.report({ node, messageId: 'unknown', data: { file: relative(SRC, file) } })
      },
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value)
    }
  }
}

export default { rules: { layers: rule } }
