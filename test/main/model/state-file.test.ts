import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeModelState, encodeModelState, loadModelState, saveModelState } from '../../../src-main/engine/model/state-file'
import type { ModelState } from '../../../src-main/engine/train/modality-model'

const state: ModelState = {
  tensors: {
    'weights/a': { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 1e-7]) },
    'adam.m/a': { shape: [1], data: Float32Array.from([Math.PI]) },
    empty: { shape: [0], data: new Float32Array(0) }
  },
  meta: { format: 'x', config: { blocks: [2, 2] }, rngState: 123456789 }
}

describe('model state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcgm-statefile-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('round-trips tensors and meta exactly, atomically', () => {
    const file = join(dir, 'm.tcgmstate')
    saveModelState(file, state)
    const back = loadModelState(file)
    expect(back.meta).toEqual(state.meta)
    expect(Object.keys(back.tensors)).toEqual(Object.keys(state.tensors))
    for (const [name, t] of Object.entries(state.tensors)) {
      expect(back.tensors[name].shape).toEqual(t.shape)
      expect(Array.from(back.tensors[name].data)).toEqual(Array.from(t.data))
    }
  })

  it('names the file and the problem for bad input', () => {
    const good = encodeModelState(state)
    expect(() => decodeModelState(Buffer.from('not a state file'), 'x.bin')).toThrow('x.bin: not a TCGM model state file (bad magic)')
    expect(() => decodeModelState(good.subarray(0, good.length - 8), 'cut.tcgmstate')).toThrow(
      "cut.tcgmstate: tensor 'weights/a' [2,3] lies outside the data (file truncated?)"
    )
    const file = join(dir, 'short.tcgmstate')
    writeFileSync(file, readFileSync(join(dir, 'm.tcgmstate')).subarray(0, 20))
    expect(() => loadModelState(file)).toThrow(`${file}: header length`)
    expect(() => encodeModelState({ tensors: { w: { shape: [2, 2], data: new Float32Array(3) } }, meta: {} })).toThrow(
      "tensor 'w' has 3 values but shape [2,2]"
    )
  })
})
