/**
 * The study folder (see DESIGN.md "The study folder is the database"):
 *   study.json          settings, subjects and their scans, splits      (atomic rewrite)
 *   labels.log.tsv      append-only label events (truth)                (fsync per append)
 *   labels.tsv          current labels, derived from the log            (atomic rewrite)
 *   labels.hidden.tsv   labels hidden by a simulated label rate         (atomic rewrite)
 *   cache/<key>/        preprocessed crops as NIfTI + meta.json
 *   runs/<id>/          training runs
 *
 * Every change runs under the study's writer lock and re-reads the files first, so the app and
 * the CLI can work on one study. Reads need no lock: each file is replaced atomically.
 */
import { promises as fsp } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { ensureDir, removeStaleTemps, writeFileAtomic } from './atomic'
import {
  type LabelEvent,
  type LogRead,
  appendLabelEvents,
  setAsideDamagedTail,
  readHiddenLabels,
  readLabelLog,
  redoTarget,
  replayLabels,
  undoTarget,
  appendRevealEvent,
  writeHiddenLabels,
  writeLabelsSnapshot,
  LABELS_TSV,
  parseTwoColumn
} from './labels'
import { withStudyLock } from './lock'
import { createLogger } from '../log'
import { DEFAULT_CLASS_NAMES, STUDY_SCHEMA_VERSION, type SplitName, type StudyFile, type SubjectRecord, parseStudyFile } from './schema'
import { type SplitFractions, DEFAULT_FRACTIONS, chooseVisible, makeSplits, placeIntoSplits, splitStrata } from './splits'
import { InputError } from '../domain/errors'

export const STUDY_JSON = 'study.json'
const logger = createLogger('study')
const APP_ID = 'tcgm-lab 0.1.0'

export interface StudyState {
  dir: string
  file: StudyFile
  /** Visible labels (from the log). */
  labels: Map<string, string>
  /** Labels hidden by a simulated label rate (evaluation only). A subject the user has labelled
   *  since keeps its entry here, so clearing or undoing that label hides it again; it counts as
   *  hidden only while it has no visible label (see hiddenLabels). */
  hidden: Map<string, string>
  events: LabelEvent[]
  migratedFrom: number | null
  /** The label log's damaged tail, if any (labels.ts); the next writer sets it aside. */
  damagedLog: LogRead['damaged']
  /** What the last open-for-write repaired, for the researcher (a damaged log tail set aside). */
  notices: string[]
}

export interface LabelChange {
  subject: string
  label: string | null
  previous: string | null
  seq: number
}

/** Reads a study folder (no lock: every file is replaced atomically). */
export async function loadStudy(dir: string): Promise<StudyState> {
  const abs = resolve(dir)
  const file = join(abs, STUDY_JSON)
  let text: string
  try {
    text = await fsp.readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new InputError(`${abs} is not a study folder: ${STUDY_JSON} not found`, { cause: err })
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  const { study, migratedFrom } = parseStudyFile(file, text)
  const log = await readLabelLog(abs)
  return {
    dir: abs,
    file: study,
    labels: replayLabels(log.events),
    hidden: await readHiddenLabels(abs),
    events: log.events,
    migratedFrom,
    damagedLog: log.damaged,
    notices: []
  }
}

/** Creates a new study in `dir` (which must be empty or absent). */
export async function createStudy(dir: string, opts: { name?: string; classNames?: readonly string[]; visit?: string } = {}): Promise<StudyState> {
  const abs = resolve(dir)
  const existing = await fsp.readdir(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[]
    throw new Error(`cannot read ${abs}: ${err.message}`)
  })
  if (existing.includes(STUDY_JSON)) throw new InputError(`${abs} already holds a study (${STUDY_JSON}); open it instead`)
  if (existing.filter((n) => !n.startsWith('.')).length > 0) throw new InputError(`${abs} is not empty; choose an empty or new folder for a study`)
  const classNames = [...(opts.classNames ?? DEFAULT_CLASS_NAMES)]
  checkClassNames(classNames)
  await ensureDir(abs)
  const file: StudyFile = {
    schemaVersion: STUDY_SCHEMA_VERSION,
    name: opts.name ?? basename(abs),
    createdAt: new Date().toISOString(),
    app: APP_ID,
    settings: { classNames, visit: opts.visit ?? 'bl', petReference: 'pons', proportionalScaling: true },
    source: null,
    subjects: [],
    splits: null
  }
  await withStudyLock(abs, async () => {
    await writeFileAtomic(join(abs, STUDY_JSON), JSON.stringify(file, null, 1) + '\n')
    await writeLabelsSnapshot(abs, new Map())
  })
  return loadStudy(abs)
}

