/**
 * A manifest table (CSV or TSV, delimiter detected): participant_id, smri, pet, and optional
 * session_id, label (or group / diagnosis), injected_dose_mbq, body_weight_kg. Paths may be
 * relative to the manifest's folder; an empty cell means the modality is missing.
 */
import { promises as fsp } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { column, findColumn, readTable } from '../../files/tables'
import { type ImportPlan, type LayoutPlan, type PlanOptions, type PlannedScan, type PlannedSubject, normaliseVisit } from './plan'
import type { Modality } from '../../domain/modality'

export async function planManifest(file: string, opts: PlanOptions): Promise<LayoutPlan> {
  const t = await readTable(file)
  const idCol = column(t, ['participant_id', 'subject', 'ptid'], 'participant_id')
  const smriCol = findColumn(t, ['smri', 'mri', 'gm', 't1'])
  const petCol = findColumn(t, ['pet', 'fdg'])
  if (!smriCol && !petCol) column(t, ['smri', 'pet'], 'smri or pet path')
  const [sesCol, labelCol, doseCol, weightCol, sexCol, ageCol] = [
    findColumn(t, ['session_id', 'visit']),
    findColumn(t, ['label', 'group', 'diagnosis']),
    findColumn(t, ['injected_dose_mbq']),
    findColumn(t, ['body_weight_kg']),
    findColumn(t, ['sex']),
    findColumn(t, ['age'])
  ]
  const problems: ImportPlan['problems'] = []
  const base = dirname(file)
  const visit = normaliseVisit(opts.visit)
  const lines = new Map<string, number[]>()
  for (const r of t.rows) {
    const id = r.values[idCol]!
    if (!id) problems.push({ file, severity: 'error', message: `line ${r.line}: empty participant_id; row skipped` })
    else if (!sesCol || normaliseVisit(r.values[sesCol] || 'bl') === visit) lines.set(id, [...(lines.get(id) ?? []), r.line])
  }
  const subjects: PlannedSubject[] = []
  for (const r of t.rows) {
    const id = r.values[idCol]!
    const at = lines.get(id)
    if (!at || at[0] !== r.line) continue
    if (at.length > 1) {
      problems.push({
        file,
        severity: 'error',
        message: `participant_id ${id} appears ${at.length} times (lines ${at.join(', ')}) for visit ${visit}; all its rows skipped`
      })
      continue
    }
    const dose = doseCol ? Number(r.values[doseCol]) : NaN
    const weight = weightCol ? Number(r.values[weightCol]) : NaN
    const scan = async (col: string | null, m: Modality): Promise<PlannedScan | null> => {
      const raw = col ? r.values[col] : ''
      if (!raw) return null
      const path = isAbsolute(raw) ? raw : resolve(base, raw)
      if (
        !(await fsp.stat(path).then(
          (s) => s.isFile(),
          () => false
        ))
      ) {
        problems.push({
          file,
          severity: 'error',
          message: `line ${r.line}: ${m === 'smri' ? 'sMRI' : 'PET'} file ${path} of ${id} not found; that scan skipped`
        })
        return null
      }
      return { path, visit, series: null, imageId: null, suv: m === 'pet' && dose > 0 && weight > 0 ? { injectedDoseMBq: dose, bodyWeightKg: weight } : null }
    }
    const smri = await scan(smriCol, 'smri')
    const pet = await scan(petCol, 'pet')
    if (!smri && !pet) {
      problems.push({ file, severity: 'error', message: `line ${r.line}: ${id} has no usable scan; skipped` })
      continue
    }
    const age = ageCol ? Number(r.values[ageCol]) : NaN
    subjects.push({
      id,
      sessionId: sesCol && r.values[sesCol] ? r.values[sesCol]! : `ses-${visit === 'bl' ? 'M00' : visit.toUpperCase()}`,
      group: labelCol ? r.values[labelCol] || null : null,
      sex: sexCol ? r.values[sexCol] || null : null,
      age: Number.isFinite(age) ? age : null,
      visits: [visit],
      smri,
      pet
    })
  }
  if (subjects.length === 0 && problems.length === 0) throw new Error(`${file}: no rows for visit ${visit}`)
  return {
    source: file,
    layout: 'manifest',
    visit,
    visits: [visit],
    series: [
      ...(smriCol ? [{ name: smriCol, modality: 'smri' as const, reason: 'manifest column' }] : []),
      ...(petCol ? [{ name: petCol, modality: 'pet' as const, reason: 'manifest column' }] : [])
    ],
    subjects: subjects.sort((a, b) => (a.id < b.id ? -1 : 1)),
    problems,
    labelSource: labelCol ? file : null
  }
}
