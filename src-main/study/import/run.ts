/**
 * Running an import: plan the source, preprocess the new scans (bounded concurrency, cached),
 * then merge into study.json in one atomic write under the study lock.
 *
 * Re-import of the same source adds only what is new (subjects, or a modality a subject lacked)
 * and changes nothing else: scans already in the study are never replaced, labels already set are
 * never overwritten (diagnoses from the source label only subjects that were never labelled).
 * Cancel or kill: study.json is untouched until the merge; finished cache entries are reused next
 * time; a kill inside the merge (after study.json, before the labels) is finished by a re-run.
 */
import { promises as fsp } from 'node:fs'
import { type ScanInput, registrationT1For } from '../../domain/input-kind'
import type { RegistrationQc } from '../../preprocessing/registration'
import type { Affine } from '../../volume/types'
import { type CacheMeta, type CropStack, cacheKey, hasCacheEntry, readCacheMeta, removeStalePartials, writeCacheEntry } from '../cache'
import { type MciPolicy, mapDiagnosis } from '../diagnosis'
import type { ScanRecord, StudyFile, SubjectRecord } from '../schema'
import { labelsFromAdnimerge } from '../label-import'
import type { LabelEvent } from '../labels'
import { appendStudyLabelEvents, loadStudy, mutateStudy, saveStudyFile } from '../study'
import { readTable } from '../../files/tables'
import { planImport } from './index'
import { type ImportModality, type ImportPlan, type PlanProblem, type PlannedScan, checkAborted } from './plan'

/** The imaging pipeline as the importer uses it (bound to src-main/imaging in preprocess.ts). */
/** What the pipeline needs to know about a scan beyond its file (inputs.ts, and the subject's T1 for a native PET). */
export interface ScanContext {
  input?: ScanInput
  /** A native PET's subject's native T1-weighted scan: the PET is registered to it. */
  t1File?: string | null
  dicomSeries?: string | null
  /** The study whose cache keeps the registrations (none: registered every time). */
  studyDir?: string | null
}

export interface ScanPreprocessor {
  /** Identity of the settings that change the crops of `modality`. */
  settingsHash(modality: ImportModality, settings: StudyFile['settings'], scan?: ScanContext): string
  run(
    file: string,
    modality: ImportModality,
    settings: StudyFile['settings'],
    opts: { signal?: AbortSignal; suv: PlannedScan['suv'] } & ScanContext
  ): Promise<{
    crops: CropStack
    affines: { left: Affine; right: Affine }
    stats: CacheMeta['stats']
    steps: string[]
    settingsHash: string
    input?: ScanInput
    qc?: RegistrationQc | null
  }>
  /** Frees what the preprocessor holds (worker processes, preprocess-pool.ts): runImport calls
   *  it once the scans are preprocessed, and on cancel or error (it may come twice). */
  close?(): Promise<void>
}

export interface ImportRunOptions {
  source: string
  layout?: ImportPlan['layout']
  visit?: string
  collectionCsv?: string
  adnimerge?: string
  modalityOverrides?: Record<string, ImportModality | 'ignore'>
  /** What MCI diagnoses become when labelling new subjects from the source. */
  mci?: MciPolicy
  /** Scans preprocessed at once (bounds memory: each holds a few MNI volumes). Default 2. They
   *  run on as many cores only with a preprocessor that has its own processes (importPreprocessor
   *  in preprocess-pool.ts); the in-process imagingPreprocessor runs them one after another. */
  concurrency?: number
  signal?: AbortSignal
  onProgress?: (fraction: number | null, message: string) => void
}

export interface ImportRunResult {
  added: number
  updated: number
  unchanged: number
  preprocessed: number
  fromCache: number
  labelled: number
  problems: PlanProblem[]
}

interface Task {
  subject: string
  modality: ImportModality
  scan: PlannedScan
  record?: ScanRecord
}

