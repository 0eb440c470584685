import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { appHandlers } from '../../../src-main/api/handlers/app'
import { createApiRuntime } from '../../../src-main/api/runtime'
import { handlers } from '../../../src-main/api/handlers'
import { readRecentStudies, recordRecentStudy, maxRecentStudies, recentStudiesFile } from '../../../src-main/settings/recent-studies'
import { DEFAULT_EPOCHS } from '../../../src-main/domain/training'
import { defaultTrainConfig } from '../../../src-main/domain/train-config'
import { PRESETS } from '../../../src-main/engine/model/config'

let base: string
let root: string
let outside: string

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'tcgm-app-'))
  root = join(base, 'data')
  outside = join(base, 'private')
  mkdirSync(join(root, 'sub-01', 'anat'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(root, 'sub-01', 'anat', 'T1w.nii.gz'), 'x')
  writeFileSync(join(root, 'sub-01', 'anat', 'notes.txt'), 'x')
  writeFileSync(join(root, 'sub-01', 'anat', 'PET.NII'), 'xyz')
  writeFileSync(join(root, '.hidden'), 'x')
  writeFileSync(join(outside, 'secret.nii'), 'x')
  symlinkSync(outside, join(root, 'escape'))
  symlinkSync(join(root, 'sub-01'), join(root, 'inside-link'))
})

function runtime(shell: 'browser' | 'electron' = 'browser', pickNative?: () => Promise<string | null>) {
  return createApiRuntime({
    shell,
    userDataDir: mkdtempSync(join(base, 'ud-')),
    allowedRoots: [root, join(base, 'does-not-exist')],
    validateOutputs: true,
    handlers,
    ...(pickNative ? { pickNative } : {})
  })
}

describe('app.info', () => {
  it('reports version, platform, shell and a backend with its reason', async () => {
    const out = await runtime().dispatch('app.info', {})
    expect(out.ok).toBe(true)
    if (!out.ok) return
    const info = out.result as { name: string; version: string; shell: string; platform: string; backend: { name: string; reason: string; tried: unknown[] } }
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string; productName: string }
    expect(info.name).toBe(pkg.productName)
    expect(info.version).toBe(pkg.version)
    expect(info.shell).toBe('browser')
    expect(info.platform).toBe(process.platform)
    expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(info.backend.name)
    expect(info.backend.reason.length).toBeGreaterThan(10)
    expect(info.backend.tried.length).toBeGreaterThanOrEqual(2)
  })
})

describe('files.roots / files.list', () => {
  it('offers only the roots that exist', async () => {
    // The app's data folder is always allowed (changed on purpose: it holds the demo studies).
    const rt = runtime()
    const out = await rt.dispatch('files.roots', {})
    const ud = rt.ctx.userDataDir
    expect(out).toEqual({
      ok: true,
      result: [
        { name: 'data', path: root, kind: 'dir' },
        { name: basename(ud), path: ud, kind: 'dir' }
      ]
    })
  })

  it('lists folders first, hides dotfiles, filters extensions case-insensitively, and has no parent at a root', async () => {
    const rt = runtime()
    const top = await rt.dispatch('files.list', { path: root })
    expect(top.ok && top.result).toEqual({
      path: root,
      parent: null,
      entries: [
        { name: 'inside-link', path: join(root, 'inside-link'), kind: 'dir' },
        { name: 'sub-01', path: join(root, 'sub-01'), kind: 'dir' }
      ]
    })
    const anat = join(root, 'sub-01', 'anat')
    const nifti = await rt.dispatch('files.list', { path: anat, extensions: ['.nii', 'nii.gz'] })
    expect(nifti.ok && (nifti.result as { entries: { name: string; size?: number }[] }).entries).toEqual([
      { name: 'PET.NII', path: join(anat, 'PET.NII'), kind: 'file', size: 3 },
      { name: 'T1w.nii.gz', path: join(anat, 'T1w.nii.gz'), kind: 'file', size: 1 }
    ])
    expect(nifti.ok && (nifti.result as { parent: string }).parent).toBe(join(root, 'sub-01'))
  })

  it('refuses paths outside the roots: .., symlinks that escape, relative paths', async () => {
    const rt = runtime()
    for (const path of [outside, join(root, '..'), join(root, 'escape'), join(root, 'sub-01', '..', '..', 'private'), 'data/sub-01', '/']) {
      const out = await rt.dispatch('files.list', { path })
      expect(out.ok, path).toBe(false)
      if (!out.ok) expect(out.error.message).toMatch(/outside the folders this session may use|must be an absolute path|'\.\.' segments/)
    }
  })

  it('says which path was not found or is not a folder', async () => {
    const rt = runtime()
    const missing = await rt.dispatch('files.list', { path: join(root, 'nope') })
    expect(!missing.ok && missing.error.message).toBe(`files.list: path: not found: ${join(root, 'nope')}`)
    const file = join(root, 'sub-01', 'anat', 'notes.txt')
    const notDir = await rt.dispatch('files.list', { path: file })
    expect(!notDir.ok && notDir.error.message).toBe(`${file} is not a folder`)
  })
})

