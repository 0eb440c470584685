/** Mistakes a researcher can fix come back as bad requests with the reason, not as app failures. */
import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { handlers } from '../../../src-main/api/handlers'
import { createApiRuntime } from '../../../src-main/api/runtime'

describe('input errors', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'tcgm-input-')))
  const rt = createApiRuntime({ shell: 'browser', userDataDir: join(root, 'user'), allowedRoots: [root], validateOutputs: true, handlers })

  it('opening a folder that is not a study is a bad request naming the folder', async () => {
    const folder = join(root, 'cohort')
    mkdirSync(folder)
    const r = await rt.dispatch('study.open', { study: folder })
    expect(r).toEqual({ ok: false, error: { code: 'bad-request', message: expect.stringContaining(`${folder} is not a study folder`) } })
  })

  it('labelling a subject the study lacks is a bad request', async () => {
    const study = join(root, 'study')
    expect((await rt.dispatch('study.create', { folder: study })).ok).toBe(true)
    const r = await rt.dispatch('labels.set', { study, subject: '999_S_0001', label: 'AD' })
    expect(r).toEqual({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('subject 999_S_0001 is not in the study') } })
  })
})
