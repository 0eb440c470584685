/**
 * Small settings the window remembers across reloads and launches (localStorage, one JSON value
 * per key): what the researcher chose last, never study data (that is on disk in the study).
 * Unavailable or corrupt storage reads as "nothing remembered".
 */
const PREFIX = 'tcgm-lab.pref.'

export function readPref<T>(key: string, valid: (v: unknown) => v is T): T | null {
  try {
    const raw = localStorage.getItem(PREFIX + key)
    if (raw === null) return null
    const v: unknown = JSON.parse(raw)
    return valid(v) ? v : null
  } catch {
    return null
  }
}

export function writePref(key: string, value: unknown): void {
  try {
    if (value === null || value === undefined) localStorage.removeItem(PREFIX + key)
    else localStorage.setItem(PREFIX + key, JSON.stringify(value))
  } catch {
    // Storage full or unavailable: the choice lasts until the window closes.
  }
}

export const isString = (v: unknown): v is string => typeof v === 'string'
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean'

/** The run the researcher last looked at in Results, per study folder. */
export const lastRunKey = (study: string) => `lastRun:${study}`
