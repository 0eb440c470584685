/**
 * test/e2e/browser.ts holds the one Chromium path and flag list, next to vitest suite hooks that
 * plain Node cannot load (vitest refuses require()). The benchmark needs only the flags: import
 * this module before browser.ts so its `vitest` import gets inert hooks instead.
 */
import { createRequire } from 'node:module'

const require = createRequire(__filename)
const noop = (): void => undefined
const id = require.resolve('vitest')
require.cache[id] = { id, filename: id, loaded: true, exports: { beforeAll: noop, afterAll: noop, afterEach: noop, beforeEach: noop } } as unknown as NodeJS.Module
