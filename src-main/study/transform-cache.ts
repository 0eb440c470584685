/**
 * cache/transforms/<key>/ of a study: one registration of one scan, as elastix transform
 * parameter files (TransformParameters.<n>.txt, each chaining to the one before, what elastix's
 * transformix and ITK-based tools read) and registration.json (the same maps, the RAS affine when
 * linear, what was registered to what). The key (preprocessing/normalise.ts transformKey) hashes
 * the source file's identity and the settings, so a second import or a re-run registers nothing.
 * registration.json is written last: an entry without it is incomplete and ignored.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import type { TransformStore } from '../preprocessing/normalise'
import { type Registration, elastixTransformText } from '../preprocessing/registration'
import { CACHE_DIR } from './cache'
import { ensureDir, writeFileAtomic } from '../files/atomic'

export const TRANSFORMS_DIR = 'transforms'

const Stored = z.object({
  source: z.string(),
  what: z.string(),
  createdAt: z.string(),
  step: z.string(),
  worldFromMni: z.array(z.array(z.number())).nullable(),
  maps: z.array(z.record(z.string(), z.array(z.string()))).min(1)
})

export function transformDir(studyDir: string, key: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(key)) throw new Error(`transform cache: bad key '${key}'`)
  return join(studyDir, CACHE_DIR, TRANSFORMS_DIR, key)
}

export function studyTransformStore(studyDir: string): TransformStore {
  return {
    async load(key) {
      const text = await fsp.readFile(join(transformDir(studyDir, key), 'registration.json'), 'utf8').catch(() => null)
      if (text === null) return null
      const parsed = Stored.safeParse(
        (() => {
          try {
            return JSON.parse(text)
          } catch {
            return null
          }
        })()
      )
      // A damaged entry is registered again (and overwritten), never trusted.
      if (!parsed.success) return null
      return { maps: parsed.data.maps, worldFromMni: parsed.data.worldFromMni, step: parsed.data.step }
    },
    async save(key, reg: Registration, about) {
      const dir = transformDir(studyDir, key)
      await ensureDir(dir, 'study folder')
      for (const [n, map] of reg.maps.entries()) {
        await writeFileAtomic(
          join(dir, `TransformParameters.${n}.txt`),
          elastixTransformText(map, n === 0 ? 'NoInitialTransform' : join(dir, `TransformParameters.${n - 1}.txt`)),
          'study folder'
        )
      }
      const stored: z.infer<typeof Stored> = { ...about, createdAt: new Date().toISOString(), step: reg.step, worldFromMni: reg.worldFromMni, maps: reg.maps }
      await writeFileAtomic(join(dir, 'registration.json'), JSON.stringify(stored, null, 1), 'study folder')
    }
  }
}
