import { afterEach, describe, expect, it, vi } from 'vitest'
import { run as simulate } from '../../../src-main/cli/simulate'

afterEach(() => vi.restoreAllMocks())

async function runJson(args: string[]): Promise<{ perSeed: Record<string, unknown>[]; summaries: Record<string, unknown>[] }> {
  let out = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  })
  const code = await simulate([...args, '--json'])
  vi.restoreAllMocks()
  expect(code).toBe(0)
  return JSON.parse(out)
}

const base = [
  '--modalities',
  '3',
  '--classes',
  '3',
  '--dim',
  '6',
  '--separation',
  '2.3',
  '--n',
  '300',
  '--seeds',
  '2',
  '--epochs',
  '20',
  '--warmup-epochs',
  '8',
  '--tc-batch-size',
  '32',
  '--lr-unlabelled',
  '0.003'
]

describe('simulate command', () => {
  it('reports both methods per seed with the Bayes-optimal reference', async () => {
    const r = await runJson([...base, '--label-rate', '0.05', '--method', 'both'])
    expect(r.perSeed.map((s) => `${s.seed}:${s.method}`)).toEqual(['1:tcgm', '1:ce', '2:tcgm', '2:ce'])
    for (const s of r.perSeed) {
      expect(s.bayesAccuracy as number).toBeGreaterThan(0.8)
      expect(s.modalityAccuracy as number[]).toHaveLength(3)
    }
    expect(r.summaries.map((s) => s.method)).toEqual(['tcgm', 'ce'])
  })

  it('without labels runs TCGM as clustering next to k-means++', async () => {
    const r = await runJson([...base, '--label-rate', '0', '--method', 'both'])
    expect(r.summaries.map((s) => s.method)).toEqual(['tcgm'])
    for (const s of r.perSeed) {
      expect(s.clusteringAccuracy as number).toBeGreaterThan(0.5)
      expect(s.kmeansAccuracy as number).toBeGreaterThan(0.4)
    }
  })

  it('names a missing or bad option', async () => {
    await expect(simulate(['--modalities', '3'])).rejects.toThrow(/--label-rate is required/)
    await expect(simulate([...base, '--label-rate', '0', '--method', 'ce'])).rejects.toThrow(/CE baseline needs labels/)
  })
})
