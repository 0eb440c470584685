/**
 * Window-wide keyboard shortcuts for the lifetime of the calling component (removed in
 * onScopeDispose). Keys typed into a text field, select or button-like control that uses them
 * are left alone, so search boxes and forms keep working.
 */
import { onScopeDispose } from 'vue'

/** A shortcut handler: return false to let the key through (no preventDefault). */
export type ShortcutHandler = (e: KeyboardEvent) => void | boolean

/**
 * @param resolve maps an event to its handler, or undefined when the key is not a shortcut.
 *   Keys are matched on `KeyboardEvent.key` (layout-aware: "1", "s", "ArrowRight").
 */
export function useShortcuts(resolve: (e: KeyboardEvent) => ShortcutHandler | undefined): void {
  function onKeydown(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.isComposing || isTyping(e.target)) return
    const handler = resolve(e)
    if (!handler) return
    if (handler(e) !== false) e.preventDefault()
  }
  window.addEventListener('keydown', onKeydown)
  onScopeDispose(() => window.removeEventListener('keydown', onKeydown))
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type
    return type !== 'checkbox' && type !== 'radio' && type !== 'button'
  }
  return false
}
