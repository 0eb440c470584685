import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../src-main/api/wire/errors'
import { createApiRuntime } from '../../../src-main/api/runtime'
import type { RequestName } from '../../../src-main/api/contract'
import { spyHandlers } from './spy-handlers'

function setup(answer?: (name: RequestName, args: unknown) => unknown, validateOutputs = true) {
  const table = spyHandlers(answer)
  const rt = createApiRuntime({
    shell: 'browser',
    userDataDir: mkdtempSync(join(tmpdir(), 'tcgm-dispatch-')),
    allowedRoots: [],
    validateOutputs,
    handlers: table
  })
  return { table, rt }
}

describe('dispatch', () => {
  it('runs the handler with the parsed argument and the context', async () => {
    const { table, rt } = setup(() => ({ cancelled: true }))
    const outcome = await rt.dispatch('job.cancel', { jobId: 'j1' })
    expect(outcome).toEqual({ ok: true, result: { cancelled: true } })
    expect(table['job.cancel']).toHaveBeenCalledWith({ jobId: 'j1' }, rt.ctx)
  })

  it('treats a missing argument of a no-argument request as {}', async () => {
    const { table, rt } = setup(() => [])
    expect(await rt.dispatch('studies.recent', undefined)).toEqual({ ok: true, result: [] })
    expect(table['studies.recent']).toHaveBeenCalledOnce()
  })

  it('refuses an unknown request by name, and a name that is not a string', async () => {
    const { rt } = setup()
    expect(await rt.dispatch('app.deleteEverything', {})).toEqual({
      ok: false,
      error: { code: 'unknown-request', message: "unknown request 'app.deleteEverything'" }
    })
    const other = await rt.dispatch(7, {})
    expect(other.ok).toBe(false)
    if (!other.ok) expect(other.error.message).toBe('unknown request a number')
    // Names inherited from Object.prototype are not requests.
    expect((await rt.dispatch('constructor', {})).ok).toBe(false)
    expect((await rt.dispatch('__proto__', {})).ok).toBe(false)
  })

  it('names the request and the bad field in invalid-argument errors', async () => {
    const { rt } = setup()
    const outcome = await rt.dispatch('files.list', { path: '' })
    expect(outcome.ok).toBe(false)
    if (!outcome.ok) {
      expect(outcome.error.code).toBe('invalid-args')
      expect(outcome.error.message).toMatch(/^invalid argument for 'files\.list': path: /)
    }
  })

  it("turns a handler's exception into a 'failed' error with its message, keeping ApiError codes", async () => {
    const { table, rt } = setup()
    table['studies.recent'].mockRejectedValueOnce(new Error('disk on fire'))
    expect(await rt.dispatch('studies.recent', {})).toEqual({ ok: false, error: { code: 'failed', message: 'disk on fire' } })
    table['studies.recent'].mockRejectedValueOnce(new ApiError('forbidden', 'not yours'))
    expect(await rt.dispatch('studies.recent', {})).toEqual({ ok: false, error: { code: 'forbidden', message: 'not yours' } })
  })

  it('catches a result that breaks the contract when validating outputs, and passes it when not', async () => {
    const wrong = () => ({ cancelled: 'yes' })
    const checked = await setup(wrong, true).rt.dispatch('job.cancel', { jobId: 'j' })
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.error.message).toMatch(/handler of 'job\.cancel' returned a result that breaks the contract: cancelled: /)
    expect(await setup(wrong, false).rt.dispatch('job.cancel', { jobId: 'j' })).toEqual({ ok: true, result: { cancelled: 'yes' } })
  })

  it('reports a request with no handler in this build instead of crashing', async () => {
    const { table, rt } = setup()
    delete (table as Partial<typeof table>)['files.roots']
    const outcome = await rt.dispatch('files.roots', {})
    expect(outcome).toEqual({ ok: false, error: { code: 'failed', message: "'files.roots' is in the contract but this build has no handler for it" } })
  })
})

describe('events', () => {
  it('delivers to every subscriber and validates payloads', () => {
    const { rt } = setup()
    const seen: unknown[] = []
    const off = rt.hub.subscribe((name, payload) => seen.push([name, payload]))
    rt.hub.emit('menu.command', { command: 'about' })
    expect(seen).toEqual([['menu.command', { command: 'about' }]])
    expect(() => rt.hub.emit('menu.command', { command: 'format-disk' as 'about' })).toThrow(/payload of 'menu\.command' breaks the contract: command:/)
    off()
    rt.hub.emit('menu.command', { command: 'export' })
    expect(seen).toHaveLength(1)
  })

  it('keeps delivering when one subscriber throws', () => {
    const { rt } = setup()
    const seen: string[] = []
    rt.hub.subscribe(() => {
      throw new Error('socket gone')
    })
    rt.hub.subscribe((name) => seen.push(name))
    rt.hub.emit('menu.command', { command: 'newStudy' })
    expect(seen).toEqual(['menu.command'])
  })
})
