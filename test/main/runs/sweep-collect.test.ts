/**
 * `sweep collect`'s table: cells that differ only by seed form a row per model (each modality,
 * then the aggregator), with mean and sample std over seeds of each metric; the TSV in the run
 * metrics' columns led by method, label rate, preset and learning rate; the report's figure with
 * one point and error bar per (model, method, label rate).
 */
import { describe, expect, it } from 'vitest'
import type { SweepFile } from '../../../src-main/domain/sweep'
import { classificationMetrics } from '../../../src-main/engine/train/metrics'
import { accuracyFigureSvg } from '../../../src-main/export/sweep-figure'
import { sweepMetricsTsv, sweepReportHtml } from '../../../src-main/export/sweep-report'
import { type FinishedCell, sweepTable } from '../../../src-main/runs/sweeps/collect'
import { expandGrid } from '../../../src-main/runs/sweeps/grid'

const grid = {
  methods: ['tcgm', 'ce'] as Array<'tcgm' | 'ce'>,
  labelRates: [0.1, 0.2],
  seeds: [0, 1, 2],
  presets: ['tiny'] as Array<'tiny'>,
  learningRates: []
}
const cells = expandGrid(grid)
const labels = [0, 0, 1, 1] // four test subjects

/** Posteriors of four subjects, `wrong` of them misclassified (the first `wrong` rows). */
function metricsWith(wrong: number) {
  const probs: number[] = []
  labels.forEach((y, i) => {
    const pAd = (i < wrong ? y === 0 : y === 1) ? 0.8 : 0.3
    probs.push(1 - pAd, pAd)
  })
  return classificationMetrics(probs, labels, 2)
}

/** Errors per cell: tcgm seeds 0,1,2 at 10% make 1, 0, 2 errors (accuracy 0.75, 1, 0.5); ce always 2 more (capped at 4). */
function finished(): FinishedCell[] {
  return cells.map((cell) => {
    const base = [1, 0, 2][cell.seed]! + (cell.labelRate === 0.2 ? 0 : 1) - 1
    const wrong = Math.min(4, Math.max(0, base + (cell.method === 'ce' ? 2 : 0)))
    return {
      cell,
      modalities: ['smri', 'pet'],
      test: { modalities: [metricsWith(wrong), cell.seed === 2 ? null : metricsWith(0)], aggregator: metricsWith(wrong) }
    }
  })
}

const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))
}

describe('the sweep table', () => {
  const rows = sweepTable(finished())

  it('has one row per method, label rate and model, in grid order', () => {
    expect(rows.map((r) => `${r.labelRate} ${r.method} ${r.model}`)).toEqual([
      '0.1 tcgm smri',
      '0.1 tcgm pet',
      '0.1 tcgm aggregator',
      '0.1 ce smri',
      '0.1 ce pet',
      '0.1 ce aggregator',
      '0.2 tcgm smri',
      '0.2 tcgm pet',
      '0.2 tcgm aggregator',
      '0.2 ce smri',
      '0.2 ce pet',
      '0.2 ce aggregator'
    ])
  })

  it('averages over seeds with the sample standard deviation', () => {
    // tcgm at 10%: 1, 0, 2 errors of 4 -> accuracies 0.75, 1, 0.5
    const agg = rows.find((r) => r.method === 'tcgm' && r.labelRate === 0.1 && r.model === 'aggregator')!
    expect(agg.seeds).toBe(3)
    expect(agg.n).toBe(4)
    expect(agg.mean.accuracy).toBeCloseTo(0.75, 12)
    expect(agg.std.accuracy).toBeCloseTo(sampleStd([0.75, 1, 0.5]), 12)
    // ce at 10%: 3, 2, 4 errors -> 0.25, 0.5, 0
    const ce = rows.find((r) => r.method === 'ce' && r.labelRate === 0.1 && r.model === 'aggregator')!
    expect(ce.mean.accuracy).toBeCloseTo(0.25, 12)
    expect(ce.std.accuracy).toBeCloseTo(sampleStd([0.25, 0.5, 0]), 12)
    // Sensitivity (AD recall) of tcgm at 10%: errors hit NC first, so AD stays right until 3 errors.
    expect(agg.mean.sensitivity).toBeCloseTo(1, 12)
    expect(agg.mean.specificity).toBeCloseTo((0.5 + 1 + 0) / 3, 12)
  })

  it('counts only the seeds a model was evaluated on', () => {
    const pet = rows.find((r) => r.method === 'tcgm' && r.labelRate === 0.2 && r.model === 'pet')!
    expect(pet.seeds).toBe(2)
    expect(pet.mean.accuracy).toBe(1)
    expect(pet.std.accuracy).toBe(0)
  })

  it('leaves out seeds that have not finished', () => {
    const part = sweepTable(finished().filter((f) => !(f.cell.method === 'ce' && f.cell.seed === 0)))
    expect(part.find((r) => r.method === 'ce' && r.labelRate === 0.2 && r.model === 'aggregator')!.seeds).toBe(2)
    expect(part.find((r) => r.method === 'tcgm' && r.labelRate === 0.2 && r.model === 'aggregator')!.seeds).toBe(3)
  })

  it('writes the TSV in the run metrics’ columns, led by the grid’s', () => {
    const lines = sweepMetricsTsv(rows).trimEnd().split('\n')
    expect(lines[0]!.split('\t')).toEqual([
      'method',
      'label_rate',
      'preset',
      'learning_rate',
      'model',
      'split',
      'n',
      'seeds',
      'accuracy_mean',
      'accuracy_std',
      'balanced_accuracy_mean',
      'balanced_accuracy_std',
      'auc_mean',
      'auc_std',
      'sensitivity_mean',
      'sensitivity_std',
      'specificity_mean',
      'specificity_std',
      'f1_mean',
      'f1_std'
    ])
    expect(lines).toHaveLength(1 + 12)
    const f = lines[3]!.split('\t')
    expect(f.slice(0, 10)).toEqual(['tcgm', '0.1', 'tiny', '', 'aggregator', 'test', '4', '3', '0.7500', sampleStd([0.75, 1, 0.5]).toFixed(4)])
  })

  it('draws a point with an error bar per model, method and label rate, and lists unfinished cells', () => {
    const svg = accuracyFigureSvg(rows)
    expect(svg.match(/<circle /g)).toHaveLength(3 * 2 * 2)
    expect(svg).toContain('TCGM, 10% labels: 75.0 ± 25.0 (3 seeds)')
    const file: SweepFile = { version: 1, name: 'fig6', createdAt: '2026-01-01T00:00:00Z', grid, epochs: 30, classNames: ['NC', 'AD'] }
    const html = sweepReportHtml(file, 'Demo', rows, [{ cell: cells[0]!, state: 'failed', message: 'out of <memory>' }], cells.length)
    expect(html).toContain('<svg')
    expect(html).toContain('Cells not finished (1 of 12)')
    expect(html).toContain('out of &lt;memory&gt;')
    expect(accuracyFigureSvg([])).toContain('No cell has finished')
  })
})
