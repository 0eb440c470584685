/**
 * A sweep's grid expanded into cells, in a fixed order. A cell's index is its Slurm array task id
 * and its id names its run folder, so neither may change once a sweep exists: the order below is
 * part of the sweep folder's format.
 */
import type { SweepCell, SweepGrid } from '../../domain/sweep'

/** The label rate as a cell id shows it: a percentage without trailing zeros (0.1 -> '10'). */
export function ratePercent(rate: number): string {
  return String(Number((100 * rate).toPrecision(6)))
}

/**
 * Expands the grid. Order (outer to inner): preset, learning rate, label rate, seed, method, so
 * the cells compared pairwise (the same labels and split, another method) sit side by side.
 * @throws when two cells would get the same folder name
 */
export function expandGrid(grid: SweepGrid): SweepCell[] {
  const cells: SweepCell[] = []
  const lrs: Array<number | null> = grid.learningRates.length ? grid.learningRates : [null]
  for (const preset of grid.presets)
    for (const learningRate of lrs)
      for (const labelRate of grid.labelRates)
        for (const seed of grid.seeds)
          for (const method of grid.methods) {
            const lr = learningRate === null ? '' : `-lr${learningRate}`
            cells.push({
              index: cells.length,
              id: `${method}-${preset}-r${ratePercent(labelRate)}${lr}-s${seed}`,
              method,
              preset,
              labelRate,
              learningRate,
              seed
            })
          }
  if (new Set(cells.map((c) => c.id)).size !== cells.length) {
    throw new Error('expandGrid: two cells would share a folder name (label rates that agree to 6 digits as percentages)')
  }
  return cells
}
