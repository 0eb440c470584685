/** The architecture's import rules (ARCHITECTURE.md) fail on a violation and pass on the tree. */
import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../../..')
const eslint = new ESLint({ cwd: root })

async function problems(code: string, file: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: resolve(root, file) })
  return r!.messages.filter((m) => m.ruleId === 'architecture/layers' || m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message)
}

describe('import boundaries', () => {
  it('refuses the science importing the API layer, whatever the spelling', async () => {
    expect(await problems("import { requests } from '../api/contract'\nexport const n = requests\n", 'src-main/study/planted.ts')).toEqual([
      expect.stringContaining("study/ may not import api/ ('../api/contract')")
    ])
    expect(await problems("import { handlers } from '../../api/handlers'\nexport const h = handlers\n", 'src-main/engine/train/planted.ts')).toHaveLength(1)
  })

  it('refuses electron outside the shell and the engine importing studies', async () => {
    expect(await problems("import { app } from 'electron'\nexport const a = app\n", 'src-main/runs/planted.ts')).toEqual([
      expect.stringContaining("may import 'electron'")
    ])
    expect(await problems("import { loadStudy } from '../../study/study'\nexport const l = loadStudy\n", 'src-main/engine/model/planted.ts')).toEqual([
      expect.stringContaining('engine/ may not import study/')
    ])
  })

  it('lets the renderer take the contract as types only, except the wire', async () => {
    expect(await problems("import { requests } from '@contract/contract'\nexport const r = requests\n", 'src-renderer/src/stores/planted.ts')).toHaveLength(1)
    expect(
      await problems("import type { RunSummary } from '@contract/contracts/study'\nexport type R = RunSummary\n", 'src-renderer/src/stores/planted.ts')
    ).toEqual([])
    expect(await problems("import { ApiError } from '@contract/wire/errors'\nexport const E = ApiError\n", 'src-renderer/src/stores/planted.ts')).toEqual([])
  })

  it('allows what the architecture allows', async () => {
    expect(await problems("import { loadStudy } from '../study/study'\nexport const l = loadStudy\n", 'src-main/runs/planted.ts')).toEqual([])
    expect(await problems("import { MODALITIES } from '../domain/modality'\nexport const m = MODALITIES\n", 'src-main/study/planted.ts')).toEqual([])
  })
})
