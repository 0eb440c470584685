/**
 * Delimited tables (CSV / TSV / semicolon CSV) as the field writes them: ADNI collection CSVs
 * (every field quoted), ADNIMERGE, BIDS participants.tsv, manifests. The delimiter is detected
 * from the header line; quoted fields may hold delimiters, doubled quotes and line breaks.
 */
import { promises as fsp } from 'node:fs'

export interface Table {
  file: string
  delimiter: string
  /** Column names as written (trimmed). */
  columns: string[]
  /** Rows as column -> value (trimmed); `line` is the 1-based line of the row in the file. */
  rows: Array<{ line: number; values: Record<string, string> }>
}

const CANDIDATES = ['\t', ',', ';'] as const

function delimiterName(d: string): string {
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

function splitRecords(text: string, delimiter: string): Array<{ line: number; fields: string[] }> {
  const out: Array<{ line: number; fields: string[] }> = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let recordLine = 1
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else {
        if (ch === '\n') line++
        field += ch
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true
      field = ''
    } else if (ch === delimiter) {
      fields.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      fields.push(field)
      out.push({ line: recordLine, fields })
      fields = []
      field = ''
      line++
      recordLine = line
    } else field += ch
  }
  if (field !== '' || fields.length > 0) {
    fields.push(field)
    out.push({ line: recordLine, fields })
  }
  return out.filter((r) => !(r.fields.length === 1 && r.fields[0]!.trim() === ''))
}

/** Parses a delimited text. `file` is only used in messages. */
export function parseTable(file: string, text: string): Table {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const firstLine = body.split(/\r?\n/, 1)[0] ?? ''
  const preferred = /\.tsv$/i.test(file) ? '\t' : ','
  const delimiter = detectDelimiter(firstLine, preferred)
  const records = splitRecords(body, delimiter)
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

export async function readTable(file: string): Promise<Table> {
  let text: string
  try {
    const info = await fsp.stat(file)
    if (!info.isFile()) throw new Error('not a regular file')
    if (info.size > MAX_TABLE_BYTES) throw new Error(`${info.size} bytes is more than a table of ${MAX_TABLE_BYTES} bytes`)
    text = await fsp.readFile(file, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseTable(file, text)
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