function checkClassNames(names: readonly string[]): void {
  if (names.length < 2) throw new InputError(`a study needs at least two class names, got ${JSON.stringify(names)}`)
  if (new Set(names).size !== names.length) throw new InputError(`class names must be distinct, got ${JSON.stringify(names)}`)
  for (const n of names) if (!/^[A-Za-z0-9_.+-]{1,40}$/.test(n)) throw new InputError(`class name '${n}' must be 1-40 letters, digits or _ . + -`)
}

/**
 * Runs a change under the lock on a fresh read of the study. On open-for-write, a labels.tsv
 * that disagrees with the log (a crash between the two writes) is rebuilt and stale temp files
 * are removed.
 */
export async function mutateStudy<T>(dir: string, fn: (s: StudyState) => Promise<T>): Promise<T> {
  const abs = resolve(dir)
  // Say "not a study" before trying to take the lock in a folder that may not exist.
  if (
    !(await fsp.stat(join(abs, STUDY_JSON)).then(
      () => true,
      () => false
    ))
  )
    throw new InputError(`${abs} is not a study folder: ${STUDY_JSON} not found`)
  return withStudyLock(abs, async () => {
    const s = await loadStudy(abs)
    await removeStaleTemps(abs)
    if (s.damagedLog) {
      const notice = await setAsideDamagedTail(abs, await readLabelLog(abs))
      if (notice) {
        logger.warn(notice)
        s.notices.push(notice)
      }
      s.damagedLog = null
    }
    await repairSnapshot(s)
    return fn(s)
  })
}

/** Opens a study for writing only to repair it (a damaged label log tail set aside, a stale
 *  labels.tsv rebuilt) when it needs it; returns what was repaired, for the researcher. */
export async function repairStudy(dir: string): Promise<string[]> {
  const s = await loadStudy(dir)
  if (!s.damagedLog) return []
  return mutateStudy(dir, async (fresh) => fresh.notices)
}

async function repairSnapshot(s: StudyState): Promise<void> {
  const file = join(s.dir, LABELS_TSV)
  // A snapshot that cannot be read or parsed is rewritten from the log (the truth).
  const snap = await fsp
    .readFile(file, 'utf8')
    .then((text) => parseTwoColumn(file, text))
    .catch(() => null)
  const same = snap !== null && snap.size === s.labels.size && [...s.labels].every(([k, v]) => snap.get(k) === v)
  if (!same) await writeLabelsSnapshot(s.dir, s.labels)
}

/** Writes study.json (call inside mutateStudy). */
export async function saveStudyFile(s: StudyState): Promise<void> {
  await writeFileAtomic(join(s.dir, STUDY_JSON), JSON.stringify(s.file, null, 1) + '\n')
}

function subjectOrThrow(s: StudyState, id: string): SubjectRecord {
  const subj = s.file.subjects.find((x) => x.id === id)
  if (!subj) throw new InputError(`subject ${id} is not in the study ${s.dir}`)
  return subj
}

function classOrThrow(s: StudyState, label: string): string {
  if (!s.file.settings.classNames.includes(label)) {
    throw new InputError(`label '${label}' is not a class of this study (classes: ${s.file.settings.classNames.join(', ')})`)
  }
  return label
}

/** Appends label events to an open-for-write study (inside mutateStudy) and rewrites labels.tsv. */
export async function appendStudyLabelEvents(s: StudyState, changes: ReadonlyArray<Omit<LabelEvent, 'seq' | 'time'>>): Promise<LabelEvent[]> {
  const log = await readLabelLog(s.dir)
  const written = await appendLabelEvents(s.dir, log, changes)
  s.events.push(...written)
  s.labels = replayLabels(s.events)
  await writeLabelsSnapshot(s.dir, s.labels)
  return written
}

/** Sets (label) or clears (null) one subject's label. */
export async function setLabel(dir: string, subject: string, label: string | null, source = 'user'): Promise<LabelChange> {
  return mutateStudy(dir, async (s) => {
    subjectOrThrow(s, subject)
    if (label !== null) classOrThrow(s, label)
    const previous = s.labels.get(subject) ?? null
    // A hidden evaluation label stays in labels.hidden.tsv: the visible label wins while it
    // exists, and an undo or a clear gives the subject back its hidden label (never lost).
    const [e] = await appendStudyLabelEvents(s, [{ action: label === null ? 'clear' : 'set', subject, label, previous, undoes: null, source }])
    return { subject, label, previous, seq: e!.seq }
  })
}

/** The labels hidden for evaluation right now: known, and not visible. */
export function hiddenLabels(s: Pick<StudyState, 'labels' | 'hidden'>): Map<string, string> {
  return new Map([...s.hidden].filter(([id]) => !s.labels.has(id)))
}

