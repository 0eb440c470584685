/**
 * Readers for the tabular inputs of a TCGM run:
 * - a feature table per modality: TSV with a header, a `participant_id` column and numeric
 *   feature columns (one row per subject);
 * - a labels table: TSV with `participant_id` and `label` columns; an empty label (or NA) means
 *   unlabelled. Labels are class names (e.g. CN / AD) or 0-based integers.
 * Every error names the file, the line (1-based, header = line 1) and the problem.
 */
import { readFileSync } from 'node:fs'

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

function readLines(file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`${file}: cannot read (${err instanceof Error ? err.message : String(err)})`, { cause: err })
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const lines = text.split(/\r?\n/)
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop()
  if (lines.length === 0) throw new Error(`${file}: the file is empty (expected a header line)`)
  return lines
}

function idColumn(file: string, header: string[]): number {
  const k = header.indexOf('participant_id')
  if (k < 0) throw new Error(`${file}: no 'participant_id' column in the header (columns: ${header.join(', ')})`)
  return k
}

export function readFeatureTable(file: string): FeatureTable {
  const lines = readLines(file)
  const header = lines[0]!.split('\t').map((h) => h.trim())
  const idc = idColumn(file, header)
  const featureCols = header.map((_, k) => k).filter((k) => k !== idc)
  if (featureCols.length === 0) throw new Error(`${file}: no feature columns besides participant_id`)
  const ids: string[] = []
  const seen = new Set<string>()
  const values = new Float64Array((lines.length - 1) * featureCols.length)
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r]!.split('\t')
    if (cells.length !== header.length) throw new Error(`${file}:${r + 1}: ${cells.length} fields, the header has ${header.length}`)
    const id = cells[idc]!.trim()
    if (!id) throw new Error(`${file}:${r + 1}: empty participant_id`)
    if (seen.has(id)) throw new Error(`${file}:${r + 1}: participant_id '${id}' appears twice`)
    seen.add(id)
    ids.push(id)
    featureCols.forEach((k, j) => {
      const cell = cells[k]!.trim()
      const v = Number(cell)
      if (MISSING.has(cell) || !Number.isFinite(v)) {
        throw new Error(`${file}:${r + 1}: column '${header[k]}' of '${id}' is '${cell}', expected a finite number (remove the subject from this table if the modality is missing)`)
      }
      values[(r - 1) * featureCols.length + j] = v
    })
  }
  if (ids.length === 0) throw new Error(`${file}: no data rows`)
  return { file, ids, columns: featureCols.map((k) => header[k]!), values }
}

export function readLabelsTable(file: string): LabelsTable {
  const lines = readLines(file)
  const header = lines[0]!.split('\t').map((h) => h.trim())
  const idc = idColumn(file, header)
  const lc = header.indexOf('label')
  if (lc < 0) throw new Error(`${file}: no 'label' column in the header (columns: ${header.join(', ')})`)
  const labels = new Map<string, string>()
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r]!.split('\t')
    if (cells.length !== header.length) throw new Error(`${file}:${r + 1}: ${cells.length} fields, the header has ${header.length}`)
    const id = cells[idc]!.trim()
    if (!id) throw new Error(`${file}:${r + 1}: empty participant_id`)
    if (labels.has(id)) throw new Error(`${file}:${r + 1}: participant_id '${id}' appears twice`)
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
