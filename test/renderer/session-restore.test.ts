/** First launch with --demo (`npm start`): the window creates and opens the demo study by itself,
 *  but only when there is nothing to reopen and no recent study. */
import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent } from 'vue'
import { flushPromises, mount } from '@vue/test-utils'
import { setApi } from '../../src-renderer/src/api/client'
import { useSessionRestore } from '../../src-renderer/src/composables/useSessionRestore'
import { OPEN_STUDY_KEY } from '../../src-renderer/src/stores/study'
import { FakeApi, STUDY, studySummary } from './fake-api'

const Host = defineComponent({
  setup() {
    useSessionRestore()
    return () => null
  }
})

function fakeApi(startWithDemo: boolean, recent: Array<{ path: string; name: string; openedAt: string }>): FakeApi {
  return new FakeApi()
    .handle('app.info', () => ({
      name: 'TCGM Lab',
      version: '0.1.0',
      platform: 'linux',
      arch: 'x64',
      node: '20',
      shell: 'browser',
      backend: { name: 'wasm', reason: 'tfjs-node not installed', tried: [] },
      startWithDemo
    }))
    .handle('studies.recent', () => recent)
    .handle('study.open', () => studySummary())
    .handle('study.createDemo', () => ({ jobId: 'demo-1' }))
}

describe('session restore', () => {
  afterEach(() => {
    setApi(null)
    localStorage.clear()
    sessionStorage.clear()
  })

  it('creates the demo study on a first launch with --demo', async () => {
    setActivePinia(createPinia())
    const api = fakeApi(true, [])
    setApi(api)
    const w = mount(Host)
    await flushPromises()
    expect(api.callsOf('study.createDemo')).toHaveLength(1)
    w.unmount()
  })

  it('does not create a demo when a study was used before, or without --demo', async () => {
    for (const [demo, recent] of [
      [true, [{ path: STUDY, name: 'Mine', openedAt: '2026-11-01T00:00:00Z' }]],
      [false, []]
    ] as const) {
      setActivePinia(createPinia())
      const api = fakeApi(demo, [...recent])
      setApi(api)
      const w = mount(Host)
      await flushPromises()
      expect(api.callsOf('study.createDemo')).toHaveLength(0)
      w.unmount()
    }
  })

  it('reopens the last study instead of creating a demo', async () => {
    setActivePinia(createPinia())
    localStorage.setItem(OPEN_STUDY_KEY, STUDY)
    const api = fakeApi(true, [])
    setApi(api)
    const w = mount(Host)
    await flushPromises()
    expect(api.callsOf('study.open')).toEqual([{ study: STUDY }])
    expect(api.callsOf('study.createDemo')).toHaveLength(0)
    w.unmount()
  })
})
