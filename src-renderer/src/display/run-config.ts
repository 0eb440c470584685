/**
 * What a run trained with, read from its config.json as the run comparison shows it. The engine's
 * resolved configuration (`train`) is what the seeds really used; the researcher's typed
 * hyperparameters leave a default out, so they are only the fallback for runs that predate it.
 */

/** The value a run used for a setting (a catalogue key such as lrLabelled), as text; "–" when unrecorded. */
export function runSetting(config: Record<string, unknown>, key: string): string {
  const resolved = asRecord(config.train)[key]
  const value = resolved ?? config[key] ?? asRecord(config.hyperparameters)[key]
  return value === undefined || value === null ? '–' : String(value)
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {}
}
