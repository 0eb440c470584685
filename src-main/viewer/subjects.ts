/**
 * Read models of a study for the window: the summary, the subject table with the latest
 * predictions, and one subject's detail with small hippocampal previews for labelling.
 */
import type { Preview, StudySummary, SubjectDetail, SubjectRow } from '../domain/study-records'
import { readCacheCrops } from '../study/cache'
import { getRunDetail, listRuns } from '../runs/study-runs'
import { type StudyState, loadStudy, studyCounts } from '../study/study'

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
    source: s.file.source
  }
}

function rowsOf(s: StudyState, predictions: Map<string, SubjectRow['prediction']>): SubjectRow[] {
  return s.file.subjects.map((x) => ({
    id: x.id,
    sessionId: x.sessionId,
    group: x.group,
    sex: x.sex,
    age: x.age,
    hasSmri: Boolean(x.scans.smri),
    hasPet: Boolean(x.scans.pet),
    label: s.labels.get(x.id) ?? null,
    labelHidden: !s.labels.has(x.id) && s.hidden.has(x.id),
    split: s.file.splits?.assignment[x.id] ?? null,
    prediction: predictions.get(x.id) ?? null
  }))
}

async function latestPredictions(s: StudyState): Promise<{ runId: string | null; byId: Map<string, SubjectRow['prediction']> }> {
  const done = (await listRuns(s.dir)).find((r) => r.status === 'done')
  const byId = new Map<string, SubjectRow['prediction']>()
  if (!done) return { runId: null, byId }
  const detail = await getRunDetail(s.dir, done.id)
  for (const p of detail.predictions) byId.set(p.participantId, { runId: done.id, modalities: p.modalities, aggregator: p.aggregator, predicted: p.predictedLabel })
  return { runId: done.id, byId }
}

export async function listSubjects(study: string): Promise<{ classNames: string[]; latestRunId: string | null; rows: SubjectRow[] }> {
  const s = await loadStudy(study)
  const latest = await latestPredictions(s)
  return { classNames: s.file.settings.classNames, latestRunId: latest.runId, rows: rowsOf(s, latest.byId) }
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
  const latest = await latestPredictions(s)
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
  const history = s.events.filter((e) => e.subject === id)
  return { row, scans, previews, history }
}
