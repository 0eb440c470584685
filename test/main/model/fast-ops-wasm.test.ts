/** The fast ops on the wasm backend (where they run on CPUs) against tf.conv3d on cpu. */
import { beforeAll } from 'vitest'
import { chooseBackend } from '../../../src-main/engine/backend/choose'
import { fastOpsEquivalence } from './fast-ops-suite'

beforeAll(async () => {
  await chooseBackend('wasm', undefined, {})
})

fastOpsEquivalence('wasm')