/** True when the subject's diagnosis is hidden for evaluation (the window must not show it). */
export function isHiddenSubject(s: Pick<StudyState, 'labels' | 'hidden'>, id: string): boolean {
  return !s.labels.has(id) && s.hidden.has(id)
}

/**
 * The researcher's explicit request to see the hidden labels: logged (reveals.log.tsv) before
 * they are returned, so a study shows whether and when its evaluation labels were looked at.
 */
export async function revealHiddenLabels(dir: string): Promise<{ time: string; labels: Map<string, string>; groups: Map<string, string> }> {
  return mutateStudy(dir, async (s) => {
    const labels = hiddenLabels(s)
    const time = await appendRevealEvent(s.dir, labels.size, 'user')
    const groups = new Map<string, string>()
    for (const x of s.file.subjects) if (labels.has(x.id) && x.group !== null) groups.set(x.id, x.group)
    return { time, labels, groups }
  })
}

/** Re-applies the change the latest undo reverted (when nothing else changed since); null when there is none. */
export async function redoLabel(dir: string): Promise<{ redone: LabelEvent; change: LabelChange } | null> {
  return mutateStudy(dir, async (s) => {
    const t = redoTarget(s.events)
    if (!t) return null
    const subject = t.target.subject
    const current = s.labels.get(subject) ?? null
    const label = t.target.label
    const [e] = await appendStudyLabelEvents(s, [
      { action: label === null ? 'clear' : 'set', subject, label, previous: current, undoes: t.undo.seq, source: 'user' }
    ])
    return { redone: t.target, change: { subject, label, previous: current, seq: e!.seq } }
  })
}

/** Reverts the most recent user label change not yet undone; null when there is none. */
export async function undoLabel(dir: string): Promise<{ undone: LabelEvent; change: LabelChange } | null> {
  return mutateStudy(dir, async (s) => {
    const target = undoTarget(s.events)
    if (!target) return null
    const current = s.labels.get(target.subject) ?? null
    const [e] = await appendStudyLabelEvents(s, [
      { action: 'undo', subject: target.subject, label: target.previous, previous: current, undoes: target.seq, source: 'user' }
    ])
    return { undone: target, change: { subject: target.subject, label: target.previous, previous: current, seq: e!.seq } }
  })
}

/**
 * Applies many labels at once (import): only changes are logged. Unknown ids and labels that are
 * not classes are returned, not applied.
 */
export async function applyLabels(
  dir: string,
  labels: ReadonlyMap<string, string>,
  source: string
): Promise<{ applied: number; unchanged: number; unknownSubjects: string[]; badLabels: Array<{ subject: string; label: string }> }> {
  return mutateStudy(dir, async (s) => {
    const ids = new Set(s.file.subjects.map((x) => x.id))
    const unknownSubjects: string[] = []
    const badLabels: Array<{ subject: string; label: string }> = []
    const changes: Array<Omit<LabelEvent, 'seq' | 'time'>> = []
    let unchanged = 0
    for (const [subject, label] of labels) {
      if (!ids.has(subject)) unknownSubjects.push(subject)
      else if (!s.file.settings.classNames.includes(label)) badLabels.push({ subject, label })
      else if ((s.labels.get(subject) ?? s.hidden.get(subject)) === label) unchanged++
      else changes.push({ action: 'set', subject, label, previous: s.labels.get(subject) ?? null, undoes: null, source })
    }
    if (changes.length) {
      await appendStudyLabelEvents(s, changes)
      let hiddenChanged = false
      for (const c of changes) hiddenChanged = s.hidden.delete(c.subject) || hiddenChanged
      if (hiddenChanged) await writeHiddenLabels(s.dir, s.hidden)
    }
    return { applied: changes.length, unchanged, unknownSubjects, badLabels }
  })
}

/**
 * Keeps a stratified, seeded fraction of the known labels (visible or hidden) visible and hides
 * the rest. The hidden file is written first, so each known label is always saved somewhere.
 */
