import { promises as fsp, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoResult, generateDemoCohort } from '../../../src-main/demo/cohort'
import { type WorkerChannel, startWorker } from '../../../src-main/process/fork'
import { readCacheCrops } from '../../../src-main/study/cache'
import { runImport } from '../../../src-main/study/import/run'
import { imagingPreprocessor } from '../../../src-main/study/import/preprocess'
import { createPreprocessPool, importPreprocessor, parallelImport } from '../../../src-main/study/import/preprocess-pool'
import type { FromPreprocessWorker, PreprocessRequest } from '../../../src-main/study/import/preprocess-protocol'
import { STUDY_JSON, createStudy, loadStudy } from '../../../src-main/study/study'

const root = mkdtempSync(join(tmpdir(), 'tcgm-pool-'))
let demo: DemoResult
beforeAll(async () => {
  demo = await generateDemoCohort(join(root, 'cohort'), { subjects: 8, seed: 11, missingPet: 0.25 })
}, 120_000)
afterAll(() => fsp.rm(root, { recursive: true, force: true }))

/** One request as a worker saw it: ticks of one event counter (order only, no clock). */
interface Interval {
  pid: number
  file: string
  sent: number
  replied?: number
}

/** Real preprocess workers, with every request and reply recorded; `onSend` may act on a request. */
function recordingWorkers(onSend?: (req: PreprocessRequest, channel: WorkerChannel) => void) {
  let tick = 0
  const channels: WorkerChannel[] = []
  const intervals: Interval[] = []
  const start = (): WorkerChannel => {
    const ch = startWorker('preprocess-worker')
    channels.push(ch)
    const open = new Map<number, Interval>()
    return {
      send(m) {
        const req = m as PreprocessRequest
        const iv: Interval = { pid: ch.pid!, file: req.file, sent: tick++ }
        open.set(req.id, iv)
        intervals.push(iv)
        ch.send(m)
        onSend?.(req, ch)
      },
      onMessage(listener) {
        ch.onMessage((m) => {
          const msg = m as FromPreprocessWorker
          if (msg.type === 'result' && open.has(msg.id)) open.get(msg.id)!.replied = tick++
          listener(m)
        })
      },
      onExit: (l) => ch.onExit(l),
      kill: () => ch.kill(),
      get pid() {
        return ch.pid
      }
    }
  }
  return { start, channels, intervals }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('preprocess pool', () => {
  it('gives the same study and bit-identical crops as in-process, two scans at a time in two workers, and closes them at the end', async () => {
    const inProcess = join(root, 'study-in-process')
    const pooled = join(root, 'study-pooled')
    await createStudy(inProcess)
    await createStudy(pooled)
    const a = await runImport(inProcess, imagingPreprocessor, { source: demo.out })
    const workers = recordingWorkers()
    const b = await runImport(pooled, createPreprocessPool({ size: 2, start: workers.start }), { source: demo.out, concurrency: 2 })
    expect(b).toEqual(a)

    const sa = await loadStudy(inProcess)
    const sb = await loadStudy(pooled)
    expect(sb.file.subjects).toEqual(sa.file.subjects)
    let compared = 0
    for (const subj of sa.file.subjects) {
      for (const scan of Object.values(subj.scans)) {
        const ca = await readCacheCrops(inProcess, scan!.cacheKey!)
        const cb = await readCacheCrops(pooled, scan!.cacheKey!)
        expect(cb.dims).toEqual(ca.dims)
        expect(
          Buffer.from(cb.data.buffer, cb.data.byteOffset, cb.data.byteLength).equals(Buffer.from(ca.data.buffer, ca.data.byteOffset, ca.data.byteLength))
        ).toBe(true)
        compared++
      }
    }
    expect(compared).toBe(a.preprocessed)

    // Two workers, each with its own scans, and at least once both busy at the same time.
    expect(workers.channels).toHaveLength(2)
    const pids = new Set(workers.intervals.map((i) => i.pid))
    expect(pids.size).toBe(2)
    expect(workers.intervals).toHaveLength(a.preprocessed)
    const overlap = workers.intervals.some((x) => workers.intervals.some((y) => x.pid !== y.pid && x.sent < y.replied! && y.sent < x.replied!))
    expect(overlap).toBe(true)
    // The import closed the pool: no worker is left running.
    for (const ch of workers.channels) expect(alive(ch.pid!)).toBe(false)
  })

  it('a worker that dies and a bad file are problems naming the file; the pool replaces the worker and the rest is imported', async () => {
    const src = join(root, 'crash-manifest')
    await fsp.mkdir(src)
    const crashing = join(src, 'crashing.nii.gz')
    const [first, ...rest] = demo.subjects.filter((s) => s.smri)
    await fsp.copyFile(first!.smri!, crashing)
    await fsp.writeFile(join(src, 'broken.nii.gz'), Buffer.from('not a nifti at all'))
    const good = rest.slice(0, 3)
    const manifest = ['participant_id,smri', `000_CRASH,"${crashing}"`, 'BAD1,broken.nii.gz', ...good.map((s) => `${s.ptid},"${s.smri}"`)].join('\n')
    await fsp.writeFile(join(src, 'manifest.csv'), manifest + '\n')
    // The worker given the crashing scan is killed (SIGKILL) as soon as it has it.
    let killed: number | undefined
    const workers = recordingWorkers((req, ch) => {
      if (req.file !== crashing) return
      killed = ch.pid
      ch.kill()
    })
    const study = join(root, 'study-crash')
    await createStudy(study)
    // One worker, so that the scans after the crash (first by id) need the replacement.
    const r = await runImport(study, createPreprocessPool({ size: 1, start: workers.start }), { source: join(src, 'manifest.csv'), concurrency: 2 })
    expect(r.added).toBe(good.length)
    expect((await loadStudy(study)).file.subjects.map((s) => s.id)).toEqual(good.map((s) => s.ptid).sort())
    const messages = r.problems.map((p) => `${p.file}: ${p.message}`).join('\n')
    expect(messages).toContain(`${crashing}: 000_CRASH sMRI skipped: preprocess worker (pid ${killed}) died (SIGKILL) while preprocessing ${crashing}`)
    expect(messages).toMatch(/broken\.nii\.gz: BAD1 sMRI skipped: .*broken\.nii\.gz/)
    expect(workers.channels.length).toBe(2) // the dead worker was replaced, once
    for (const ch of workers.channels) expect(alive(ch.pid!)).toBe(false)
  })

  it('abort rejects the scans in flight, kills the workers and leaves study.json untouched', async () => {
    const study = join(root, 'study-abort')
    await createStudy(study)
    const before = await fsp.readFile(join(study, STUDY_JSON), 'utf8')
    const controller = new AbortController()
    // Cancel as soon as two scans are in flight, one in each worker.
    const workers = recordingWorkers(() => {
      if (workers.intervals.length === 2) setImmediate(() => controller.abort())
    })
    const scans = demo.subjects.filter((s) => s.smri).length + demo.subjects.filter((s) => s.pet).length
    await expect(
      runImport(study, createPreprocessPool({ size: 2, start: workers.start }), { source: demo.out, concurrency: 2, signal: controller.signal })
    ).rejects.toThrow(/cancel|abort/i)
    expect(workers.intervals.length).toBeLessThan(scans)
    for (const ch of workers.channels) expect(alive(ch.pid!)).toBe(false)
    expect(await fsp.readFile(join(study, STUDY_JSON), 'utf8')).toBe(before)
    expect((await loadStudy(study)).file.subjects).toEqual([])
  })

  it('a worker that cannot start fails only the scan that asked for it, naming the file', async () => {
    let started = 0
    const exits: Array<(code: number | null, signal: string | null) => void> = []
    const pool = createPreprocessPool({
      size: 1,
      start: () => {
        started++
        return { send: () => undefined, onMessage: () => undefined, onExit: (l) => exits.push(l), kill: () => undefined, pid: 1000 + started }
      }
    })
    const settings = (await createStudy(join(root, 'study-fake'))).file.settings
    const a = pool.run('/data/a.nii.gz', 'smri', settings, { suv: null })
    const b = pool.run('/data/b.nii.gz', 'smri', settings, { suv: null })
    exits.shift()!(1, null)
    await expect(a).rejects.toThrow('preprocess worker exited before it was ready (code 1); /data/a.nii.gz was not preprocessed')
    expect(started).toBe(2) // b asked for the next one
    const controller = new AbortController()
    const c = pool.run('/data/c.nii.gz', 'smri', settings, { suv: null, signal: controller.signal })
    controller.abort(new Error('import cancelled'))
    await expect(c).rejects.toThrow('import cancelled') // queued: rejected at once, no worker needed
    const closing = pool.close()
    await expect(b).rejects.toThrow('preprocess pool closed before /data/b.nii.gz was preprocessed')
    exits.shift()!(null, 'SIGKILL')
    await closing
  })

  it('concurrency 1 stays in this process; a pool refuses a size below 1', () => {
    expect(importPreprocessor(1)).toBe(imagingPreprocessor)
    expect(parallelImport(1)).toEqual({ preprocessor: imagingPreprocessor, concurrency: 2 })
    expect(() => createPreprocessPool({ size: 0 })).toThrow(/size must be a whole number >= 1, got 0/)
  })
})
