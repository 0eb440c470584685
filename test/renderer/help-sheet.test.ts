/** Help: ? and F1 open the shortcut sheet with About; the nav's Help button and the menu's About open it too (issue 15, item 15). */
import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount } from '@vue/test-utils'
import { setApi } from '../../src-renderer/src/api/client'
import App from '../../src-renderer/src/App.vue'
import { FakeApi } from './fake-api'

function press(key: string): void {
  window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }))
}

describe('help sheet', () => {
  afterEach(() => {
    setApi(null)
    localStorage.clear()
  })

  it('opens with ?, F1, the Help button and the About menu command, and shows the version and backend', async () => {
    setActivePinia(createPinia())
    const api = new FakeApi()
      .handle('app.info', () => ({
        name: 'TCGM Lab',
        version: '0.1.0',
        platform: 'linux',
        arch: 'x64',
        node: '20',
        shell: 'browser',
        backend: { name: 'wasm', reason: 'no native TensorFlow', tried: [] },
        startWithDemo: false
      }))
      .handle('studies.recent', () => [])
    setApi(api)
    const wrapper = mount(App, { attachTo: document.body })
    await flushPromises()
    expect(wrapper.find('[data-testid="help-sheet"]').exists()).toBe(false)
    press('?')
    await flushPromises()
    expect(wrapper.get('[data-testid="help-sheet"]').text()).toContain('Ctrl+Shift+Z or Ctrl+Y')
    expect(wrapper.get('[data-testid="help-about"]').text()).toContain('TCGM Lab 0.1.0')
    expect(wrapper.get('[data-testid="help-about"]').text()).toContain('wasm')
    press('Escape')
    await flushPromises()
    expect(wrapper.find('[data-testid="help-sheet"]').exists()).toBe(false)
    press('F1')
    await flushPromises()
    expect(wrapper.find('[data-testid="help-sheet"]').exists()).toBe(true)
    await wrapper.get('[data-testid="help-close"]').trigger('click')
    await wrapper.get('[data-testid="nav-help"]').trigger('click')
    expect(wrapper.find('[data-testid="help-sheet"]').exists()).toBe(true)
    await wrapper.get('[data-testid="help-close"]').trigger('click')
    api.emit('menu.command', { command: 'about' })
    await flushPromises()
    expect(wrapper.find('[data-testid="help-sheet"]').exists()).toBe(true)
    wrapper.unmount()
  })
})
