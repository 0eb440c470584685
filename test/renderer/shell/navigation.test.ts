import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { useNavigationStore, viewIds } from '../../../src-renderer/src/stores/navigation'
import { views } from '../../../src-renderer/src/views'

beforeEach(() => setActivePinia(createPinia()))

describe('navigation store', () => {
  it('starts on Start, opens views with parameters, and goes back', () => {
    const nav = useNavigationStore()
    expect(nav.current).toBe('start')
    expect(nav.canGoBack).toBe(false)
    nav.open('viewer', { subjectId: '002_S_0295' })
    expect(nav.current).toBe('viewer')
    expect(nav.params).toEqual({ subjectId: '002_S_0295' })
    nav.open('viewer', { subjectId: '002_S_0295' }) // same place: no history entry
    nav.open('viewer', { subjectId: '941_S_1195' })
    nav.back()
    expect(nav.params).toEqual({ subjectId: '002_S_0295' })
    nav.back()
    expect(nav.current).toBe('start')
    expect(nav.canGoBack).toBe(false)
    nav.back() // nothing to go back to
    expect(nav.current).toBe('start')
  })

  it('refuses an unknown view by name', () => {
    expect(() => useNavigationStore().open('settings' as never)).toThrow(
      "open: unknown view 'settings' (known: start, subjects, label, train, results, viewer)"
    )
  })

  it('records menu commands with a sequence number and shows the view that carries them out', () => {
    const nav = useNavigationStore()
    nav.open('train')
    nav.receiveMenuCommand('export')
    expect(nav.menuCommand).toEqual({ command: 'export', seq: 1 })
    expect(nav.current).toBe('results')
    nav.receiveMenuCommand('about')
    expect(nav.menuCommand).toEqual({ command: 'about', seq: 2 })
    expect(nav.current).toBe('start')
    nav.open('label')
    nav.receiveMenuCommand('openStudy')
    expect(nav.current).toBe('start')
    nav.open('label')
    nav.receiveMenuCommand('newStudy')
    expect(nav.menuCommand).toEqual({ command: 'newStudy', seq: 4 })
    expect(nav.current).toBe('start')
  })
})

describe('view registry', () => {
  it('registers only known views, with Start always present', () => {
    expect(views.start?.label).toBe('Start')
    for (const id of Object.keys(views)) expect(viewIds).toContain(id)
  })
})
