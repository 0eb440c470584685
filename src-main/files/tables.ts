/**
 * The app's one reader and writer of delimited tables (CSV / TSV / semicolon CSV) as the field
 * writes them: ADNI collection CSVs (every field quoted), ADNIMERGE, BIDS participants.tsv,
 * manifests, label files, feature tables, labels.tsv, and the predictions and metrics tables a
 * run writes. Quoted fields may hold delimiters, doubled quotes and line breaks (RFC 4180).
 *
 * Parsing and quoting are papaparse's: a small, widely used parser with no dependencies that
 * implements RFC 4180 quoting in both directions and runs unchanged in Node. Its delimiter
 * guesser looks at the whole sample and misreads short files, so the delimiter is chosen here
 * from the header line alone (outside quotes), with a tie going to tab for .tsv files.
 */
import { promises as fsp } from 'node:fs'
import Papa from 'papaparse'

export interface Table {
  file: string
  delimiter: string
  /** Column names as written (trimmed). */
  columns: string[]
  /** Rows as column -> value (trimmed); `line` is the 1-based line of the row in the file. */
  rows: Array<{ line: number; values: Record<string, string> }>
}

/** One record of a delimited text: its fields as written and the 1-based line it starts on. */
export interface TableRecord {
  line: number
  fields: string[]
}

const CANDIDATES = ['\t', ',', ';'] as const

export function delimiterName(d: string): string {
  return d === '\t' ? 'tab' : d === ',' ? 'comma' : d === ';' ? 'semicolon' : JSON.stringify(d)
}

/** Picks the candidate delimiter that splits the header (outside quotes) into the most fields. */
export function detectDelimiter(headerLine: string, preferred?: string): string {
  let best = preferred ?? ','
  let bestCount = -1
  for (const d of CANDIDATES) {
    let count = 0
    let quoted = false
    for (const ch of headerLine) {
      if (ch === '"') quoted = !quoted
      else if (ch === d && !quoted) count++
    }
    if (count > bestCount || (count === bestCount && d === preferred)) {
      best = d
      bestCount = count
    }
  }
  return best
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/**
 * Splits a delimited text into records (blank lines dropped). The delimiter is detected from the
 * header line unless given. `file` is only used in messages.
 * @throws naming the file and line of an unterminated quoted field
 */
export function parseRecords(file: string, text: string, opts: { delimiter?: string } = {}): { delimiter: string; records: TableRecord[] } {
  const body = stripBom(text)
  const delimiter = opts.delimiter ?? detectDelimiter(body.split(/\r?\n/, 1)[0] ?? '', /\.tsv$/i.test(file) ? '\t' : ',')
  const records: TableRecord[] = []
  // The step callback's cursor is the offset after each record: count line breaks up to the
  // start of the next one to know the line every record starts on.
  let start = 0
  let line = 1
  const linesUpTo = (end: number): void => {
    for (let i = start; i < end; i++) if (body.charCodeAt(i) === 10) line++
    start = end
  }
  let quoteError: string | null = null
  Papa.parse<string[]>(body, {
    delimiter,
    quoteChar: '"',
    escapeChar: '"',
    step: (r) => {
      const at = line
      if (r.errors.length && quoteError === null)
        quoteError = `${file} line ${at}: ${r.errors[0]!.message.toLowerCase()} (a field opened with " has no closing ")`
      linesUpTo(r.meta.cursor)
      const fields = r.data
      if (!(fields.length === 1 && fields[0]!.trim() === '')) records.push({ line: at, fields })
    }
  })
  if (quoteError !== null) throw new Error(quoteError)
  return { delimiter, records }
}

/** Parses a delimited text with a header line. `file` is only used in messages. */
export function parseTable(file: string, text: string, opts: { delimiter?: string } = {}): Table {
  const { delimiter, records } = parseRecords(file, text, opts)
  if (records.length === 0) throw new Error(`${file} is empty: expected a header line and rows`)
  const columns = records[0]!.fields.map((c) => c.trim())
  const rows = records.slice(1).map((r) => {
    if (r.fields.length !== columns.length) {
      throw new Error(
        `${file} line ${r.line}: ${r.fields.length} fields where the header has ${columns.length} (delimiter: ${delimiterName(delimiter)}); check the delimiter and quoting`
      )
    }
    const values: Record<string, string> = {}
    columns.forEach((c, k) => (values[c] = r.fields[k]!.trim()))
    return { line: r.line, values }
  })
  return { file, delimiter, columns, rows }
}

/** Larger tables are refused: ADNIMERGE, the largest the field has, is tens of MB. */
export const MAX_TABLE_BYTES = 512 * 1024 * 1024

export async function readTable(file: string, opts: { delimiter?: string } = {}): Promise<Table> {
  let text: string
  try {
    const info = await fsp.stat(file)
    if (!info.isFile()) throw new Error('not a regular file')
    if (info.size > MAX_TABLE_BYTES) throw new Error(`${info.size} bytes is more than a table of ${MAX_TABLE_BYTES} bytes`)
    text = await fsp.readFile(file, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseTable(file, text, opts)
}

/**
 * Finds a column by any of its accepted names (case-insensitive).
 * @throws naming the file, the columns wanted and the header found (and the delimiter used).
 */
export function column(table: Table, names: readonly string[], what: string): string {
  const found = findColumn(table, names)
  if (found) return found
  throw new Error(
    // The header itself is not quoted: a message never carries what a file holds (the file may
    // be anything the user pointed at, and messages travel to the window and the logs).
    `${table.file}: no ${what} column (looked for ${names.join(' / ')} among the ${table.columns.length} column(s) of its first line, read with delimiter ${delimiterName(table.delimiter)}). ` +
      'Use comma, tab or semicolon as the delimiter.'
  )
}

export function findColumn(table: Table, names: readonly string[]): string | null {
  const lower = new Map(table.columns.map((c) => [c.toLowerCase(), c]))
  for (const n of names) {
    const c = lower.get(n.toLowerCase())
    if (c) return c
  }
  return null
}

export type Cell = string | number | null | undefined

/**
 * A delimited text from a header and rows, ending in a newline. Fields holding the delimiter, a
 * quote or a line break are quoted (`quoteAll` quotes every field, as ADNI's CSVs do); null and
 * undefined are empty fields.
 */
export function formatTable(
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  opts: { delimiter?: '\t' | ',' | ';'; quoteAll?: boolean } = {}
): string {
  const fields = [columns, ...rows].map((r) => r.map((v) => (v === null || v === undefined ? '' : String(v))))
  return Papa.unparse(fields, { delimiter: opts.delimiter ?? '\t', newline: '\n', quotes: opts.quoteAll ?? false, escapeFormulae: false }) + '\n'
}
