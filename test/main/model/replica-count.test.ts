/** How many replicas a network gets: cores shared among networks, bounded by memory, overridable. */
import { describe, expect, it } from 'vitest'
import { chooseReplicaCount } from '../../../src-main/engine/model/parallel/replica-count'

const GiB = 2 ** 30
const flat = (bytes: number) => () => bytes

describe('chooseReplicaCount', () => {
  it('shares the cores among the networks on the CPU backends', () => {
    expect(chooseReplicaCount({ networks: 2, backend: 'wasm', bytesPerReplica: flat(0.5 * GiB) }, { cores: 16, freeBytes: 64 * GiB }, {})).toEqual({
      count: 8,
      reason: '8: 16 cores for 2 network(s)'
    })
    expect(chooseReplicaCount({ networks: 2, backend: 'wasm', bytesPerReplica: flat(GiB) }, { cores: 2, freeBytes: 64 * GiB }, {}).count).toBe(1)
    expect(chooseReplicaCount({ networks: 1, backend: 'cpu', bytesPerReplica: flat(GiB) }, { cores: 3, freeBytes: 64 * GiB }, {}).count).toBe(3)
  })

  it('takes fewer replicas when memory is short', () => {
    // 0.8 * 10 GiB / 2 networks = 4 GiB each: three replicas of 1.2 GiB fit, four do not.
    const got = chooseReplicaCount({ networks: 2, backend: 'wasm', bytesPerReplica: flat(1.2 * GiB) }, { cores: 16, freeBytes: 10 * GiB }, {})
    expect(got).toEqual({ count: 3, reason: '3: 16 cores for 2 network(s), but free memory for 3 replicas each' })
  })

  it('keeps one network per device on native TensorFlow and GPU backends', () => {
    for (const backend of ['tensorflow', 'webgpu'])
      expect(chooseReplicaCount({ networks: 1, backend, bytesPerReplica: flat(1) }, { cores: 16, freeBytes: 64 * GiB }, {}).count).toBe(1)
    expect(
      chooseReplicaCount({ networks: 1, backend: 'webgpu', bytesPerReplica: flat(1) }, { cores: 16, freeBytes: 64 * GiB }, { TCGM_REPLICAS: '4' }).reason
    ).toMatch(/ignored/)
  })

  it('lets TCGM_REPLICAS, then the option, override, and rejects bad values', () => {
    const machine = { cores: 16, freeBytes: 64 * GiB }
    expect(chooseReplicaCount({ requested: 2, networks: 2, backend: 'wasm', bytesPerReplica: flat(1) }, machine, { TCGM_REPLICAS: '5' })).toEqual({
      count: 5,
      reason: '5 set by TCGM_REPLICAS'
    })
    expect(chooseReplicaCount({ requested: 2, networks: 2, backend: 'wasm', bytesPerReplica: flat(1) }, machine, {})).toEqual({
      count: 2,
      reason: '2 requested'
    })
    expect(() => chooseReplicaCount({ networks: 1, backend: 'wasm', bytesPerReplica: flat(1) }, machine, { TCGM_REPLICAS: 'many' })).toThrow(
      "replicas from environment variable TCGM_REPLICAS must be a positive integer, got 'many'"
    )
    expect(() => chooseReplicaCount({ requested: 0, networks: 1, backend: 'wasm', bytesPerReplica: flat(1) }, machine, {})).toThrow(
      'replicas from the option must be a positive integer'
    )
  })
})
