/**
 * The run folder describes itself: config.json is versioned and schema-checked, records what the
 * run was made with, and older configs are migrated on read or refused with the reason; at the
 * end of training the folder gets its predictions and metrics tables, which export copies.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { version } from '../../../package.json'
import { RUN_FORMAT_VERSION, RunConfig } from '../../../src-main/domain/run-config'
import { defaultTrainConfig } from '../../../src-main/domain/train-config'
import { exportRun } from '../../../src-main/export'
import { parseTable } from '../../../src-main/files/tables'
import { preprocessSettingsHash } from '../../../src-main/preprocessing/preprocess'
import { createRunFolder, readRunConfig, runDir, savedRunTables } from '../../../src-main/runs/folder'
import { planStudyRun, splitHash } from '../../../src-main/runs/plan'
import { getRunDetail, listRuns } from '../../../src-main/runs/read'
import { writeFinishedRunTables } from '../../../src-main/runs/train'
import { preprocessSettingsFor } from '../../../src-main/study/import/preprocess'
import { applyLabels, createStudy, loadStudy, mutateStudy, saveStudyFile } from '../../../src-main/study/study'
import { classificationMetrics } from '../../../src-main/engine/train/metrics'

const root = mkdtempSync(join(tmpdir(), 'tcgm-run-folder-'))
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

const ids = ['A', 'B', 'C', 'D', 'E', 'F']
const truth = [0, 1, 0, 1, 0, 1]
const study = join(root, 'study')

/** config.json as runs wrote it before it had a formatVersion (format 0). */
const formatZero = (id: string) => ({
  id,
  method: 'tcgm',
  preset: 'tiny',
  seeds: [0],
  epochs: 2,
  hyperparameters: { batchSize: 4 },
  train: { method: 'tcgm', epochs: 2, warmupEpochs: 1, batchSize: 4, tcBatchSize: 8, selectionMetric: 'last' },
  createdAt: '2026-01-01T00:00:00Z',
  classNames: ['NC', 'AD']
})

async function writeRun(id: string, config: unknown): Promise<string> {
  const dir = join(study, 'runs', id)
  await fsp.mkdir(join(dir, 'seed-0'), { recursive: true })
  await fsp.writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  return dir
}

beforeAll(async () => {
  await createStudy(study)
  await mutateStudy(study, async (s) => {
    for (const id of ids) s.file.subjects.push({ id, sessionId: 'ses-M00', group: null, sex: null, age: null, scans: {} })
    await saveStudyFile(s)
  })
  await applyLabels(study, new Map(ids.map((id, i) => [id, truth[i] ? 'AD' : 'NC'])), 'import:test')
})

