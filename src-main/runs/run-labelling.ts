/**
 * A run's own labelling: which of the study's known labels (visible and hidden) the run may train
 * on, and its train/validation/test split. A plain run uses the study's labels and split; a sweep
 * cell draws its own at the cell's label rate and seed, as a researcher repeating the experiment
 * would, and keeps it in its run folder (subjects.tsv), so the study's own labels never change.
 *
 * A cell's subjects are those of the study when the sweep was made: subjects imported later are
 * not in its split and stay out of its training and evaluation (as with a run's saved split).
 *
 * subjects.tsv: participant_id, split, label_visible (1 = the run trains on this subject's label,
 * 0 = hidden from it; the label itself stays in the study, so no hidden label is copied).
 */
import { promises as fsp } from 'node:fs'
import { z } from 'zod'
import { SplitName } from '../domain/study-settings'
import { writeFileAtomic } from '../files/atomic'
import { chooseVisible, makeSplits, splitStrata } from '../study/splits'

export const RUN_SUBJECTS_TSV = 'subjects.tsv'

/** What the training worker is given in place of the study's labels and split. */
export const RunLabelling = z.object({
  /** Subjects whose known label the run trains on. */
  visible: z.array(z.string()),
  /** Split of every subject of the study. */
  split: z.record(z.string(), SplitName)
})
export type RunLabelling = z.infer<typeof RunLabelling>

/**
 * The labelling of one (label rate, seed): `chooseVisible` over the known labels (the label
 * command's draw: stratified per class, at least one per class), then the split stratified by
 * class and visibility (as the study's split is made), both seeded by `seed`. For one seed the
 * visible set at a lower rate is contained in that at a higher rate (one shuffle per class).
 */
export function drawLabelling(subjectIds: readonly string[], known: ReadonlyMap<string, string>, rate: number, seed: number): RunLabelling {
  const visible = chooseVisible(known, rate, seed)
  const shown = new Map([...known].filter(([id]) => visible.has(id)))
  const hidden = new Map([...known].filter(([id]) => !visible.has(id)))
  const split = makeSplits(subjectIds, splitStrata(shown, hidden), seed)
  return { visible: subjectIds.filter((id) => visible.has(id)), split: Object.fromEntries(subjectIds.map((id) => [id, split.get(id)!])) }
}

const HEADER = ['participant_id', 'split', 'label_visible']

export function formatRunSubjects(l: RunLabelling): string {
  const visible = new Set(l.visible)
  const rows = Object.entries(l.split).map(([id, split]) => {
    if (/[\t\r\n]/.test(id)) throw new Error(`subject id '${id.replace(/[\t\r\n]/g, ' ')}' must not contain tabs or line breaks`)
    return `${id}\t${split}\t${visible.has(id) ? 1 : 0}`
  })
  return [HEADER.join('\t'), ...rows].join('\n') + '\n'
}

export async function writeRunSubjects(file: string, l: RunLabelling): Promise<void> {
  await writeFileAtomic(file, formatRunSubjects(l), 'study folder')
}

/** @throws naming the file and the line when it is not a run's subjects.tsv */
export function parseRunSubjects(file: string, text: string): RunLabelling {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
  if (lines[0] !== HEADER.join('\t')) throw new Error(`${file} does not start with the header ${HEADER.join(', ')}`)
  const split: Record<string, SplitName> = {}
  const visible: string[] = []
  lines.slice(1).forEach((line, i) => {
    if (!line) return
    const [id, s, v, ...rest] = line.split('\t')
    const parsed = SplitName.safeParse(s)
    if (!id || !parsed.success || (v !== '0' && v !== '1') || rest.length) {
      throw new Error(`${file} line ${i + 2}: expected participant_id, a split (train, val or test) and label_visible 0 or 1, got '${line}'`)
    }
    if (split[id] !== undefined) throw new Error(`${file} line ${i + 2}: ${id} appears twice`)
    split[id] = parsed.data
    if (v === '1') visible.push(id)
  })
  return { visible, split }
}

export async function readRunSubjects(file: string): Promise<RunLabelling> {
  let text: string
  try {
    text = await fsp.readFile(file, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseRunSubjects(file, text)
}
