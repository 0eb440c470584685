import { EventEmitter } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import { connectToParent } from '../../../src-main/process/parent-channel'
import { utilityWorkerFactory } from '../../../src-main/shell/utility-worker'

vi.mock('electron', () => ({}))

describe('utilityProcess worker factory', () => {
  it('forks the entry with the extra environment and relays messages, exit and kill', () => {
    const child = Object.assign(new EventEmitter(), { pid: 42, postMessage: vi.fn(), kill: vi.fn() })
    const fork = vi.fn(() => child)
    const channel = utilityWorkerFactory(fork as never)('/app/out/main/train-worker.js', { TCGM_X: '1' })
    expect(fork).toHaveBeenCalledWith('/app/out/main/train-worker.js', [], expect.objectContaining({ stdio: 'inherit', serviceName: 'TCGM Lab train-worker' }))
    expect((fork.mock.calls[0] as unknown as [string, string[], { env: Record<string, string> }])[2].env.TCGM_X).toBe('1')
    expect(channel.pid).toBe(42)
    const got: unknown[] = []
    channel.onMessage((m) => got.push(m))
    child.emit('message', { epoch: 1, loss: new Float32Array([0.5]) })
    expect(got).toHaveLength(1)
    channel.send({ stop: true })
    expect(child.postMessage).toHaveBeenCalledWith({ stop: true })
    const exits: unknown[] = []
    channel.onExit((code, signal) => exits.push([code, signal]))
    child.emit('exit', 3)
    expect(exits).toEqual([[3, null]])
    channel.send('after exit')
    channel.kill()
    expect(child.postMessage).toHaveBeenCalledTimes(1)
    expect(child.kill).not.toHaveBeenCalled()
  })
})

describe('worker side: parent channel', () => {
  it('uses process.parentPort under utilityProcess', () => {
    const port = Object.assign(new EventEmitter(), { postMessage: vi.fn() })
    const ch = connectToParent({ parentPort: port } as never)
    const got: unknown[] = []
    ch.onMessage((m) => got.push(m))
    port.emit('message', { data: { run: 1 } })
    ch.send({ done: true })
    expect(got).toEqual([{ run: 1 }])
    expect(port.postMessage).toHaveBeenCalledWith({ done: true })
  })

  it('uses process.send under child_process.fork, and refuses a process without a parent', () => {
    const proc = Object.assign(new EventEmitter(), { send: vi.fn(), connected: true })
    const ch = connectToParent(proc as never)
    ch.send({ a: 1 })
    // With a callback (changed on purpose): a parent that died mid-send gives no uncaught EPIPE.
    expect(proc.send).toHaveBeenCalledWith({ a: 1 }, undefined, undefined, expect.any(Function))
    proc.connected = false
    ch.send({ a: 2 })
    expect(proc.send).toHaveBeenCalledTimes(1)
    expect(() => connectToParent(new EventEmitter() as never)).toThrow(/no parent channel/)
  })
})
