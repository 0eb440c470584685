/**
 * The layout the viewer opens with: an explicit request wins, then the researcher's last choice
 * (kept in localStorage), then the renderer's default (everything on hardware WebGL, the fused
 * views only under software WebGL).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { LAYOUT_KEY, initialLayout, readRememberedLayout, rememberLayout } from '../../src-renderer/src/viewer/layout'

afterEach(() => localStorage.clear())

describe('viewer layout', () => {
  it('opens with everything on a hardware renderer and the fused views under software WebGL', () => {
    expect(initialLayout(undefined, null, false)).toEqual({ layout: 'all', chosenForRenderer: true })
    expect(initialLayout(undefined, null, true)).toEqual({ layout: 'fused', chosenForRenderer: true })
  })

  it('prefers the requested layout, then the remembered one, and ignores unknown values', () => {
    expect(initialLayout('compare', 'all', true)).toEqual({ layout: 'compare', chosenForRenderer: false })
    expect(initialLayout(undefined, 'all', true)).toEqual({ layout: 'all', chosenForRenderer: false })
    expect(initialLayout('grid', 'sideways', true)).toEqual({ layout: 'fused', chosenForRenderer: true })
    expect(initialLayout(42, undefined, false).layout).toBe('all')
  })

  it('remembers the last choice across viewer openings', () => {
    expect(readRememberedLayout()).toBeNull()
    rememberLayout('compare')
    expect(localStorage.getItem(LAYOUT_KEY)).toBe('compare')
    expect(initialLayout(undefined, readRememberedLayout(), true).layout).toBe('compare')
  })
})
