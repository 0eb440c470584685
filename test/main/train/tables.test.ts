import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { run as fitTables } from '../../../src-main/cli/fit-tables'
import { parseTable } from '../../../src-main/files/tables'
import { buildTablesRun } from '../../../src-main/runs/kinds/tables'
import { readFeatureTable, readLabelsTable } from '../../../src-main/runs/kinds/feature-tables'
import { fitStandardisation, applyStandardisation } from '../../../src-main/engine/tabular/standardise'
import { generateGaussianSim } from '../../../src-main/engine/tcgm/simulation'

const tmp = mkdtempSync(join(tmpdir(), 'tcgm-tables-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const file = (name: string, text: string): string => {
  const p = join(tmp, name)
  writeFileSync(p, text)
  return p
}

/** Two modality tables from the Gaussian simulation; every 25th subject lacks 'pet'; 10% labelled. */
function writeCohort(dir: string, n = 240): { mri: string; pet: string; labels: string; truth: string[] } {
  const sim = generateGaussianSim({ modalities: 2, classes: 2, dim: 4, separation: 2.2, n, seed: 21 })
  const id = (i: number): string => `002_S_${String(i).padStart(4, '0')}`
  const table = (m: number, skip: (i: number) => boolean): string =>
    [
      'participant_id\tv1\tv2\tv3\tv4',
      ...Array.from({ length: n }, (_, i) => i)
        .filter((i) => !skip(i))
        .map((i) => `${id(i)}\t${Array.from(sim.features[m]!.subarray(i * 4, i * 4 + 4)).join('\t')}`)
    ].join('\n')
  const names = ['CN', 'AD']
  return {
    mri: file(
      `${dir}-mri.tsv`,
      table(0, () => false)
    ),
    pet: file(
      `${dir}-pet.tsv`,
      table(1, (i) => i % 25 === 3)
    ),
    labels: file(
      `${dir}-labels.tsv`,
      ['participant_id\tlabel', ...Array.from({ length: n }, (_, i) => `${id(i)}\t${i % 10 === 0 ? names[sim.labels[i]!] : ''}`)].join('\n')
    ),
    truth: sim.labels.map((y) => names[y]!)
  }
}

describe('feature and label tables', () => {
  it('reads a feature table and reports bad cells with file, line and column', () => {
    const t = readFeatureTable(file('ok.tsv', 'participant_id\ta\tb\nS1\t1\t2.5\nS2\t-3\t4e-1\n'))
    expect(t.ids).toEqual(['S1', 'S2'])
    expect(t.columns).toEqual(['a', 'b'])
    expect(Array.from(t.values)).toEqual([1, 2.5, -3, 0.4])
    const bad = file('bad.tsv', 'participant_id\ta\nS1\t1\nS2\tNA\n')
    expect(() => readFeatureTable(bad)).toThrow(`${bad}:3: column 'a' of 'S2' is 'NA', expected a finite number`)
    const noId = file('noid.tsv', 'subject\ta\nS1\t1\n')
    expect(() => readFeatureTable(noId)).toThrow(/no 'participant_id' column/)
    const dup = file('dup.tsv', 'participant_id\ta\nS1\t1\nS1\t2\n')
    expect(() => readFeatureTable(dup)).toThrow(`${dup}:3: participant_id 'S1' appears twice`)
    // Quoted fields as spreadsheets write them: a tab inside quotes is part of the id.
    const quoted = readFeatureTable(file('quoted.tsv', 'participant_id\t"a"\n"S\t1"\t"2"\n'))
    expect(quoted.ids).toEqual(['S\t1'])
    expect(quoted.columns).toEqual(['a'])
    expect(Array.from(quoted.values)).toEqual([2])
    const ragged = file('ragged.tsv', 'participant_id\ta\tb\nS1\t1\n')
    expect(() => readFeatureTable(ragged)).toThrow(`${ragged}:2: 2 fields, the header has 3`)
  })

  it('reads labels (empty = unlabelled) and rejects subjects missing from every table', () => {
    const l = readLabelsTable(file('labels.tsv', 'participant_id\tlabel\nS1\tAD\nS2\t\nS3\tCN\n'))
    expect([...l.labels.entries()]).toEqual([
      ['S1', 'AD'],
      ['S2', ''],
      ['S3', 'CN']
    ])
    const feats = file('f.tsv', 'participant_id\ta\nS1\t1\nS2\t2\n')
    const labels = file('l2.tsv', 'participant_id\tlabel\nS1\tAD\nS9\tCN\n')
    expect(() => buildTablesRun({ modalities: [{ name: 'mri', file: feats }], labelsFile: labels })).toThrow(
      `${labels}: 1 participant_id(s) are in no feature table: S9`
    )
  })

  it('standardises on the fitting rows only', () => {
    const x = Float64Array.from([0, 10, 2, 10, 4, 10, 100, 10])
    const s = fitStandardisation(x, 2, [0, 1, 2])
    expect(Array.from(s.mean)).toEqual([2, 10])
    expect(s.std[0]).toBeCloseTo(2, 14)
    expect(s.std[1]).toBe(1) // constant column
    expect(applyStandardisation(x, 2, s)[6]).toBeCloseTo(49, 5)
  })

  it('builds the run: union of subjects, missing modality, stratified validation, train-only standardisation', () => {
    const c = writeCohort('build')
    const r = buildTablesRun({
      modalities: [
        { name: 'mri', file: c.mri },
        { name: 'pet', file: c.pet }
      ],
      labelsFile: c.labels,
      seed: 2
    })
    expect(r.subjectIds).toHaveLength(240)
    expect(r.classNames).toEqual(['AD', 'CN'])
    expect(r.data.available.filter((a) => !a[1]).length).toBe(10)
    const val = r.data.split.flatMap((s, i) => (s === 'val' ? [i] : []))
    expect(val.length).toBeGreaterThan(0)
    expect(val.every((i) => r.data.labels[i] !== null)).toBe(true)
  })
})

describe('fit-tables command', () => {
  it('writes predictions for every subject and run.json with validation metrics', async () => {
    const c = writeCohort('cli')
    const out = join(tmp, 'out')
    const code = await fitTables([
      '--modality',
      `mri=${c.mri}`,
      '--modality',
      `pet=${c.pet}`,
      '--labels',
      c.labels,
      '--method',
      'tcgm',
      '--seed',
      '3',
      '--out',
      out,
      '--epochs',
      '100',
      '--warmup-epochs',
      '30',
      '--lr-unlabelled',
      '0.003',
      '--tc-batch-size',
      '32',
      '--quiet'
    ])
    expect(code).toBe(0)
    const pred = parseTable('predictions.tsv', readFileSync(join(out, 'predictions.tsv'), 'utf8'))
    // The app's one predictions table (ClinicaDL's columns first, class indices in true_label / predicted_label).
    expect(pred.columns).toEqual([
      'participant_id',
      'session_id',
      'true_label',
      'predicted_label',
      'proba0',
      'proba1',
      'true_class',
      'predicted_class',
      'mri_proba0',
      'mri_proba1',
      'pet_proba0',
      'pet_proba1',
      'split',
      'label_hidden'
    ])
    expect(pred.rows).toHaveLength(240)
    const rows = pred.rows.map((r) => r.values)
    for (const r of rows) expect(Number(r.proba0) + Number(r.proba1)).toBeCloseTo(1, 4)
    const noPet = rows.find((r) => r.participant_id === '002_S_0003')!
    expect(noPet.pet_proba0).toBe('')
    // The aggregator of a subject without PET is its MRI posterior (M' = 1).
    expect(Number(noPet.proba0)).toBeCloseTo(Number(noPet.mri_proba0), 4)
    // Unlabelled subjects have an empty true_label; labelled ones the index of their class.
    expect(rows.filter((r) => r.true_label !== '').every((r) => ['AD', 'CN'][Number(r.true_label)] === r.true_class)).toBe(true)
    // Well above chance on all subjects (Bayes-optimal: 0.92; measured 0.89).
    const correct = rows.filter((r, i) => r.predicted_class === c.truth[i]).length / rows.length
    expect(correct).toBeGreaterThan(0.8)
    const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'))
    expect(runJson.classNames).toEqual(['AD', 'CN'])
    expect(runJson.metrics.validation.aggregator.accuracy).toBeGreaterThanOrEqual(0)
    expect(runJson.counts).toMatchObject({ subjects: 240, labelled: 24, perModality: { mri: 240, pet: 230 } })
  })

  it('refuses TCGM with one table', async () => {
    const c = writeCohort('one')
    await expect(fitTables(['--modality', `mri=${c.mri}`, '--labels', c.labels, '--out', join(tmp, 'x')])).rejects.toThrow(
      /TCGM needs at least two --modality tables/
    )
  })
})