describe('studies.recent', () => {
  it('is empty at first, newest first after studies are opened, one entry per folder, capped', async () => {
    const rt = runtime()
    expect(await rt.dispatch('studies.recent', {})).toEqual({ ok: true, result: [] })
    const ud = rt.ctx.userDataDir
    await recordRecentStudy(ud, { path: '/s/a', name: 'A' }, new Date('2026-01-01T00:00:00Z'))
    await recordRecentStudy(ud, { path: '/s/b', name: 'B' }, new Date('2026-01-02T00:00:00Z'))
    await recordRecentStudy(ud, { path: '/s/a', name: 'A again' }, new Date('2026-01-03T00:00:00Z'))
    const out = await rt.dispatch('studies.recent', {})
    expect(out.ok && out.result).toEqual([
      { path: '/s/a', name: 'A again', openedAt: '2026-01-03T00:00:00.000Z' },
      { path: '/s/b', name: 'B', openedAt: '2026-01-02T00:00:00.000Z' }
    ])
    for (let i = 0; i < maxRecentStudies + 5; i++) await recordRecentStudy(ud, { path: `/s/${i}`, name: `${i}` })
    const capped = await rt.dispatch('studies.recent', {})
    expect(capped.ok && (capped.result as unknown[]).length).toBe(maxRecentStudies)
  })

  it('names the file when the list is damaged', async () => {
    const rt = runtime()
    writeFileSync(recentStudiesFile(rt.ctx.userDataDir), '{"version": 1, "studies": [{"path": 3}]}')
    const out = await rt.dispatch('studies.recent', {})
    expect(!out.ok && out.error.message).toMatch(new RegExp(`recent studies list .*recent-studies\\.json is malformed at studies\\.0\\.path`))
    writeFileSync(recentStudiesFile(rt.ctx.userDataDir), '{"version": 1, ')
    const bad = await rt.dispatch('studies.recent', {})
    expect(!bad.ok && bad.error.message).toMatch(/recent-studies\.json is not valid JSON/)
  })
})

