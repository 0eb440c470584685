/**
 * Every request of the contract refuses arguments that break its schema, before any handler
 * runs. The bad arguments are generated from the schemas, so a request added later is covered
 * without writing a test for it.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { requests, type RequestName } from '../../../src-main/api/contract'
import { createApiRuntime } from '../../../src-main/api/runtime'
import { calledAny, spyHandlers } from './spy-handlers'

const names = Object.keys(requests) as RequestName[]

function runtime() {
  const table = spyHandlers()
  const rt = createApiRuntime({
    shell: 'browser',
    userDataDir: mkdtempSync(join(tmpdir(), 'tcgm-contract-')),
    allowedRoots: [],
    validateOutputs: false,
    handlers: table
  })
  return { table, dispatch: rt.dispatch }
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : null
}

function isStrict(schema: z.ZodType): boolean {
  if (!(schema instanceof z.ZodObject)) return false
  const catchall = (schema.def as { catchall?: z.ZodType }).catchall
  return catchall !== undefined && (catchall.def as { type: string }).type === 'never'
}

/** A value the field's schema refuses, or null when it accepts all the candidates. */
function wrongValueFor(field: z.ZodType): unknown {
  for (const candidate of [{ $wrong: true }, 12345, 'not-what-is-wanted', [7], true]) {
    if (!field.safeParse(candidate).success) return candidate
  }
  return null
}

describe('contract validation', () => {
  it('has requests from every domain', () => {
    expect(names.length).toBeGreaterThan(5)
  })

  it.each(names)("'%s' takes a strict object argument (unknown keys are refused)", (name) => {
    expect(isStrict(requests[name].args), `${name}: use z.object({...}).strict() for its argument`).toBe(true)
  })

  it.each(names)("'%s' refuses arguments of the wrong type, running nothing", async (name) => {
    const { table, dispatch } = runtime()
    for (const bad of [42, 'text', [1, 2], null, true]) {
      const outcome = await dispatch(name, bad)
      expect(outcome.ok, `${name} accepted ${JSON.stringify(bad)}`).toBe(false)
      if (!outcome.ok) {
        expect(outcome.error.code).toBe('invalid-args')
        expect(outcome.error.message).toContain(`'${name}'`)
      }
    }
    expect(calledAny(table)).toBe(false)
  })

  it.each(names)("'%s' refuses an unknown extra key, naming it", async (name) => {
    const { table, dispatch } = runtime()
    const outcome = await dispatch(name, { __unexpected__: 1 })
    expect(outcome.ok).toBe(false)
    if (!outcome.ok) {
      expect(outcome.error.code).toBe('invalid-args')
      // Missing required fields may be listed too; the stray key must be among the issues.
      expect(outcome.error.message).toMatch(/__unexpected__|\band \d+ more\b/)
    }
    expect(calledAny(table)).toBe(false)
  })

  it.each(names)("'%s' refuses a wrong value in each of its fields, naming the field", async (name) => {
    const { table, dispatch } = runtime()
    const shape = objectShape(requests[name].args) ?? {}
    for (const [key, field] of Object.entries(shape)) {
      const wrong = wrongValueFor(field)
      if (wrong === null) continue // the field accepts anything (z.unknown())
      const outcome = await dispatch(name, { [key]: wrong })
      expect(outcome.ok, `${name}.${key} accepted ${JSON.stringify(wrong)}`).toBe(false)
      if (!outcome.ok) {
        expect(outcome.error.code).toBe('invalid-args')
        expect(outcome.error.message).toContain(key)
      }
    }
    expect(calledAny(table)).toBe(false)
  })
})