export async function simulateLabelRate(
  dir: string,
  rate: number,
  seed: number
): Promise<{ visible: number; hidden: number; visibleByClass: Record<string, number> }> {
  return mutateStudy(dir, async (s) => {
    const known = new Map([...s.hidden, ...s.labels])
    const visible = chooseVisible(known, rate, seed)
    const hidden = new Map([...known].filter(([id]) => !visible.has(id)))
    await writeHiddenLabels(s.dir, new Map([...s.hidden, ...hidden]))
    const changes: Array<Omit<LabelEvent, 'seq' | 'time'>> = []
    for (const [id, label] of known) {
      const now = s.labels.get(id) ?? null
      if (visible.has(id) && now !== label) changes.push({ action: 'set', subject: id, label, previous: now, undoes: null, source: 'simulate' })
      if (!visible.has(id) && now !== null) changes.push({ action: 'clear', subject: id, label: null, previous: now, undoes: null, source: 'simulate' })
    }
    await appendStudyLabelEvents(s, changes)
    await writeHiddenLabels(s.dir, hidden)
    s.hidden = hidden
    const visibleByClass: Record<string, number> = Object.fromEntries(s.file.settings.classNames.map((c) => [c, 0]))
    for (const id of visible) visibleByClass[known.get(id)!] = (visibleByClass[known.get(id)!] ?? 0) + 1
    return { visible: visible.size, hidden: hidden.size, visibleByClass }
  })
}

/**
 * Makes and stores the subject-level split, stratified by class and by whether the label is
 * visible or hidden (so validation gets its share of the visible labels for model selection,
 * and the test split its share of the hidden ones for evaluation).
 */
export async function makeStudySplits(dir: string, seed: number, fractions: SplitFractions = DEFAULT_FRACTIONS): Promise<Record<SplitName, number>> {
  return mutateStudy(dir, async (s) => {
    const assignment = makeSplits(
      s.file.subjects.map((x) => x.id),
      splitStrata(s.labels, s.hidden),
      seed,
      fractions
    )
    s.file.splits = { seed, fractions, createdAt: new Date().toISOString(), assignment: Object.fromEntries(assignment) }
    await saveStudyFile(s)
    const counts = { train: 0, val: 0, test: 0 }
    for (const v of assignment.values()) counts[v]++
    return counts
  })
}

/** Subjects of the study that the stored split does not assign (imported after it was made). */
export function unsplitSubjects(s: Pick<StudyState, 'file'>): string[] {
  const a = s.file.splits?.assignment
  return a ? s.file.subjects.filter((x) => !a[x.id]).map((x) => x.id) : []
}

/**
 * Puts the subjects imported after the split into it, stratified like the split (class and
 * visibility), without moving anyone already assigned: runs made on the split stay comparable.
 */
export async function placeNewSubjectsInSplit(dir: string): Promise<{ placed: Record<SplitName, number>; counts: Record<SplitName, number> }> {
  return mutateStudy(dir, async (s) => {
    const splits = s.file.splits
    if (!splits) throw new InputError(`study ${s.dir} has no split yet to place subjects into; make one (splits.make)`)
    const existing = new Map(Object.entries(splits.assignment))
    // A seed of its own per placement, so two placements do not repeat the same order.
    const added = placeIntoSplits(existing, unsplitSubjects(s), splitStrata(s.labels, s.hidden), splits.seed + existing.size, splits.fractions)
    const placed = { train: 0, val: 0, test: 0 }
    for (const [id, split] of added) {
      splits.assignment[id] = split
      placed[split]++
    }
    if (added.size) await saveStudyFile(s)
    const counts = { train: 0, val: 0, test: 0 }
    for (const v of Object.values(splits.assignment)) counts[v]++
    return { placed, counts }
  })
}

/** Changes class names (only when no label uses a removed name) or the visit. */
export async function updateSettings(dir: string, change: { classNames?: readonly string[]; visit?: string }): Promise<void> {
  await mutateStudy(dir, async (s) => {
    if (change.classNames) {
      checkClassNames(change.classNames)
      const used = new Set([...s.labels.values(), ...s.hidden.values()])
      const dropped = [...used].filter((l) => !change.classNames!.includes(l))
      if (dropped.length) throw new InputError(`cannot remove class ${dropped.join(', ')}: subjects are labelled with it; clear those labels first`)
      s.file.settings.classNames = [...change.classNames]
    }
    if (change.visit) s.file.settings.visit = change.visit
    await saveStudyFile(s)
  })
}

export function studyCounts(s: StudyState, runs: number) {
  const subjects = s.file.subjects
  const labelledByClass: Record<string, number> = Object.fromEntries(s.file.settings.classNames.map((c) => [c, 0]))
  for (const l of s.labels.values()) labelledByClass[l] = (labelledByClass[l] ?? 0) + 1
  return {
    subjects: subjects.length,
    withSmri: subjects.filter((x) => x.scans.smri).length,
    withPet: subjects.filter((x) => x.scans.pet).length,
    withBoth: subjects.filter((x) => x.scans.smri && x.scans.pet).length,
    labelled: s.labels.size,
    labelledByClass,
    hidden: hiddenLabels(s).size,
    runs
  }
}

export { ensureDir }
