/**
 * The import preview says why a scan would be skipped (issue 15, item 6): a file that is not a
 * NIfTI is marked on its subject at preview (a scan outside MNI space is registered, not marked), with the reason and
 * what to do, and the import then skips exactly those, naming each file.
 */
import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemoCohort, type DemoResult } from '../../../src-main/demo/cohort'
import { writeNifti } from '../../../src-main/readers/nifti/write'
import { handlers } from '../../../src-main/api/handlers'
import { createApiRuntime } from '../../../src-main/api/runtime'
import { ImportPreview } from '../../../src-main/api/contracts/study'
import { createStudy } from '../../../src-main/study/study'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor } from '../../../src-main/study/import/preprocess'

const root = mkdtempSync(join(tmpdir(), 'tcgm-preview-'))
let demo: DemoResult
let manifest = ''
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

beforeAll(async () => {
  demo = await generateDemoCohort(join(root, 'cohort'), { subjects: 4, seed: 5, missingPet: 0 })
  const src = join(root, 'src')
  await fsp.mkdir(src)
  const good = demo.subjects[0]!
  await fsp.writeFile(join(src, 'broken.nii.gz'), Buffer.from('not a nifti at all'))
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
  manifest = join(src, 'manifest.csv')
  await fsp.writeFile(
    manifest,
    ['participant_id,smri,pet', `${good.ptid},"${good.smri}","${good.pet}"`, 'BAD1,broken.nii.gz,', 'BAD2,native.nii,'].join('\n') + '\n'
  )
}, 120_000)

describe('import preview', () => {
  it('marks the scans the import would skip, with the reason and what to do; the good subject passes', async () => {
    const api = createApiRuntime({ shell: 'browser', userDataDir: join(root, 'user'), allowedRoots: [root], validateOutputs: true, handlers })
    const r = await api.dispatch('import.preview', { source: manifest })
    if (!r.ok) throw new Error(r.error.message)
    const p = ImportPreview.parse(r.result)
    const by = new Map(p.subjects.map((s) => [s.id, s]))
    expect(by.get(demo.subjects[0]!.ptid)).toMatchObject({ smriProblem: null, petProblem: null })
    expect(by.get('BAD1')!.smriProblem).toMatch(/What to do: export the scan again as NIfTI/)
    // A scan outside MNI space is not a problem any more: the preview says it will be registered.
    expect(by.get('BAD2')!.smriProblem).toBeNull()
    expect(p.inputs).toContainEqual(expect.objectContaining({ modality: 'smri', kind: 't1-weighted', space: 'native', scans: 1 }))
    const messages = p.problems.map((x) => `${x.file}: ${x.message}`)
    expect(messages.some((m) => /broken\.nii\.gz: BAD1 sMRI will be skipped/.test(m))).toBe(true)

    // The import skips exactly these, and its message no longer points to a setting the window lacks.
    const study = join(root, 'study')
    await createStudy(study)
    const done = await runImport(study, imagingPreprocessor, { source: manifest })
    expect(done.added).toBe(1)
    const skipped = done.problems
      .filter((x) => x.severity === 'error')
      .map((x) => x.message)
      .join('\n')
    expect(skipped).toMatch(/BAD1 sMRI skipped/)
    // This one is a constant image: there is nothing to register, and the import says so.
    expect(skipped).toMatch(/BAD2 sMRI skipped: .*registration to MNI failed: cannot register an image without structure/)
    expect(skipped).not.toMatch(/in the settings/)
  }, 120_000)
})
