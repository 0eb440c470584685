/**
 * `sweep collect`: the paper's table from a sweep's finished cells. Cells that share everything
 * but the seed form a group; each group gives one row per model (each modality, then the
 * aggregator) on the test split, with mean and std over the group's seeds (metricsRow, as a
 * single run's metrics table computes them over its seeds).
 */
import { join } from 'node:path'
import type { SweepCell, SweepTableRow } from '../../domain/sweep'
import type { ClassificationMetrics } from '../../engine/train/metrics'
import { readRunConfigIn, readSeedResults } from '../folder'
import { metricsRow } from '../read'
import type { CellStatus } from './cells'
import { type Sweep, cellDir } from './folder'

/** What the table needs of one finished cell: its place in the grid and its test evaluation. */
export interface FinishedCell {
  cell: SweepCell
  modalities: readonly string[]
  test: { modalities: ReadonlyArray<ClassificationMetrics | null>; aggregator: ClassificationMetrics | null }
}

const groupKey = (c: SweepCell) => JSON.stringify([c.preset, c.learningRate, c.labelRate, c.method])

/** Rows in grid order (preset, learning rate, label rate, method); per group the modalities, then the aggregator. */
export function sweepTable(finished: readonly FinishedCell[]): SweepTableRow[] {
  const groups = new Map<string, FinishedCell[]>()
  for (const f of [...finished].sort((a, b) => a.cell.index - b.cell.index)) {
    const k = groupKey(f.cell)
    groups.set(k, [...(groups.get(k) ?? []), f])
  }
  const rows: SweepTableRow[] = []
  for (const members of groups.values()) {
    const c = members[0]!.cell
    const models = [...new Set(members.flatMap((m) => m.modalities))]
    const perModel: Array<[string, ClassificationMetrics[]]> = models.map((name) => [
      name,
      members.flatMap((m) => {
        const r = m.test.modalities[m.modalities.indexOf(name)]
        return r ? [r] : []
      })
    ])
    perModel.push(['aggregator', members.flatMap((m) => (m.test.aggregator ? [m.test.aggregator] : []))])
    for (const [model, list] of perModel) {
      if (list.length)
        rows.push({ method: c.method, preset: c.preset, learningRate: c.learningRate, labelRate: c.labelRate, ...metricsRow(model, 'test', list) })
    }
  }
  return rows
}

/** The test evaluation of each done cell (one seed per cell). */
export async function finishedCells(sweep: Sweep, statuses: readonly CellStatus[]): Promise<FinishedCell[]> {
  const out: FinishedCell[] = []
  for (const s of statuses) {
    if (s.state !== 'done') continue
    const dir = cellDir(sweep.study, sweep.file.name, s.cell.id)
    const config = await readRunConfigIn(dir)
    for (const r of await readSeedResults(dir, config)) {
      const test = r.evaluation.test
      if (!test) throw new Error(`${join(dir, `seed-${r.seed}`, 'result.json')} has no test evaluation: the cell's split has no labelled test subjects`)
      out.push({ cell: s.cell, modalities: r.modalities, test: { modalities: test.modalities, aggregator: test.aggregator } })
    }
  }
  return out
}
