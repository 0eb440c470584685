/**
 * Readers for the tabular inputs of a TCGM run:
 * - a feature table per modality: TSV with a header, a `participant_id` column and numeric
 *   feature columns (one row per subject);
 * - a labels table: TSV with `participant_id` and `label` columns; an empty label (or NA) means
 *   unlabelled. Labels are class names (e.g. CN / AD) or 0-based integers.
 * Quoted fields are honoured (files/tables.ts). Every error names the file, the line (1-based, header = line 1) and the problem.
 */
import { readFileSync } from 'node:fs'
import { parseRecords, type TableRecord } from '../../files/tables'

export interface FeatureTable {
  file: string
  ids: string[]
  columns: string[]
  /** Row-major [ids.length, columns.length]. */
  values: Float64Array
}

export interface LabelsTable {
  file: string
  /** participant_id -> label text ('' = unlabelled) in file order. */
  labels: Map<string, string>
}

const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'n/a', 'N/A'])

/** The header (trimmed) and the data records of a tab-separated file (quotes honoured). */
function readRecords(file: string): { header: string[]; rows: TableRecord[] } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`${file}: cannot read (${err instanceof Error ? err.message : String(err)})`, { cause: err })
  }
  const { records } = parseRecords(file, text, { delimiter: '\t' })
  if (records.length === 0) throw new Error(`${file}: the file is empty (expected a header line)`)
  return { header: records[0]!.fields.map((h) => h.trim()), rows: records.slice(1) }
}

function idColumn(file: string, header: string[]): number {
  const k = header.indexOf('participant_id')
  if (k < 0) throw new Error(`${file}: no 'participant_id' column in the header (columns: ${header.join(', ')})`)
  return k
}

function checkWidth(file: string, header: string[], r: TableRecord): string[] {
  if (r.fields.length !== header.length) throw new Error(`${file}:${r.line}: ${r.fields.length} fields, the header has ${header.length}`)
  return r.fields
}

export function readFeatureTable(file: string): FeatureTable {
  const { header, rows } = readRecords(file)
  const idc = idColumn(file, header)
  const featureCols = header.map((_, k) => k).filter((k) => k !== idc)
  if (featureCols.length === 0) throw new Error(`${file}: no feature columns besides participant_id`)
  const ids: string[] = []
  const seen = new Set<string>()
  const values = new Float64Array(rows.length * featureCols.length)
  rows.forEach((record, r) => {
    const cells = checkWidth(file, header, record)
    const id = cells[idc]!.trim()
    if (!id) throw new Error(`${file}:${record.line}: empty participant_id`)
    if (seen.has(id)) throw new Error(`${file}:${record.line}: participant_id '${id}' appears twice`)
    seen.add(id)
    ids.push(id)
    featureCols.forEach((k, j) => {
      const cell = cells[k]!.trim()
      const v = Number(cell)
      if (MISSING.has(cell) || !Number.isFinite(v)) {
        throw new Error(
          `${file}:${record.line}: column '${header[k]}' of '${id}' is '${cell}', expected a finite number (remove the subject from this table if the modality is missing)`
        )
      }
      values[r * featureCols.length + j] = v
    })
  })
  if (ids.length === 0) throw new Error(`${file}: no data rows`)
  return { file, ids, columns: featureCols.map((k) => header[k]!), values }
}

export function readLabelsTable(file: string): LabelsTable {
  const { header, rows } = readRecords(file)
  const idc = idColumn(file, header)
  const lc = header.indexOf('label')
  if (lc < 0) throw new Error(`${file}: no 'label' column in the header (columns: ${header.join(', ')})`)
  const labels = new Map<string, string>()
  for (const record of rows) {
    const cells = checkWidth(file, header, record)
    const id = cells[idc]!.trim()
    if (!id) throw new Error(`${file}:${record.line}: empty participant_id`)
    if (labels.has(id)) throw new Error(`${file}:${record.line}: participant_id '${id}' appears twice`)
    const lab = cells[lc]!.trim()
    labels.set(id, MISSING.has(lab) ? '' : lab)
  }
  return { file, labels }
}

/**
 * Class names from label texts: 0-based integers 0..C-1 map to themselves (names '0'..'C-1');
 * otherwise the sorted distinct names.
 */
export function classNamesOf(texts: Iterable<string>): string[] {
  const distinct = [...new Set([...texts].filter((t) => t !== ''))]
  if (distinct.length && distinct.every((t) => /^\d+$/.test(t))) {
    const max = Math.max(...distinct.map(Number))
    return Array.from({ length: max + 1 }, (_, c) => String(c))
  }
  return distinct.sort()
}
