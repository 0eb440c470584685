/**
 * A sweep's folder in the study: sweeps/<name>/ holds
 *   sweep.json            what was asked: the grid, epochs, the study's classes (domain/sweep.ts)
 *   cells/<cell id>/      one run folder per cell, laid out as a single run writes it
 *                         (runs/folder.ts), prepared when the sweep is made: config.json and
 *                         subjects.tsv (the cell's own visible subjects and split)
 *   slurm/                only once submitted to Slurm (runs/sweeps/slurm-executor.ts)
 *   metrics.tsv, report.html   written by `sweep collect`
 * The study's own labels and split are never changed by a sweep.
 */
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { type SweepCell, SweepFile, SweepName, type SweepGrid } from '../../domain/sweep'
import { ensureDir, writeFileAtomic } from '../../files/atomic'
import { describeBackends } from '../../engine/backend/candidates'
import { DEFAULT_FRACTIONS } from '../../study/splits'
import { loadStudy } from '../../study/study'
import { writeRunConfig } from '../folder'
import { runConfigFor } from '../plan'
import { RUN_SUBJECTS_TSV, drawLabelling, type RunLabelling, writeRunSubjects } from '../run-labelling'
import { expandGrid } from './grid'

export const SWEEPS_DIR = 'sweeps'
const SWEEP_JSON = 'sweep.json'

export const sweepDir = (study: string, name: string) => join(study, SWEEPS_DIR, name)
export const cellDir = (study: string, name: string, cellId: string) => join(sweepDir(study, name), 'cells', cellId)

export interface Sweep {
  study: string
  dir: string
  file: SweepFile
  cells: SweepCell[]
}

/** Reads and validates sweep.json. @throws naming the file and the problem */
export async function readSweep(study: string, name: string): Promise<Sweep> {
  const parsedName = SweepName.safeParse(name)
  if (!parsedName.success) throw new Error(`'${name}' is not a sweep name: ${parsedName.error.issues[0]?.message}`)
  const dir = sweepDir(study, name)
  const file = join(dir, SWEEP_JSON)
  let raw: unknown
  try {
    raw = JSON.parse(await fsp.readFile(file, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the study ${study} has no sweep '${name}' (no ${file})`, { cause: err })
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  const parsed = SweepFile.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${file} is not a sweep file: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`)
  }
  return { study, dir, file: parsed.data, cells: expandGrid(parsed.data.grid) }
}

export async function listSweeps(study: string): Promise<string[]> {
  const names = await fsp.readdir(join(study, SWEEPS_DIR)).catch(() => [] as string[])
  const out: string[] = []
  for (const n of names.sort()) {
    if (!SweepName.safeParse(n).success) continue
    if (
      await fsp.stat(join(study, SWEEPS_DIR, n, SWEEP_JSON)).then(
        () => true,
        () => false
      )
    )
      out.push(n)
  }
  return out
}

export interface CreateSweepOptions {
  name: string
  grid: SweepGrid
  epochs: number
}

/**
 * Makes the sweep folder with every cell prepared (config.json, subjects.tsv), in a temporary
 * folder renamed into place at the end, so a failed or interrupted create leaves no half sweep.
 * Each (label rate, seed) draws its labelling once; the methods of that pair share it.
 */
export async function createSweep(study: string, o: CreateSweepOptions): Promise<Sweep> {
  const name = SweepName.safeParse(o.name)
  if (!name.success) throw new Error(`'${o.name}' is not a sweep name: ${name.error.issues[0]?.message}`)
  const s = await loadStudy(study)
  const parsed = SweepFile.safeParse({
    version: 1,
    name: o.name,
    createdAt: new Date().toISOString(),
    grid: o.grid,
    epochs: o.epochs,
    classNames: s.file.settings.classNames
  })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`sweep '${o.name}': ${issue?.path.join('.') || '(top)'}: ${issue?.message}`)
  }
  const file = parsed.data
  const known = new Map([...s.hidden, ...s.labels])
  if (known.size === 0) throw new Error(`study ${s.dir} has no labels, visible or hidden: a sweep draws its label rates from them; import labels first`)
  const ids = s.file.subjects.map((x) => x.id)
  const target = sweepDir(s.dir, o.name)
  if (
    await fsp.stat(target).then(
      () => true,
      () => false
    )
  )
    throw new Error(`the study already has a sweep '${o.name}' (${target}); choose another name`)
  const cells = expandGrid(file.grid)

  await ensureDir(join(s.dir, SWEEPS_DIR), 'study folder')
  const temp = join(s.dir, SWEEPS_DIR, `.${o.name}.creating-${randomBytes(3).toString('hex')}`)
  const backend = await describeBackends()
  try {
    const drawn = new Map<string, RunLabelling>()
    for (const cell of cells) {
      const key = `${cell.labelRate}|${cell.seed}`
      let labelling = drawn.get(key)
      if (!labelling) drawn.set(key, (labelling = drawLabelling(ids, known, cell.labelRate, cell.seed)))
      const visible = new Set(labelling.visible)
      const valCounts = file.classNames.map((c) => [...known].filter(([id, l]) => l === c && visible.has(id) && labelling!.split[id] === 'val').length)
      const hyperparameters = cell.learningRate === null ? {} : { lrLabelled: cell.learningRate, lrUnlabelled: cell.learningRate }
      // The cell's split is its own (drawn with its labelling, by the default fractions), kept in subjects.tsv.
      const config = runConfigFor(s, {
        id: cell.id,
        createdAt: file.createdAt,
        options: { method: cell.method, preset: cell.preset, seeds: 1, firstSeed: cell.seed, epochs: file.epochs, hyperparameters },
        valLabelsPerClass: valCounts,
        split: { seed: cell.seed, fractions: DEFAULT_FRACTIONS, createdAt: file.createdAt, assignment: labelling.split, file: RUN_SUBJECTS_TSV },
        backend,
        labelling: { sweep: o.name, labelRate: cell.labelRate, seed: cell.seed }
      })
      const dir = join(temp, 'cells', cell.id)
      await ensureDir(dir, 'study folder')
      await writeRunSubjects(join(dir, RUN_SUBJECTS_TSV), labelling)
      await writeRunConfig(dir, config)
    }
    await writeFileAtomic(join(temp, SWEEP_JSON), JSON.stringify(file, null, 1) + '\n', 'study folder')
    await fsp.rename(temp, target)
  } catch (err) {
    await fsp.rm(temp, { recursive: true, force: true }).catch(() => undefined)
    throw err
  }
  return { study: s.dir, dir: target, file, cells }
}
