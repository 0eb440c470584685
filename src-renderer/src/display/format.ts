/** How numbers and names are written in the window (one place, so every view agrees). */

const modalityNames: Record<string, string> = { smri: 'sMRI', pet: 'PET', aggregator: 'Aggregator' }

/** 'smri' -> 'sMRI', 'pet' -> 'PET', 'aggregator' -> 'Aggregator'; other names unchanged. */
export function modalityLabel(name: string): string {
  return modalityNames[name] ?? name
}

/** A probability or rate in 0..1 as a whole percentage: 0.8123 -> "81 %". */
export function percent(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? '–' : `${Math.round(v * 100)} %`
}

/** A metric with 3 decimals, "–" when missing. */
export function metric(v: number | null | undefined, digits = 3): string {
  return v == null || !Number.isFinite(v) ? '–' : v.toFixed(digits)
}

/** "0.853 ± 0.021"; the ± part is left out for a single seed. */
export function meanStd(mean: number | null | undefined, std: number | null | undefined, seeds: number): string {
  if (mean == null || !Number.isFinite(mean)) return '–'
  return seeds > 1 && std != null && Number.isFinite(std) ? `${mean.toFixed(3)} ± ${std.toFixed(3)}` : mean.toFixed(3)
}

/** Seconds as "1 h 05 min", "4 min 10 s", "12 s". */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** An ISO time as the local date and time, without seconds. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}