/**
 * Runs `fn` over items with at most `limit` in flight; stops starting new ones once aborted.
 * Settles only when every lane has stopped, so nothing (a cache entry of a scan finishing as the
 * import is cancelled) is still being written once the import has returned or thrown.
 */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0
  let failed = false
  const worker = async () => {
    while (next < items.length && !failed) {
      checkAborted(signal)
      try {
        await fn(items[next++]!)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  const lanes = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  const rejected = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected')
  if (rejected) throw rejected.reason
}

function isNew(existing: SubjectRecord | undefined, modality: ImportModality): boolean {
  return !existing || !existing.scans[modality]
}

export async function runImport(studyDir: string, preprocessor: ScanPreprocessor, opts: ImportRunOptions): Promise<ImportRunResult> {
  try {
    return await importWith(studyDir, preprocessor, opts)
  } finally {
    await preprocessor.close?.()
  }
}

async function importWith(studyDir: string, preprocessor: ScanPreprocessor, opts: ImportRunOptions): Promise<ImportRunResult> {
  const before = await loadStudy(studyDir)
  const settings = before.file.settings
  opts.onProgress?.(null, `reading ${opts.source}`)
  const plan = await planImport(opts.source, opts.layout, {
    visit: opts.visit ?? settings.visit,
    collectionCsv: opts.collectionCsv,
    adnimerge: opts.adnimerge,
    modalityOverrides: opts.modalityOverrides,
    signal: opts.signal
  })
  const problems = [...plan.problems]
  await removeStalePartials(studyDir)
  const existing = new Map(before.file.subjects.map((s) => [s.id, s]))
  const tasks: Task[] = []
  let unchanged = 0
  for (const s of plan.subjects) {
    let any = false
    for (const m of ['smri', 'pet'] as const) {
      const scan = s[m]
      if (scan && isNew(existing.get(s.id), m)) {
        tasks.push({ subject: s.id, modality: m, scan })
        any = true
      }
    }
    if (!any) unchanged++
  }

  // A native PET is registered to its subject's native T1: T1 scans go first, so that the PET
  // finds the T1's registration in the transform cache.
  tasks.sort((a, b) => (a.modality === b.modality ? 0 : a.modality === 'smri' ? -1 : 1))
  const t1Of = new Map(plan.subjects.map((s) => [s.id, registrationT1For(s.smri)]))
  let done = 0
  let preprocessed = 0
  let fromCache = 0
  await pool(
    tasks,
    opts.concurrency ?? 2,
    async (t) => {
      try {
        const st = await fsp.stat(t.scan.path)
        const context: ScanContext = {
          input: t.scan.input,
          t1File: t.modality === 'pet' && t.scan.input?.space === 'native' ? t1Of.get(t.subject) : null,
          dicomSeries: t.scan.dicomSeries ?? null,
          studyDir
        }
        const hash = preprocessor.settingsHash(t.modality, settings, context)
        const key = cacheKey({ path: t.scan.path, size: st.size, mtimeMs: st.mtimeMs }, t.modality, hash)
        let stats: CacheMeta['stats']
        let qc: CacheMeta['qc'] = null
        if (await hasCacheEntry(studyDir, key)) {
          const meta = await readCacheMeta(studyDir, key)
          stats = meta.stats
          qc = meta.qc ?? null
          fromCache++
        } else {
          const r = await preprocessor.run(t.scan.path, t.modality, settings, { signal: opts.signal, suv: t.scan.suv, ...context })
          qc = r.qc ? { ncc: r.qc.ncc, threshold: r.qc.threshold, flagged: r.qc.flagged } : null
          const meta: CacheMeta = {
            key,
            source: t.scan.path,
            modality: t.modality,
            settingsHash: r.settingsHash,
            createdAt: new Date().toISOString(),
            stats: r.stats,
            steps: r.steps,
            input: r.input,
            qc
          }
          await writeCacheEntry(studyDir, meta, r.crops, r.affines)
          stats = r.stats
          preprocessed++
        }
        if (qc?.flagged) {
          problems.push({
            file: t.scan.path,
            severity: 'warning',
            message: `${t.subject} ${t.modality === 'smri' ? 'sMRI' : 'PET'}: registration QC failed (NCC ${qc.ncc.toFixed(3)} with the template, below ${qc.threshold}); kept out of training until you accept it`
          })
        }
        t.record = {
          path: t.scan.path,
          visit: t.scan.visit,
          size: st.size,
          mtimeMs: st.mtimeMs,
          series: t.scan.series,
          imageId: t.scan.imageId,
          suv: t.scan.suv,
          cacheKey: key,
          stats,
          input: t.scan.input ?? null,
          qc: qc ? { ...qc, accepted: false } : null
        }
      } catch (err) {
        if (opts.signal?.aborted) throw err
        problems.push({
          file: t.scan.path,
          severity: 'error',
          message: `${t.subject} ${t.modality === 'smri' ? 'sMRI' : 'PET'} skipped: ${(err as Error).message}`
        })
      }
      done++
      opts.onProgress?.(done / Math.max(1, tasks.length), `preprocessed ${done}/${tasks.length} scans`)
    },
    opts.signal
  )
  checkAborted(opts.signal)
  await preprocessor.close?.() // the workers are done: free their memory before the merge

  // The source's diagnoses, read before the merge so the merge is one step under the lock.
  const fromMerge = opts.adnimerge ? labelsFromAdnimerge(await readTable(opts.adnimerge), settings.classNames, plan.visit, opts.mci ?? 'exclude') : null
  if (fromMerge) problems.push(...fromMerge.problems)

  // One transaction under the lock, on a fresh read (another writer may have imported meanwhile):
  // study.json with the new subjects, then their labels. A kill between the two leaves subjects
  // that were never labelled, which is what the next import labels: a re-run finishes the work.
  const merged = await mutateStudy(studyDir, async (s) => {
    const byId = new Map(s.file.subjects.map((x) => [x.id, x]))
    const planned = new Map(plan.subjects.map((x) => [x.id, x]))
    let added = 0
    let updated = 0
    const bySubject = new Map<string, Task[]>()
    for (const t of tasks) if (t.record) bySubject.set(t.subject, [...(bySubject.get(t.subject) ?? []), t])
    for (const [id, ts] of bySubject) {
      const p = planned.get(id)!
      let rec = byId.get(id)
      if (!rec) {
        rec = { id, sessionId: p.sessionId, group: p.group, sex: p.sex, age: p.age, scans: {} }
        s.file.subjects.push(rec)
        byId.set(id, rec)
        added++
      } else if (ts.some((t) => !rec!.scans[t.modality])) updated++
      for (const t of ts) if (!rec.scans[t.modality]) rec.scans[t.modality] = t.record!
    }
    s.file.subjects.sort((a, b) => (a.id < b.id ? -1 : 1))
    s.file.source = plan.source
    if (added || updated) await saveStudyFile(s)

    // Diagnoses of the source label the subjects of this source the study holds and that were
    // never labelled (no label event, no hidden label): never overwrite or revive a label.
    const everLabelled = new Set([...s.events.map((e) => e.subject), ...s.hidden.keys()])
    const unlabelled = plan.subjects
      .filter((x) => byId.has(x.id) && !everLabelled.has(x.id))
      .map((x) => x.id)
      .sort()
    const changes: Array<Omit<LabelEvent, 'seq' | 'time'>> = []
    let mciCount = 0
    const unknown = new Set<string>()
    for (const id of unlabelled) {
      // ADNIMERGE's diagnosis at the visit, when given, comes before the source's Group.
      const fromTable = fromMerge?.labels.get(id)
      if (fromTable !== undefined && settings.classNames.includes(fromTable)) {
        changes.push({ action: 'set', subject: id, label: fromTable, previous: null, undoes: null, source: `import:${opts.adnimerge}` })
        continue
      }
      if (!plan.labelSource) continue
      const group = planned.get(id)?.group
      const m = mapDiagnosis(group, settings.classNames, opts.mci ?? 'exclude')
      if (m.label !== null) changes.push({ action: 'set', subject: id, label: m.label, previous: null, undoes: null, source: `import:${plan.labelSource}` })
      else if (m.reason === 'mci') mciCount++
      else if (m.reason === 'unknown') unknown.add(group!)
    }
    if (changes.length) await appendStudyLabelEvents(s, changes)
    return { added, updated, labelled: changes.length, mciCount, unknown }
  })
  const labelled = merged.labelled
  if (plan.labelSource && merged.mciCount) {
    problems.push({
      file: plan.labelSource,
      severity: 'warning',
      message: `${merged.mciCount} MCI subject(s) left unlabelled (choose an MCI policy to label them)`
    })
  }
  if (plan.labelSource && merged.unknown.size) {
    problems.push({
      file: plan.labelSource,
      severity: 'warning',
      message: `diagnoses not matching a class (${settings.classNames.join(', ')}) left unlabelled: ${[...merged.unknown].join(', ')}`
    })
  }
  opts.onProgress?.(1, `imported ${merged.added} new subject(s)`)
  return { added: merged.added, updated: merged.updated, unchanged, preprocessed, fromCache, labelled, problems }
}
