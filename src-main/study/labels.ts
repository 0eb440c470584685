/**
 * Labels of a study: an append-only log (labels.log.tsv) is the truth; labels.tsv is a snapshot
 * derived from it (rewritten atomically after every change, repaired from the log on open).
 *
 * Each event is one fsync'ed line, so after a kill -9 the log holds a prefix of the events
 * written; a torn last line (no trailing newline) is ignored and cut off by the next writer.
 * A damaged tail (a line that is not an event, or an event number out of sequence, e.g. from a
 * writer that bypassed the lock) never locks the researcher out: reads keep the events before it,
 * and the next writer moves it, unchanged, to labels.damaged-<time>.tsv beside the log and says so.
 * Labels hidden by "simulate a label rate" live in labels.hidden.tsv, which is written before
 * the clear events that hide them: a known label is always in one of the two places.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { formatTable, parseRecords } from '../files/tables'
import { appendLinesDurable, describeWriteError, writeFileAtomic } from './atomic'

export const LABEL_LOG = 'labels.log.tsv'
export const LABELS_TSV = 'labels.tsv'
export const HIDDEN_LABELS_TSV = 'labels.hidden.tsv'
const LOG_HEADER = ['seq', 'time', 'action', 'subject', 'label', 'previous', 'undoes', 'source']

export type LabelAction = 'set' | 'clear' | 'undo'

export interface LabelEvent {
  /** 1-based position in the log. */
  seq: number
  /** ISO 8601 UTC. */
  time: string
  action: LabelAction
  subject: string
  /** Label after the event; null when cleared. */
  label: string | null
  previous: string | null
  /** For undo: the seq of the event undone; for a redo (a user set/clear): the seq of the undo it reverses. */
  undoes: number | null
  /** 'user', 'import:<file>', 'simulate', ... */
  source: string
}

/** Only tabs and newlines are special in the log; they never occur in ids or class names. */
function clean(field: string, what: string): string {
  if (/[\t\r\n]/.test(field)) throw new Error(`${what} '${field.replace(/[\t\r\n]/g, ' ')}' must not contain tabs or line breaks`)
  return field
}

function formatEvent(e: LabelEvent): string {
  return [
    String(e.seq),
    e.time,
    e.action,
    clean(e.subject, 'subject id'),
    e.label === null ? '' : clean(e.label, 'label'),
    e.previous === null ? '' : e.previous,
    e.undoes === null ? '' : String(e.undoes),
    clean(e.source, 'label source')
  ].join('\t')
}

function parseEvent(file: string, lineNo: number, line: string): LabelEvent {
  const f = line.split('\t')
  const action = f[2] as LabelAction
  const seq = Number(f[0])
  if (f.length !== LOG_HEADER.length || !Number.isInteger(seq) || !['set', 'clear', 'undo'].includes(action)) {
    throw new Error(`${file} line ${lineNo} is not a label event (expected ${LOG_HEADER.length} tab-separated fields: ${LOG_HEADER.join(', ')})`)
  }
  return {
    seq,
    time: f[1]!,
    action,
    subject: f[3]!,
    label: f[4] === '' ? null : f[4]!,
    previous: f[5] === '' ? null : f[5]!,
    undoes: f[6] === '' ? null : Number(f[6]),
    source: f[7]!
  }
}

export interface LogRead {
  events: LabelEvent[]
  /** Byte length of the good events; a longer file has a torn or damaged tail to cut. */
  validBytes: number
  fileBytes: number
  /** The first damaged line and why, when the log has a damaged tail (null: none, or only a
   *  torn last line). */
  damaged: { line: number; lines: number; reason: string } | null
}

/** Prefix of the files a damaged log tail is set aside in. */
export const DAMAGED_LOG_PREFIX = 'labels.damaged-'

/** Reads the log, ignoring a torn last line. A missing log is an empty one. */
export async function readLabelLog(studyDir: string): Promise<LogRead> {
  const file = join(studyDir, LABEL_LOG)
  let buf: Buffer
  try {
    buf = await fsp.readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], validBytes: 0, fileBytes: 0, damaged: null }
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  const complete = buf.lastIndexOf(0x0a) + 1
  const lines = buf.subarray(0, complete).toString('utf8').split('\n')
  lines.pop() // after the final newline
  const events: LabelEvent[] = []
  let validBytes = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (i === 0) {
      if (line !== LOG_HEADER.join('\t')) throw new Error(`${file} does not start with the label log header (${LOG_HEADER.join(', ')})`)
    } else if (line !== '') {
      let reason: string | null = null
      try {
        const e = parseEvent(file, i + 1, line)
        if (e.seq !== events.length + 1) reason = `event number ${e.seq} where ${events.length + 1} was expected`
        else events.push(e)
      } catch (err) {
        reason = (err as Error).message.replace(`${file} line ${i + 1} `, '')
      }
      if (reason !== null) return { events, validBytes, fileBytes: buf.length, damaged: { line: i + 1, lines: lines.length - i, reason } }
    }
    validBytes += Buffer.byteLength(line, 'utf8') + 1
  }
  return { events, validBytes, fileBytes: buf.length, damaged: null }
}

/** Moves a damaged tail (see the module doc) to labels.damaged-<time>.tsv, unchanged, then cuts
 *  the log after its good events. Call under the study lock. Returns the message to show. */
