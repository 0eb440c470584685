/**
 * Reading a run's config.json: checked against the schema (domain/run-config.ts), with older
 * formats migrated on read (the file itself is left as it is).
 *
 * Format 0 is config.json as runs wrote it before it had a formatVersion: id, method, preset,
 * seeds, epochs, hyperparameters, the engine settings the run set (a partial TrainConfig),
 * createdAt, classNames. Migrating it resolves the engine settings the way training and resume
 * resolve them (resolveTrainConfig) and records the app, backend, preprocessing and split as not
 * recorded (null).
 */
import { RUN_FORMAT_VERSION, RunConfig } from '../domain/run-config'
import { resolveTrainConfig, type TrainConfig } from '../domain/train-config'
import { describeReadError } from '../files/read-error'

type Raw = Record<string, unknown>

/** version -> function turning a config of that version into one of version + 1. */
const migrations: Record<number, (old: Raw) => Raw> = {
  0: (old) => ({
    ...old,
    app: null,
    train: resolveTrainConfig((old.train ?? {}) as Partial<TrainConfig>),
    backend: null,
    preprocessing: null,
    split: null
  })
}

/**
 * Parses the text of `file` (a run's config.json) into the current format.
 * @throws naming the file, the format version found and why it cannot be read
 */
export function parseRunConfig(file: string, text: string): { config: RunConfig; migratedFrom: number | null } {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new Error(`${file} is damaged: ${describeReadError(err)}; the run cannot be read`, { cause: err })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${file} is damaged: it does not hold a JSON object; the run cannot be read`)
  let obj = raw as Raw
  const version = obj.formatVersion ?? 0
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    const found = typeof version === 'number' ? version : `a ${typeof version}`
    throw new Error(`${file} has formatVersion ${found}, which is not a TCGM Lab run format; the run cannot be read`)
  }
  if (version > RUN_FORMAT_VERSION) {
    throw new Error(
      `${file} is run format ${version}, written by a newer version of TCGM Lab (this version reads formats 0 to ${RUN_FORMAT_VERSION}); update the app to read this run`
    )
  }
  for (let v = version; v < RUN_FORMAT_VERSION; v++) {
    try {
      obj = { ...migrations[v]!(obj), formatVersion: v + 1 }
    } catch (err) {
      throw new Error(`${file} is run format ${v} and cannot be migrated to format ${v + 1}: ${(err as Error).message}`, { cause: err })
    }
  }
  const parsed = RunConfig.safeParse(obj)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(
      `${file} is damaged (run format ${version}): field '${issue?.path.join('.') || '(root)'}' ${issue?.message ?? 'is invalid'}; the run cannot be read`
    )
  }
  return { config: parsed.data, migratedFrom: version === RUN_FORMAT_VERSION ? null : version }
}
