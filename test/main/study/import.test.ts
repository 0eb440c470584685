import { spawn } from 'node:child_process'
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoResult, generateDemoCohort } from '../../../src-main/demo/cohort'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { readCacheCrops } from '../../../src-main/study/cache'
import { planImport } from '../../../src-main/study/import'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor } from '../../../src-main/study/import/preprocess'
import { STUDY_JSON, createStudy, loadStudy, makeStudySplits, simulateLabelRate } from '../../../src-main/study/study'
import { loadStudyTrainingData } from '../../../src-main/runs/kinds/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-import-'))
let demo: DemoResult
beforeAll(async () => {
  demo = await generateDemoCohort(join(root, 'cohort'), { subjects: 12, seed: 11, missingPet: 0.25 })
}, 120_000)
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

describe('import', () => {
  it('previews the ADNI layout without writing anything', async () => {
    const plan = await planImport(demo.out, undefined, { visit: 'bl' })
    expect(plan.layout).toBe('adni')
    expect(plan.subjects).toHaveLength(12)
    expect(plan.series.map((s) => [s.modality, s.reason])).toEqual(
      expect.arrayContaining([
        ['smri', 'collection CSV: Modality MRI'],
        ['pet', 'collection CSV: Modality PET']
      ])
    )
    const missing = demo.subjects.filter((s) => !s.pet).map((s) => s.ptid)
    expect(missing.length).toBeGreaterThan(0)
    for (const id of missing) expect(plan.subjects.find((s) => s.id === id)!.pet).toBeNull()
    expect(plan.problems.filter((p) => p.severity === 'error')).toEqual([])
  })

  it('a cancelled import returns only after the scans still in flight have finished writing', async () => {
    const study = join(root, 'study-cancel-in-flight')
    await createStudy(study)
    const controller = new AbortController()
    let calls = 0
    let slowFinished = false
    // Lane 1's scan finishes (and its crops are written) 150 ms after lane 2's scan cancels the import.
    const preprocessor: typeof imagingPreprocessor = {
      settingsHash: (m, st) => imagingPreprocessor.settingsHash(m, st),
      run: async (file, modality, settings, opts) => {
        const mine = ++calls
        if (mine === 2) {
          controller.abort(new Error('import cancelled by the test'))
          throw controller.signal.reason
        }
        const r = await imagingPreprocessor.run(file, modality, settings, { suv: opts.suv })
        if (mine === 1) await new Promise((ok) => setTimeout(ok, 150))
        slowFinished = true
        return r
      }
    }
    await expect(runImport(study, preprocessor, { source: demo.out, concurrency: 2, signal: controller.signal })).rejects.toThrow(
      'import cancelled by the test'
    )
    expect(slowFinished).toBe(true)
    const written = (await fsp.readdir(join(study, 'cache'))).filter((f) => !f.startsWith('.'))
    const settledAt = written.length
    await new Promise((ok) => setTimeout(ok, 300))
    expect((await fsp.readdir(join(study, 'cache'))).filter((f) => !f.startsWith('.'))).toHaveLength(settledAt)
    expect((await loadStudy(study)).file.subjects).toEqual([])
  })

  it('imports, labels from the Group column, caches crops; re-import changes nothing', async () => {
    const study = join(root, 'study')
    await createStudy(study)
    const r = await runImport(study, imagingPreprocessor, { source: demo.out })
    const scans = demo.subjects.filter((s) => s.smri).length + demo.subjects.filter((s) => s.pet).length
    expect(r).toMatchObject({ added: 12, updated: 0, preprocessed: scans, fromCache: 0, labelled: 12 })
    const s = await loadStudy(study)
    expect(s.file.subjects.filter((x) => x.scans.pet).length).toBe(demo.subjects.filter((x) => x.pet).length)
    for (const d of demo.subjects) expect(s.labels.get(d.ptid)).toBe(d.y ? 'AD' : 'NC')
    const subj = s.file.subjects[0]!
    const crops = await readCacheCrops(study, subj.scans.smri!.cacheKey!)
    expect(crops.channels).toBe(2)
    expect(crops.data.length).toBe(2 * crops.dims[0] * crops.dims[1] * crops.dims[2])
    expect(subj.scans.smri!.stats!.hippocampalGmMl).toBeGreaterThan(0)

    const bytes = await fsp.readFile(join(study, STUDY_JSON), 'utf8')
    const again = await runImport(study, imagingPreprocessor, { source: demo.out })
    expect(again).toMatchObject({ added: 0, updated: 0, unchanged: 12, preprocessed: 0 })
    expect(await fsp.readFile(join(study, STUDY_JSON), 'utf8')).toBe(bytes)

    // What the training worker gets: visible labels only, evaluation labels apart, missing PET marked.
    await expect(loadStudyTrainingData({ study, preset: 'tiny', seed: 0 })).rejects.toThrow(/no train\/validation\/test split/)
    await simulateLabelRate(study, 0.25, 1)
    await makeStudySplits(study, 1)
    const t = await loadStudyTrainingData({ study, preset: 'tiny', seed: 0 })
    expect(t.modalities).toEqual(['smri', 'pet'])
    expect(t.data.labels.filter((l) => l !== null).length).toBe(3)
    expect(t.data.trueLabels).toEqual(t.subjectIds.map((id) => demo.subjects.find((d) => d.ptid === id)!.y))
    t.subjectIds.forEach((id, i) => expect(t.data.available[i]).toEqual([true, demo.subjects.find((d) => d.ptid === id)!.pet !== null]))
    expect(t.crops[1]!.samples).toHaveLength(12)
    expect(new Set(t.data.split)).toEqual(new Set(['train', 'val', 'test']))
  })

  it('kill -9 during an import: the study reopens intact and the next import reuses finished crops', async () => {
    const study = join(root, 'study-killed')
    await createStudy(study)
    const before = await fsp.readFile(join(study, STUDY_JSON), 'utf8')
    const cli = resolve(__dirname, '../../../src-main/cli.ts')
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'import', demo.out, '--study', study], { stdio: 'ignore' })
    const cache = join(study, 'cache')
    for (;;) {
      const done = (await fsp.readdir(cache).catch(() => [] as string[])).filter((n) => !n.startsWith('.'))
      if (done.length >= 3) break
      await new Promise((r) => setTimeout(r, 20))
    }
    child.kill('SIGKILL')
    await new Promise((r) => child.on('exit', r))
    expect(await fsp.readFile(join(study, STUDY_JSON), 'utf8')).toBe(before)
    expect((await loadStudy(study)).file.subjects).toEqual([])
    const r = await runImport(study, imagingPreprocessor, { source: demo.out })
    expect(r.added).toBe(12)
    expect(r.fromCache).toBeGreaterThanOrEqual(3)
    expect((await fsp.readdir(cache)).filter((n) => n.endsWith('.partial'))).toEqual([])
  })

  it('bad scans are reported by file and skipped; the rest is imported', async () => {
    const src = join(root, 'bad-manifest')
    await fsp.mkdir(src)
    const good = demo.subjects.find((s) => s.pet)!
    await fsp.writeFile(join(src, 'broken.nii.gz'), Buffer.from('not a nifti at all'))
    // A scan that is not on an MNI grid (far-off origin, 1 mm voxels).
    await writeNifti(join(src, 'native.nii'), {
      dims: [20, 20, 20],
      spacing: [1, 1, 1],
      affine: [
        [1, 0, 0, 300],
        [0, 1, 0, 300],
        [0, 0, 1, 300],
        [0, 0, 0, 1]
      ],
      data: new Float32Array(8000).fill(0.5)
    })
    const manifest = [
      'participant_id,smri,pet',
      `${good.ptid},"${good.smri}","${good.pet}"`,
      'BAD1,broken.nii.gz,',
      'BAD2,native.nii,',
      `DUP,"${good.smri}",`,
      `DUP,"${good.smri}",`
    ].join('\n')
    await fsp.writeFile(join(src, 'manifest.csv'), manifest + '\n')
    const study = join(root, 'study-bad')
    await createStudy(study)
    const r = await runImport(study, imagingPreprocessor, { source: join(src, 'manifest.csv') })
    expect(r.added).toBe(1)
    const messages = r.problems.map((p) => `${p.file}: ${p.message}`).join('\n')
    expect(messages).toMatch(/broken\.nii\.gz: BAD1 sMRI skipped: .*/)
    expect(messages).toMatch(/native\.nii: BAD2 sMRI skipped: .*MNI/)
    expect(messages).toMatch(/participant_id DUP appears 2 times \(lines 5, 6\)/)
  })

  it('plans a BIDS folder: ids mapped to PTIDs, grey-matter derivatives preferred, SUV from the sidecar', async () => {
    const bids = join(root, 'bids')
    const [a, b] = demo.subjects.filter((x) => x.pet)
    const put = async (rel: string, from: string) => {
      await fsp.mkdir(join(bids, rel, '..'), { recursive: true })
      await fsp.copyFile(from, join(bids, rel))
    }
    const bidsId = (ptid: string) => `sub-ADNI${ptid.replace(/_S_/, 'S')}`
    await put(`${bidsId(a!.ptid)}/ses-M00/anat/${bidsId(a!.ptid)}_ses-M00_T1w.nii.gz`, a!.smri!)
    await put(`derivatives/dartel/${bidsId(a!.ptid)}/ses-M00/anat/${bidsId(a!.ptid)}_ses-M00_label-GM_probseg.nii.gz`, a!.smri!)
    await put(`${bidsId(a!.ptid)}/ses-M00/pet/${bidsId(a!.ptid)}_ses-M00_pet.nii.gz`, a!.pet!)
    await fsp.writeFile(
      join(bids, bidsId(a!.ptid), 'ses-M00', 'pet', `${bidsId(a!.ptid)}_ses-M00_pet.json`),
      JSON.stringify({ InjectedRadioactivity: 185, InjectedRadioactivityUnits: 'MBq', BodyWeight: 70 })
    )
    await put(`${bidsId(b!.ptid)}/ses-M12/pet/${bidsId(b!.ptid)}_ses-M12_pet.nii.gz`, b!.pet!)
    await fsp.writeFile(join(bids, 'participants.tsv'), `participant_id\tsex\tage\tdiagnosis\n${bidsId(a!.ptid)}\tF\t71\tAD\n`)
    const plan = await planImport(bids, undefined, { visit: 'bl' })
    expect(plan.layout).toBe('bids')
    expect(plan.visits).toEqual(['bl', 'm12'])
    expect(plan.subjects.map((x) => x.id)).toEqual([a!.ptid]) // b has no baseline scan
    const s = plan.subjects[0]!
    expect(s.smri!.path).toContain('derivatives/dartel')
    expect(s.pet!.suv).toEqual({ injectedDoseMBq: 185, bodyWeightKg: 70 })
    expect(s).toMatchObject({ group: 'AD', sex: 'F', age: 71 })
    expect(plan.problems.map((p) => p.message).join()).toMatch(/has no scan at visit bl \(sessions: m12\)/)
    const m12 = await planImport(bids, 'bids', { visit: 'm12' })
    expect(m12.subjects.map((x) => [x.id, Boolean(x.smri), Boolean(x.pet)])).toEqual([[b!.ptid, false, true]])
  })

  it('ADNIMERGE given to the import labels the new subjects by DX at the visit', async () => {
    const d = demo.subjects[0]!
    const src = join(root, 'merge')
    await fsp.mkdir(src)
    await fsp.writeFile(join(src, 'm.csv'), `participant_id,smri,label\n${d.ptid},"${d.smri}",${d.y ? 'AD' : 'CN'}\n`)
    const flipped = d.y ? 'CN' : 'Dementia'
    await fsp.writeFile(join(src, 'ADNIMERGE.csv'), `PTID,VISCODE,DX_bl,DX\n${d.ptid},bl,${flipped},${flipped}\n`)
    const study = join(root, 'study-merge')
    await createStudy(study)
    const r = await runImport(study, imagingPreprocessor, { source: join(src, 'm.csv'), adnimerge: join(src, 'ADNIMERGE.csv') })
    expect(r.added).toBe(1)
    const s = await loadStudy(study)
    expect(s.labels.get(d.ptid)).toBe(d.y ? 'NC' : 'AD')
    // Changed on purpose: the import labels in one step, so ADNIMERGE's label is the one event
    // (before, the manifest's label was logged and then overwritten).
    expect(s.events.map((e) => e.source)).toEqual([`import:${join(src, 'ADNIMERGE.csv')}`])
  })

  it('a folder with no scans says so and creates nothing', async () => {
    const empty = join(root, 'empty')
    await fsp.mkdir(join(empty, 'ADNI', '002_S_0001', 'MPRAGE', '2006-01-01_10_00_00.0', 'I1'), { recursive: true })
    const study = join(root, 'study-empty')
    await createStudy(study)
    const before = await fsp.readFile(join(study, STUDY_JSON), 'utf8')
    await expect(runImport(study, imagingPreprocessor, { source: empty })).rejects.toThrow(/no scans \(.nii, .nii.gz or DICOM series\) found/)
    const nothing = join(root, 'nothing')
    await fsp.mkdir(nothing)
    await expect(runImport(study, imagingPreprocessor, { source: nothing })).rejects.toThrow(/no scans found in a known layout/)
    expect(await fsp.readFile(join(study, STUDY_JSON), 'utf8')).toBe(before)
  })
})
