/**
 * Where the shared, read-only test data lives: `../shared` beside the checkout (CI lays it out
 * the same way). Tests that need it skip with a clear message when it is absent.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

export const repoRoot = resolve(__dirname, '../..')
export const sharedDir = resolve(repoRoot, '..', 'shared')
export const fixturesDir = resolve(sharedDir, 'fixtures', 'nifti')
export const haveFixtures = existsSync(resolve(fixturesDir, 'expected-nibabel.json'))
export const fixturesSkipReason = `../shared/fixtures/nifti not found at ${fixturesDir}: real-data tests skipped`

if (!haveFixtures) console.warn(fixturesSkipReason)