describe('config.json of a run', () => {
  it('records the app, backend, preprocessing with its hashes, the resolved engine config, the split and seeds', async () => {
    const { config, split } = await planStudyRun(study, {
      method: 'tcgm',
      preset: 'tiny',
      seeds: 2,
      firstSeed: 3,
      epochs: 6,
      hyperparameters: { batchSize: 4 }
    })
    expect(RunConfig.safeParse(config).success).toBe(true)
    expect(config).toMatchObject({
      formatVersion: RUN_FORMAT_VERSION,
      app: { name: 'tcgm-lab', version },
      method: 'tcgm',
      preset: 'tiny',
      seeds: [3, 4],
      epochs: 6,
      classNames: ['NC', 'AD']
    })
    // Every engine setting resolved: the ones chosen and the defaults the others take.
    expect(config.train).toMatchObject({
      epochs: 6,
      warmupEpochs: 2,
      batchSize: 4,
      tcBatchSize: 8,
      lrLabelled: defaultTrainConfig.lrLabelled,
      evalBatchSize: defaultTrainConfig.evalBatchSize
    })
    expect(config.backend?.name).toMatch(/^(tensorflow-gpu|tensorflow|wasm|cpu)$/)
    expect(config.backend?.reason.length).toBeGreaterThan(0)
    const s = await loadStudy(study)
    // The hash the import put in each crop's cache key for these study settings.
    expect(config.preprocessing?.pet?.hash).toBe(preprocessSettingsHash(preprocessSettingsFor('pet', s.file.settings)))
    expect(config.preprocessing?.smri?.settings).toMatchObject({ modality: 'smri', smriIntensity: 'gm-proportional' })
    // No split yet: planning made one, and the config records it.
    expect(s.file.splits).not.toBeNull()
    expect(split).toEqual(s.file.splits)
    expect(config.split).toMatchObject({ seed: 3, hash: splitHash(s.file.splits!.assignment), file: 'split.json' })
    expect(Object.values(config.split!.counts).reduce((a, b) => a + b, 0)).toBe(ids.length)

    await createRunFolder(study, config, split)
    expect(await readRunConfig(study, config.id)).toEqual(config)
    expect(JSON.parse(await fsp.readFile(join(runDir(study, config.id), 'split.json'), 'utf8'))).toEqual(split)
    await fsp.rm(runDir(study, config.id), { recursive: true })
  })

  it('opens a config.json without a version (format 0) by migrating it on read', async () => {
    await writeRun('old', formatZero('old'))
    const c = await readRunConfig(study, 'old')
    expect(c).toMatchObject({
      formatVersion: RUN_FORMAT_VERSION,
      id: 'old',
      app: null,
      backend: null,
      preprocessing: null,
      split: null,
      hyperparameters: { batchSize: 4 }
    })
    // The engine settings resolved as training and resume resolve them.
    expect(c.train).toEqual({ ...defaultTrainConfig, method: 'tcgm', epochs: 2, warmupEpochs: 1, batchSize: 4, tcBatchSize: 8, selectionMetric: 'last' })
    expect((await listRuns(study)).map((r) => r.id)).toContain('old')
    // Reading does not rewrite the file.
    expect(JSON.parse(await fsp.readFile(join(study, 'runs', 'old', 'config.json'), 'utf8'))).toEqual(formatZero('old'))
  })

  it('says which format a newer run is and why it cannot be read', async () => {
    await writeRun('newer', { ...formatZero('newer'), formatVersion: RUN_FORMAT_VERSION + 1 })
    const file = join(study, 'runs', 'newer', 'config.json')
    await expect(getRunDetail(study, 'newer')).rejects.toThrow(`${file} is run format ${RUN_FORMAT_VERSION + 1}, written by a newer version of TCGM Lab`)
    expect((await listRuns(study)).map((r) => r.id)).not.toContain('newer')
  })

  it('names the file of a damaged config.json and what is wrong', async () => {
    await writeRun('torn', '{"id": "torn", "meth')
    await expect(readRunConfig(study, 'torn')).rejects.toThrow(`${join(study, 'runs', 'torn', 'config.json')} is damaged: not valid JSON`)
    await writeRun('badfield', { ...formatZero('badfield'), seeds: 'zero' })
    await expect(getRunDetail(study, 'badfield')).rejects.toThrow(`${join(study, 'runs', 'badfield', 'config.json')} is damaged (run format 0): field 'seeds'`)
    await writeRun('badversion', { ...formatZero('badversion'), formatVersion: 'one' })
    await expect(readRunConfig(study, 'badversion')).rejects.toThrow(/has formatVersion a string, which is not a TCGM Lab run format/)
  })
})

describe('the tables of a finished run', () => {
  it('are written into the run folder, and export copies them instead of recomputing', async () => {
    const probs = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7, 0.8, 0.2, 0.1, 0.9]
    const m = classificationMetrics(Float64Array.from(probs), truth, 2)
    const dir = await writeRun('done', formatZero('done'))
    await fsp.writeFile(
      join(dir, 'seed-0', 'result.json'),
      JSON.stringify({
        seed: 0,
        subjectIds: ids,
        classNames: ['NC', 'AD'],
        modalities: ['smri'],
        selectedEpoch: 1,
        posteriors: { modalities: [probs], aggregator: probs },
        predicted: [0, 1, 0, 1, 0, 1],
        evaluation: { test: { n: 6, modalities: [m], aggregator: m } },
        history: [],
        seconds: 1
      })
    )
    await fsp.writeFile(
      join(dir, 'status.json'),
      JSON.stringify({ status: 'done', message: null, pid: process.pid, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' })
    )
    expect(await savedRunTables(study, 'done')).toBeNull()
    await writeFinishedRunTables(study, 'done')
    const saved = (await savedRunTables(study, 'done'))!
    const predictions = await fsp.readFile(saved.predictions, 'utf8')
    const table = parseTable(saved.predictions, predictions)
    expect(table.columns.slice(0, 6)).toEqual(['participant_id', 'session_id', 'true_label', 'predicted_label', 'proba0', 'proba1'])
    expect(table.rows.map((r) => r.values.true_label)).toEqual(truth.map(String))
    expect(parseTable(saved.metrics, await fsp.readFile(saved.metrics, 'utf8')).rows.find((r) => r.values.model === 'aggregator')!.values.accuracy_mean).toBe(
      m.accuracy.toFixed(4)
    )

    // A label changed after training: the run's table still says what the run was evaluated with.
    await applyLabels(study, new Map([['A', 'AD']]), 'user')
    const out = join(root, 'export')
    const r = await exportRun(await getRunDetail(study, 'done'), out, 'study', undefined, saved)
    expect(await fsp.readFile(r.files[0]!, 'utf8')).toBe(predictions)
    expect(await fsp.readFile(r.files[1]!, 'utf8')).toBe(await fsp.readFile(saved.metrics, 'utf8'))
    // Without saved tables (a run from before they were written) export writes them from the detail.
    const fresh = await exportRun(await getRunDetail(study, 'done'), join(root, 'export-old'), 'study')
    expect(parseTable('p.tsv', await fsp.readFile(fresh.files[0]!, 'utf8')).rows[0]!.values.true_label).toBe('1')
  })
})
