import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunDetail } from '../../../src-main/api/contracts/study'
import { RunDetail as RunDetailSchema } from '../../../src-main/api/contracts/study'
import { exportRun } from '../../../src-main/export'
import { parseTable } from '../../../src-main/files/tables'

const root = mkdtempSync(join(tmpdir(), 'tcgm-export-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

const m = (v: number) => ({ accuracy: v, balancedAccuracy: v, auc: v, sensitivity: v, specificity: v, f1: v })
const run: RunDetail = {
  summary: {
    id: 'r1',
    method: 'tcgm',
    preset: 'tiny',
    seeds: 2,
    epochs: 3,
    status: 'done',
    createdAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:10:00Z',
    testAccuracy: 0.75,
    message: null
  },
  config: { method: 'tcgm' },
  classNames: ['NC', 'AD'],
  curves: [
    {
      seed: 0,
      points: [
        { epoch: 1, ceLoss: 0.7, tcGain: null, val: { aggregator: 0.6, smri: 0.55 } },
        { epoch: 2, ceLoss: 0.5, tcGain: 0.1, val: { aggregator: 0.7, smri: 0.6 } }
      ]
    }
  ],
  metrics: [{ model: 'aggregator', split: 'test', mean: m(0.75), std: m(0.05), n: 4, seeds: 2 }],
  predictions: [
    {
      participantId: '002_S_0001',
      sessionId: 'ses-M00',
      split: 'train',
      trueLabel: 'AD',
      hiddenLabel: null,
      predictedLabel: 'AD',
      aggregator: [0.2, 0.8],
      modalities: { smri: [0.3, 0.7], pet: [0.4, 0.6] }
    },
    {
      participantId: '002_S_0002',
      sessionId: 'ses-M00',
      split: 'test',
      trueLabel: null,
      hiddenLabel: 'NC',
      predictedLabel: 'NC',
      aggregator: [0.9, 0.1],
      modalities: { smri: [0.8, 0.2] }
    },
    {
      participantId: '002_S_0003',
      sessionId: 'ses-M00',
      split: 'test',
      trueLabel: null,
      hiddenLabel: null,
      predictedLabel: 'AD',
      aggregator: [0.4, 0.6],
      modalities: { pet: [0.4, 0.6] }
    }
  ],
  confusion: [
    [3, 1],
    [0, 4]
  ],
  roc: { fpr: [0, 0.25, 1], tpr: [0, 1, 1], auc: 0.875 }
}

describe('export', () => {
  it('writes ClinicaDL-style predictions, metrics, a self-contained report and its JSON', async () => {
    expect(RunDetailSchema.safeParse(run).success).toBe(true)
    const out = join(root, 'out')
    const r = await exportRun(run, out, 'demo')
    expect(r.files.map((f) => f.slice(out.length + 1))).toEqual(['r1_predictions.tsv', 'r1_metrics.tsv', 'r1_report.html', 'r1_report.json'])
    const pred = parseTable('p.tsv', await fsp.readFile(r.files[0]!, 'utf8'))
    expect(pred.columns).toEqual([
      'participant_id',
      'session_id',
      'true_label',
      'predicted_label',
      'proba0',
      'proba1',
      'true_class',
      'predicted_class',
      'pet_proba0',
      'pet_proba1',
      'smri_proba0',
      'smri_proba1',
      'split',
      'label_hidden'
    ])
    expect(pred.rows.map((x) => [x.values.true_label, x.values.predicted_label, x.values.label_hidden, x.values.split])).toEqual([
      ['1', '1', '0', 'train'],
      ['0', '0', '1', 'test'],
      ['', '1', '0', 'test'] // unlabelled subjects are exported with an empty true_label
    ])
    expect(pred.rows[1]!.values.pet_proba0).toBe('') // missing modality
    expect(Number(pred.rows[0]!.values.proba1)).toBeCloseTo(0.8, 6)
    const metrics = parseTable('m.tsv', await fsp.readFile(r.files[1]!, 'utf8'))
    expect(metrics.columns.slice(0, 6)).toEqual(['model', 'split', 'n', 'seeds', 'accuracy_mean', 'accuracy_std'])
    expect(metrics.rows[0]!.values).toMatchObject({ model: 'aggregator', split: 'test', accuracy_mean: '0.7500', auc_std: '0.0500' })
    const html = await fsp.readFile(r.files[2]!, 'utf8')
    expect(html).toContain('<svg')
    expect(html).not.toMatch(/<script|src="http|href="http/)
    expect(html).toContain('>4</text>') // a confusion-matrix cell
    // The ROC's axes are rates, not epochs (the training curves keep "epoch").
    const roc = html.slice(html.indexOf('<figcaption>ROC'))
    const rocSvg = roc.slice(0, roc.indexOf('</svg>'))
    expect(rocSvg).toContain('>false-positive rate</text>')
    expect(rocSvg).toContain('>true-positive rate</text>')
    expect(rocSvg).not.toContain('>epoch</text>')
    expect(JSON.parse(await fsp.readFile(r.files[3]!, 'utf8'))).toEqual(run)
  })

  it('refuses a run without predictions', async () => {
    await expect(exportRun({ ...run, predictions: [] }, join(root, 'x'), 'demo')).rejects.toThrow(/has no predictions yet/)
  })
})
