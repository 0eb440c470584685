/**
 * Notifications: every failure the researcher must see, with the action that failed, the file
 * it concerned (when there is one) and the reason. Stores report here; the notification area
 * reads it. Info messages (for instance "exported to ...") share the same list.
 */
import { defineStore } from 'pinia'
import { ref } from 'vue'

export interface Notice {
  readonly id: number
  readonly level: 'error' | 'info'
  /** What the user was doing, as a verb phrase: "Saving the label of 002_S_0295". */
  readonly action: string
  /** The file or folder concerned, when known. */
  readonly file?: string
  /** Why it failed (the message from the main process), or the info text. */
  readonly message: string
  /** Milliseconds since the epoch. */
  readonly at: number
}

/** The text of anything thrown across the API (Error, ApiError, string, other). */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    return (err as { message: string }).message
  }
  return String(err)
}

/** How long a confirmation stays on screen, in milliseconds. */
export const INFO_MS = 10_000

export const useErrorsStore = defineStore('errors', () => {
  const notices = ref<Notice[]>([])
  let nextId = 1

  /** Records a failure; returns its id. Keeps the newest 50. */
  function report(action: string, err: unknown, file?: string): number {
    const notice: Notice = { id: nextId++, level: 'error', action, file, message: messageOf(err), at: Date.now() }
    notices.value = [notice, ...notices.value].slice(0, 50)
    return notice.id
  }

  /** Records a confirmation; it goes away by itself after `INFO_MS` (failures stay until dismissed). */
  function info(action: string, message: string, file?: string): number {
    const notice: Notice = { id: nextId++, level: 'info', action, file, message, at: Date.now() }
    notices.value = [notice, ...notices.value].slice(0, 50)
    setTimeout(() => dismiss(notice.id), INFO_MS)
    return notice.id
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id)
  }

  function clear(): void {
    notices.value = []
  }

  /**
   * Runs `work`, reporting a failure under `action` (and `file`) before rethrowing it, so the
   * caller can still react (for instance mark a label as unsaved).
   */
  async function guard<T>(action: string, work: () => Promise<T>, file?: string): Promise<T> {
    try {
      return await work()
    } catch (err) {
      report(action, err, file)
      throw err
    }
  }

  return { notices, report, info, dismiss, clear, guard }
})
