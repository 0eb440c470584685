/**
 * Read models of a study for the window: the summary, the subject table with a run's
 * predictions, and one subject's detail with small hippocampal previews for labelling.
 *
 * A diagnosis hidden for evaluation never leaves main through these: a hidden subject's source
 * group (which is its diagnosis) is null and its label history is redacted. Only
 * labels.revealHidden, an explicit and logged request, returns them.
 */
import type { LabelEvent as LabelEventView, Preview, StudySummary, SubjectDetail, SubjectRow } from '../domain/study-records'
import { readCacheCrops } from '../study/cache'
import { getRunDetail, listRuns } from '../runs/read'
import type { LabelEvent } from '../study/labels'
import { type StudyState, isHiddenSubject, loadStudy, studyCounts, unsplitSubjects } from '../study/study'

export async function studySummary(study: string): Promise<StudySummary> {
  const s = await loadStudy(study)
  const runs = await listRuns(s.dir)
  return summaryOf(s, runs.length)
}

export function summaryOf(s: StudyState, runs: number): StudySummary {
  return {
    path: s.dir,
    name: s.file.name,
    version: s.file.schemaVersion,
    createdAt: s.file.createdAt,
    settings: s.file.settings,
    counts: studyCounts(s, runs),
    hasSplits: s.file.splits !== null,
    unsplit: unsplitSubjects(s).length,
    source: s.file.source
  }
}

function rowsOf(s: StudyState, predictions: Map<string, SubjectRow['prediction']>): SubjectRow[] {
  return s.file.subjects.map((x) => ({
    id: x.id,
    sessionId: x.sessionId,
    group: isHiddenSubject(s, x.id) ? null : x.group,
    sex: x.sex,
    age: x.age,
    hasSmri: Boolean(x.scans.smri),
    hasPet: Boolean(x.scans.pet),
    label: s.labels.get(x.id) ?? null,
    labelHidden: isHiddenSubject(s, x.id),
    split: s.file.splits?.assignment[x.id] ?? null,
    prediction: predictions.get(x.id) ?? null
  }))
}

/**
 * Label events as the window may see them: a hidden subject's events carry its hidden diagnosis
 * (the import that set it, the simulated rate that hid it), so their labels are left out.
 */
export function visibleHistory(s: StudyState, events: readonly LabelEvent[]): LabelEventView[] {
  return events.map((e) => (isHiddenSubject(s, e.subject) ? { ...e, label: null, previous: null, redacted: true } : e))
}

/** The predictions of run `runId` (when given and finished), else of the newest finished run. */
async function runPredictions(
  s: StudyState,
  runId?: string
): Promise<{ runId: string | null; latestRunId: string | null; byId: Map<string, SubjectRow['prediction']> }> {
  const done = (await listRuns(s.dir)).filter((r) => r.status === 'done')
  const latestRunId = done[0]?.id ?? null
  const chosen = (runId ? done.find((r) => r.id === runId) : undefined) ?? done[0]
  const byId = new Map<string, SubjectRow['prediction']>()
  if (!chosen) return { runId: null, latestRunId, byId }
  const detail = await getRunDetail(s.dir, chosen.id)
  for (const p of detail.predictions)
    byId.set(p.participantId, { runId: chosen.id, modalities: p.modalities, aggregator: p.aggregator, predicted: p.predictedLabel })
  return { runId: chosen.id, latestRunId, byId }
}

export async function listSubjects(
  study: string,
  runId?: string
): Promise<{ classNames: string[]; latestRunId: string | null; runId: string | null; rows: SubjectRow[] }> {
  const s = await loadStudy(study)
  const p = await runPredictions(s, runId)
  return { classNames: s.file.settings.classNames, latestRunId: p.latestRunId, runId: p.runId, rows: rowsOf(s, p.byId) }
}

/** Central axial (x-y at the middle k) and coronal (x-z at the middle j) slices of each crop channel. */
export function cropPreviews(modality: Preview['modality'], dims: [number, number, number], data: Float32Array): Preview[] {
  const [nx, ny, nz] = dims
  const n = nx * ny * nz
  const out: Preview[] = []
  ;(['left', 'right'] as const).forEach((side, c) => {
    const base = c * n
    let lo = Infinity
    let hi = -Infinity
    for (let q = base; q < base + n; q++) {
      const v = data[q]!
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    const range: [number, number] = [Number.isFinite(lo) ? lo : 0, Number.isFinite(hi) ? hi : 1]
    const kz = Math.floor(nz / 2)
    const axial: number[] = []
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) axial.push(data[base + i + nx * (j + ny * kz)]!)
    const jy = Math.floor(ny / 2)
    const coronal: number[] = []
    for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) coronal.push(data[base + i + nx * (jy + ny * k)]!)
    out.push({ modality, side, plane: 'axial', dims: [nx, ny], data: axial, range })
    out.push({ modality, side, plane: 'coronal', dims: [nx, nz], data: coronal, range })
  })
  return out
}

export async function subjectDetail(study: string, id: string): Promise<SubjectDetail> {
  const s = await loadStudy(study)
  const subj = s.file.subjects.find((x) => x.id === id)
  if (!subj) throw new Error(`subject ${id} is not in the study ${s.dir}`)
  const latest = await runPredictions(s)
  const row = rowsOf(s, latest.byId).find((r) => r.id === id)!
  const scans: SubjectDetail['scans'] = []
  const previews: Preview[] = []
  for (const m of ['smri', 'pet'] as const) {
    const scan = subj.scans[m]
    if (!scan) continue
    scans.push({ modality: m, source: scan.path, visit: scan.visit, cache: scan.cacheKey ? `cache/${scan.cacheKey}` : null, stats: scan.stats })
    if (scan.cacheKey) {
      const crops = await readCacheCrops(s.dir, scan.cacheKey)
      previews.push(...cropPreviews(m, crops.dims, crops.data))
    }
  }
  const history = visibleHistory(
    s,
    s.events.filter((e) => e.subject === id)
  )
  return { row, scans, previews, history }
}
