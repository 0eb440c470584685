/**
 * Labels from a file: a table (participant_id + label, or subject / diagnosis / group columns;
 * CSV, TSV or semicolon CSV) or ADNIMERGE (PTID, VISCODE, DX_bl, DX[, M]).
 *
 * ADNIMERGE: the diagnosis at the study's visit (DX, else DX_bl at baseline). MCI follows the
 * user's policy; 'converters-36m' (the sMCI/pMCI convention) labels an MCI subject of the
 * second class (pMCI) when a visit within 36 months has DX Dementia, of the first class (sMCI)
 * when followed 36 months or more without converting, and leaves it unlabelled otherwise.
 * Subjects the study does not hold are listed and nothing is applied for them; a subject listed
 * twice with different labels is skipped and reported.
 */
import type { LabelImportResult } from '../domain/study-records'
import { type MciPolicy, mapDiagnosis } from './diagnosis'
import { normaliseVisit } from './import/plan'
import { type Table, column, findColumn, readTable } from '../files/tables'
import { applyLabels, loadStudy } from './study'

function isAdnimerge(t: Table): boolean {
  return Boolean(findColumn(t, ['PTID']) && findColumn(t, ['VISCODE']) && (findColumn(t, ['DX']) || findColumn(t, ['DX_bl'])))
}

function months(row: Record<string, string>, mCol: string | null, visCol: string): number | null {
  if (mCol && row[mCol] !== '' && Number.isFinite(Number(row[mCol]))) return Number(row[mCol])
  const v = normaliseVisit(row[visCol] ?? '')
  if (v === 'bl') return 0
  const m = /^m(\d+)$/.exec(v)
  return m ? Number(m[1]) : null
}

/** Labels from ADNIMERGE rows (see module doc). */
export function labelsFromAdnimerge(
  t: Table,
  classNames: readonly string[],
  visit: string,
  mci: MciPolicy
): { labels: Map<string, string>; problems: LabelImportResult['problems'] } {
  const ptid = column(t, ['PTID'], 'PTID')
  const vis = column(t, ['VISCODE'], 'VISCODE')
  const dx = findColumn(t, ['DX'])
  const dxBl = findColumn(t, ['DX_bl'])
  const mCol = findColumn(t, ['M', 'Month'])
  const bySubject = new Map<string, Array<Record<string, string>>>()
  for (const r of t.rows) bySubject.set(r.values[ptid]!, [...(bySubject.get(r.values[ptid]!) ?? []), r.values])
  const labels = new Map<string, string>()
  const problems: LabelImportResult['problems'] = []
  const want = normaliseVisit(visit)
  let mciUnresolved = 0
  for (const [id, rows] of bySubject) {
    const at = rows.find((r) => normaliseVisit(r[vis] ?? '') === want)
    if (!at) continue
    const diagnosis = (dx && at[dx]) || (want === 'bl' && dxBl ? at[dxBl] : '') || ''
    const isMci = /^(e|l)?mci$/i.test(diagnosis)
    if (isMci && mci === 'converters-36m') {
      const follow = rows.map((r) => ({ m: months(r, mCol, vis), dx: dx ? (r[dx] ?? '') : '' })).filter((x) => x.m !== null) as Array<{ m: number; dx: string }>
      const converted = follow.some((x) => x.m <= 36 && /^(dementia|ad)$/i.test(x.dx))
      const followed = follow.some((x) => x.m >= 36 && x.dx !== '')
      if (converted) labels.set(id, classNames[classNames.length - 1]!)
      else if (followed) labels.set(id, classNames[0]!)
      else mciUnresolved++
      continue
    }
    const m = mapDiagnosis(diagnosis, classNames, mci)
    if (m.label !== null) labels.set(id, m.label)
    else if (m.reason === 'unknown')
      problems.push({
        file: t.file,
        severity: 'warning',
        message: `${id}: diagnosis '${diagnosis}' is not a class (${classNames.join(', ')}); left unlabelled`
      })
  }
  if (mciUnresolved)
    problems.push({
      file: t.file,
      severity: 'warning',
      message: `${mciUnresolved} MCI subject(s) neither converted within 36 months nor followed 36 months; left unlabelled`
    })
  return { labels, problems }
}

/** Labels from a two-column style table (see module doc). */
export function labelsFromTable(
  t: Table,
  classNames: readonly string[],
  mci: MciPolicy
): { labels: Map<string, string>; problems: LabelImportResult['problems'] } {
  const id = column(t, ['participant_id', 'subject', 'subject_id', 'ptid'], 'participant_id')
  const lab = column(t, ['label', 'diagnosis', 'group', 'dx', 'class'], 'label')
  const labels = new Map<string, string>()
  const problems: LabelImportResult['problems'] = []
  const seen = new Map<string, number>()
  const conflicting = new Set<string>()
  for (const r of t.rows) {
    const sid = r.values[id]!
    const raw = r.values[lab]!
    if (!sid) {
      problems.push({ file: t.file, severity: 'error', message: `line ${r.line}: empty ${id}; row skipped` })
      continue
    }
    const m = mapDiagnosis(raw, classNames, mci)
    if (m.label === null) {
      if (m.reason !== 'empty')
        problems.push({
          file: t.file,
          severity: 'error',
          message: `line ${r.line}: label '${raw}' of ${sid} is not a class (${classNames.join(', ')})${m.reason === 'mci' ? ' (MCI: choose an MCI policy)' : ''}; row skipped`
        })
      continue
    }
    if (seen.has(sid) && labels.get(sid) !== m.label) conflicting.add(sid)
    if (!seen.has(sid)) seen.set(sid, r.line)
    labels.set(sid, m.label)
  }
  for (const sid of conflicting) {
    labels.delete(sid)
    problems.push({ file: t.file, severity: 'error', message: `${sid} is listed more than once with different labels; skipped` })
  }
  return { labels, problems }
}

export async function importLabelFile(
  study: string,
  file: string,
  opts: { format?: 'auto' | 'table' | 'adnimerge'; mci?: MciPolicy } = {}
): Promise<LabelImportResult> {
  const s = await loadStudy(study)
  const t = await readTable(file)
  const format = opts.format && opts.format !== 'auto' ? opts.format : isAdnimerge(t) ? 'adnimerge' : 'table'
  const mci = opts.mci ?? 'exclude'
  const { labels, problems } =
    format === 'adnimerge'
      ? labelsFromAdnimerge(t, s.file.settings.classNames, s.file.settings.visit, mci)
      : labelsFromTable(t, s.file.settings.classNames, mci)
  if (labels.size === 0 && problems.length === 0) throw new Error(`${file}: no labels found`)
  const r = await applyLabels(study, labels, `import:${file}`)
  for (const b of r.badLabels) problems.push({ file, severity: 'error', message: `${b.subject}: '${b.label}' is not a class` })
  if (r.unknownSubjects.length) {
    problems.push({
      file,
      severity: 'warning',
      message: `${r.unknownSubjects.length} subject(s) in the file are not in the study and were ignored: ${r.unknownSubjects.slice(0, 5).join(', ')}${r.unknownSubjects.length > 5 ? ', ...' : ''}`
    })
  }
  return { applied: r.applied, unchanged: r.unchanged, unknownSubjects: r.unknownSubjects, problems }
}