describe('dialog.pick and job.cancel', () => {
  it('uses native dialogs in Electron and says what to do instead in browser mode', async () => {
    const browser = await runtime().dispatch('dialog.pick', { mode: 'openFolder' })
    expect(!browser.ok && browser.error.message).toMatch(
      /native dialogs exist only in the desktop app; in browser mode choose files with files\.roots and files\.list/
    )
    const electron = await runtime('electron', async () => '/picked').dispatch('dialog.pick', { mode: 'openFile' })
    expect(electron).toEqual({ ok: true, result: { path: '/picked' } })
  })

  it('in Electron allows only what a dialog chose, the data folder and the recent studies', async () => {
    // As index.ts builds it: no fixed roots beyond the data folder; recent studies read at each check.
    const userDataDir = mkdtempSync(join(base, 'ud-'))
    let answer: string | null = null
    const rt = createApiRuntime({
      shell: 'electron',
      userDataDir,
      allowedRoots: [],
      moreAllowedRoots: async () => (await readRecentStudies(userDataDir)).map((s) => s.path),
      pickNative: async () => answer,
      validateOutputs: true,
      handlers
    })
    const anat = join(root, 'sub-01', 'anat')
    const before = await rt.dispatch('files.list', { path: anat })
    expect(!before.ok && before.error).toMatchObject({ code: 'forbidden', message: `files.list: path: ${anat} is outside the folders this session may use` })
    answer = join(root, 'sub-01')
    expect(await rt.dispatch('dialog.pick', { mode: 'openFolder' })).toEqual({ ok: true, result: { path: answer } })
    expect((await rt.dispatch('files.list', { path: anat })).ok).toBe(true)
    // Above the chosen folder, or a link out to elsewhere, stays refused; a link into it is allowed.
    expect((await rt.dispatch('files.list', { path: root })).ok).toBe(false)
    expect((await rt.dispatch('files.list', { path: join(root, 'escape') })).ok).toBe(false)
    expect((await rt.dispatch('files.list', { path: join(root, 'inside-link') })).ok).toBe(true)
    expect((await rt.dispatch('files.list', { path: outside })).ok).toBe(false)
    // The data folder is always allowed; a recent study is allowed again after a relaunch.
    expect((await rt.dispatch('files.list', { path: userDataDir })).ok).toBe(true)
    await recordRecentStudy(userDataDir, { path: outside, name: 'old study' })
    expect((await rt.dispatch('files.list', { path: outside })).ok).toBe(true)
  })

  it('cancels a running job and reports false for an unknown one', async () => {
    const rt = runtime()
    let seen: AbortSignal | null = null
    const id = rt.jobs.start('test', (job) => {
      seen = job.signal
      return new Promise((_ok, fail) => job.signal.addEventListener('abort', () => fail(new Error('stopped'))))
    })
    await new Promise((r) => setImmediate(r))
    expect(await rt.dispatch('job.cancel', { jobId: id })).toEqual({ ok: true, result: { cancelled: true } })
    expect(seen!.aborted).toBe(true)
    expect(await rt.dispatch('job.cancel', { jobId: 'unknown' })).toEqual({ ok: true, result: { cancelled: false } })
  })

  it('has a handler for each app request', () => {
    expect(Object.keys(appHandlers).sort()).toEqual([
      'app.info',
      'dialog.pick',
      'files.list',
      'files.roots',
      'job.cancel',
      'studies.recent',
      'training.defaults'
    ])
  })

  it('serves the training defaults the engine and the CLI use (one definition)', async () => {
    const c = await appHandlers['training.defaults']({}, {} as never)
    expect(c.defaults).toEqual({ method: 'tcgm', preset: 'tiny', seeds: 1, epochs: DEFAULT_EPOCHS })
    expect(DEFAULT_EPOCHS).toBe(30)
    const byKey = Object.fromEntries(c.hyperparameters.map((h) => [h.key, h.default]))
    expect(byKey).toEqual({
      lrLabelled: defaultTrainConfig.lrLabelled,
      lrUnlabelled: defaultTrainConfig.lrUnlabelled,
      batchSize: defaultTrainConfig.batchSize,
      warmupEpochs: null
    })
    expect(c.presets.map((p) => p.id)).toEqual(
      Object.keys(PRESETS).sort((a, b) => ['tiny', 'small', 'paper'].indexOf(a) - ['tiny', 'small', 'paper'].indexOf(b))
    )
    expect(c.selectBy.default).toBe('auto')
  })
})