export async function setAsideDamagedTail(studyDir: string, log: LogRead): Promise<string | null> {
  if (log.damaged === null) return null
  const file = join(studyDir, LABEL_LOG)
  const buf = await fsp.readFile(file)
  const aside = join(studyDir, `${DAMAGED_LOG_PREFIX}${new Date().toISOString().replace(/[-:.]/g, '')}.tsv`)
  // Header first, so the set-aside file reads like a log; the original lines follow unchanged.
  await writeFileAtomic(aside, Buffer.concat([Buffer.from(LOG_HEADER.join('\t') + '\n'), buf.subarray(log.validBytes)]))
  try {
    await fsp.truncate(file, log.validBytes)
  } catch (err) {
    throw describeWriteError(file, err)
  }
  log.fileBytes = log.validBytes
  const { line, lines, reason } = log.damaged
  log.damaged = null
  return `${file} line ${line}: ${reason}; that line and the ${lines - 1} after it were set aside, unchanged, in ${aside} (the labels before it are kept; re-apply any you need)`
}

/** Current labels from the events, in log order. */
export function replayLabels(events: readonly LabelEvent[]): Map<string, string> {
  const labels = new Map<string, string>()
  for (const e of events) {
    if (e.label === null) labels.delete(e.subject)
    else labels.set(e.subject, e.label)
  }
  return labels
}

/** The most recent user event not undone yet (what `undo` reverts), or null. */
export function undoTarget(events: readonly LabelEvent[]): LabelEvent | null {
  const undone = new Set<number>()
  for (const e of events) if (e.action === 'undo' && e.undoes !== null) undone.add(e.undoes)
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!
    if (e.action !== 'undo' && e.source === 'user' && !undone.has(e.seq)) return e
  }
  return null
}

/**
 * What `redo` re-applies: the latest user undo not yet redone, with the event it undid, or null.
 * A redo is a user set/clear whose `undoes` names the undo it reverses; any other change (a new
 * label, an import, a simulated rate) empties the redo stack, as in every editor.
 */
export function redoTarget(events: readonly LabelEvent[]): { undo: LabelEvent; target: LabelEvent } | null {
  const stack: LabelEvent[] = []
  for (const e of events) {
    if (e.action === 'undo' && e.source === 'user') stack.push(e)
    else if (e.source === 'user' && e.undoes !== null && stack.at(-1)?.seq === e.undoes) stack.pop()
    else stack.length = 0
  }
  const undo = stack.at(-1)
  const target = undo ? events[undo.undoes! - 1] : undefined
  return undo && target ? { undo, target } : null
}

/** participant_id -> label from labels.tsv or labels.hidden.tsv (rows without both are skipped). */
export function parseTwoColumn(file: string, text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const { fields } of parseRecords(file, text, { delimiter: '\t' }).records.slice(1)) {
    const [id, label] = fields
    if (id && label) out.set(id, label)
  }
  return out
}

function formatTwoColumn(map: Map<string, string>): string {
  const rows = [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return formatTable(['participant_id', 'label'], rows)
}

export async function readHiddenLabels(studyDir: string): Promise<Map<string, string>> {
  const file = join(studyDir, HIDDEN_LABELS_TSV)
  try {
    return parseTwoColumn(file, await fsp.readFile(file, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** Append-only record of every time the researcher revealed the hidden labels in the window. */
export const REVEAL_LOG = 'reveals.log.tsv'

export async function appendRevealEvent(studyDir: string, count: number, source: string): Promise<string> {
  const file = join(studyDir, REVEAL_LOG)
  const exists = await fsp.stat(file).then(
    () => true,
    () => false
  )
  if (!exists) await writeFileAtomic(file, 'time\thidden_labels\tsource\n')
  const time = new Date().toISOString()
  await appendLinesDurable(file, [`${time}\t${count}\t${clean(source, 'reveal source')}`])
  return time
}

export async function writeHiddenLabels(studyDir: string, hidden: Map<string, string>): Promise<void> {
  await writeFileAtomic(join(studyDir, HIDDEN_LABELS_TSV), formatTwoColumn(hidden))
}

/** Rewrites labels.tsv from the current labels. */
export async function writeLabelsSnapshot(studyDir: string, labels: Map<string, string>): Promise<void> {
  await writeFileAtomic(join(studyDir, LABELS_TSV), formatTwoColumn(labels))
}

/**
 * Appends events (numbered after `known`) to the log. Must be called under the study lock with
 * `known` read under the same lock. Cuts a torn tail first so the new lines start clean.
 */
export async function appendLabelEvents(studyDir: string, log: LogRead, changes: ReadonlyArray<Omit<LabelEvent, 'seq' | 'time'>>): Promise<LabelEvent[]> {
  const file = join(studyDir, LABEL_LOG)
  await setAsideDamagedTail(studyDir, log)
  if (log.fileBytes === 0) {
    await writeFileAtomic(file, LOG_HEADER.join('\t') + '\n')
  } else if (log.fileBytes > log.validBytes) {
    try {
      await fsp.truncate(file, log.validBytes)
    } catch (err) {
      throw describeWriteError(file, err)
    }
  }
  const time = new Date().toISOString()
  let seq = log.events.length
  const written = changes.map((c) => ({ ...c, seq: ++seq, time }))
  if (written.length > 0) await appendLinesDurable(file, written.map(formatEvent))
  return written
}
