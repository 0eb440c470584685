/**
 * One modality network trained by K data-parallel replicas, one worker thread each, so that a
 * modality uses K cores (wasm runs one thread per instance under Node).
 *
 * Every replica holds the same weights (same seed). A training call goes to all of them with the
 * whole batch; each computes its contiguous share. Batch norm uses the statistics of the whole
 * batch (per-channel sums added across replicas in the forward and backward passes: "sync BN"),
 * the gradients of the shares are added, and every replica takes the same Adam step. The result
 * is that of one process with the whole batch up to float rounding, and deterministic for a
 * fixed seed and K (sums are taken in rank order). Inference is split over the replicas.
 */
import type { Worker } from 'node:worker_threads'
import { startThread } from '../../../process/thread'
import type { ModelState } from '../../train/modality-model'
import { resolveConfig } from '../config'
import { validateCrops } from '../crops'
import { paramSpecs } from '../densenet'
import type { ImageModalityModel, ImageModelInfo, ImageModelOptions } from '../image-model'
import type { ModalityMethod } from '../modality-protocol'
import { Collective, createCollectiveMemory, shareOf, type CollectiveLayout } from './collective'
import type { FromReplica, ReplicaData, ReplicaInit, ReplicaRequest, SharedCrops } from './replica-protocol'

/** Gradient slots hold at most this many floats per replica (longer vectors go in chunks). */
const MAX_SLOT = 1 << 20
/** After one replica fails, how long the others may take to fail the same way (a check every
 *  replica makes before touching the group) before the group is aborted as broken. */
const FAILURE_GRACE_MS = 2000

/** The shared-memory layout for a network: BN sums of the widest BN, gradients in slots. */
export function layoutFor(options: ImageModelOptions, replicas: number): CollectiveLayout {
  const cfg = resolveConfig(options.preset, options.crops.channels, options.numClasses)
  const specs = paramSpecs(cfg)
  const widest = Math.max(...specs.filter((s) => s.name.endsWith('.gamma')).map((s) => s.shape[0]))
  const values = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0) + 1
  return { size: replicas, statsLength: 2 * widest + 1, allLength: Math.min(values, MAX_SLOT) }
}

function shareCrops(options: ImageModelOptions): SharedCrops {
  const { dims, channels, samples } = options.crops
  const length = channels * dims[0] * dims[1] * dims[2]
  const memory = new SharedArrayBuffer(samples.length * length * 4)
  const all = new Float32Array(memory)
  samples.forEach((s, i) => all.set(s, i * length))
  return { dims: [...dims], channels, count: samples.length, memory }
}

class Replica {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  exited: string | null = null

  constructor(
    readonly rank: number,
    readonly thread: Worker,
    onExit: (why: string) => void
  ) {
    thread.on('message', (msg: FromReplica) => {
      const p = this.pending.get(msg.id)
      if (!p) return
      this.pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new Error(msg.error))
    })
    const fail = (why: string) => {
      if (this.exited) return
      this.exited = why
      for (const p of this.pending.values()) p.reject(new Error(why))
      this.pending.clear()
      onExit(why)
    }
    thread.on('error', (e) => fail(`replica ${rank} failed: ${e.message}`))
    thread.on('exit', (code) => fail(`replica ${rank} exited (code ${code})`))
  }

  request(msg: ReplicaRequest): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error(this.exited))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.thread.postMessage({ ...msg, id })
    })
  }
}

class DataParallelImageModel implements ImageModalityModel {
  private initInfo: ReplicaInit | null = null
  private broken: string | null = null

  constructor(
    readonly modality: string,
    readonly numClasses: number,
    private readonly replicas: Replica[],
    private readonly control: Collective
  ) {}

  /** Sends one request to every replica (`argsFor` may give each its own arguments) and waits
   *  for all. When one fails and the others do not follow within the grace period, the group is
   *  aborted: the waiting replicas are woken with an error, and the model is unusable after. */
  private async all(method: ModalityMethod | 'init', argsFor: (rank: number) => unknown[] = () => []): Promise<unknown[]> {
    if (this.broken) throw new Error(`${method}: ${this.broken}`)
    let timer: NodeJS.Timeout | null = null
    const calls = this.replicas.map((r) =>
      r.request(method === 'init' ? { method } : { method, args: argsFor(r.rank) }).catch((e: Error) => {
        timer ??= setTimeout(() => {
          this.broken = `the ${this.modality} network's replicas disagreed (replica ${r.rank}: ${e.message}); start the run again`
          this.control.abort()
        }, FAILURE_GRACE_MS)
        throw e
      })
    )
    const settled = await Promise.allSettled(calls)
    if (timer) clearTimeout(timer)
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) {
      if (!settled.every((s) => s.status === 'rejected')) {
        this.broken ??= `the ${this.modality} network's replicas disagreed (${(failed.reason as Error).message}); start the run again`
        this.control.abort()
      }
      throw failed.reason as Error
    }
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value)
  }

  /** A replica thread ended: the others cannot go on without it. */
  markBroken(why: string): void {
    this.broken ??= `the ${this.modality} network lost a replica (${why}); start the run again`
  }

  async init(): Promise<void> {
    this.initInfo = (await this.all('init'))[0] as ReplicaInit
  }

  info(): ImageModelInfo {
    if (!this.initInfo) throw new Error('info: the data-parallel model is not initialised')
    return { ...this.initInfo, replicas: this.replicas.length }
  }

  describe(): Record<string, unknown> {
    return { ...this.info() }
  }

  /** Inference has no batch statistics: each replica predicts a contiguous part, in chunks. */
  async predictLogProbs(indices: readonly number[]): Promise<Float32Array> {
    if (this.broken) throw new Error(`predictLogProbs: ${this.broken}`)
    // No collective here: only the replicas with a part are asked (the empty batch is refused as in-process).
    const k = Math.max(1, Math.min(indices.length, this.replicas.length))
    const parts = this.replicas.slice(0, k).map((r) => r.request({ method: 'predictLogProbs', args: [indices.slice(...shareOf(indices.length, r.rank, k))] }))
    return concat((await Promise.all(parts)) as Float32Array[])
  }

  async ceStep(indices: readonly number[], labels: readonly number[], lr: number): Promise<number> {
    // Every replica returns the loss of the whole batch (summed across them).
    return (await this.all('ceStep', () => [[...indices], [...labels], lr]))[0] as number
  }

  async refreshNormStats(indices: readonly number[]): Promise<void> {
    await this.all('refreshNormStats', () => [[...indices]])
  }

  async tcForward(indices: readonly number[]): Promise<Float32Array> {
    return concat((await this.all('tcForward', () => [[...indices]])) as Float32Array[])
  }

  async tcBackward(gradLogProbs: Float32Array, lr: number): Promise<void> {
    await this.all('tcBackward', () => [gradLogProbs, lr])
  }

  async getState(): Promise<ModelState> {
    // The replicas hold the same state: rank 0's.
    return (await this.replicas[0].request({ method: 'getState', args: [] })) as ModelState
  }

  async setState(state: ModelState): Promise<void> {
    await this.all('setState', () => [state])
  }

  /** Each replica's state, for tests that check they stay identical. */
  async replicaStates(): Promise<ModelState[]> {
    return (await this.all('getState')) as ModelState[]
  }

  async dispose(): Promise<void> {
    try {
      if (!this.broken) await this.all('dispose')
    } catch {
      // Ending the threads below frees everything anyway.
    } finally {
      await Promise.all(this.replicas.map((r) => r.thread.terminate()))
    }
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * Builds a modality network trained by `replicas` worker threads (>= 2), each choosing the
 * backend `options.backend` (TCGM_BACKEND overrides) for itself.
 * @throws when the crops or options are unusable, or a replica cannot start (its message).
 */
export async function createDataParallelImageModel(
  options: ImageModelOptions,
  replicas: number
): Promise<ImageModalityModel & { replicaStates(): Promise<ModelState[]> }> {
  if (!Number.isInteger(replicas) || replicas < 2) throw new Error(`createDataParallelImageModel: replicas must be an integer >= 2, got ${replicas}`)
  validateCrops(options.crops, `createDataParallelImageModel(${options.modality})`)
  const layout = layoutFor(options, replicas)
  const memory = createCollectiveMemory(layout)
  const crops = shareCrops(options)
  const { crops: _omit, ...rest } = options
  const threads: Replica[] = []
  const control = new Collective(memory, layout, 0)
  let model: DataParallelImageModel | null = null
  for (let rank = 0; rank < replicas; rank++) {
    const data: ReplicaData = { rank, layout, collective: memory, crops, options: rest }
    threads.push(
      new Replica(rank, startThread('model-replica', data), (why) => {
        control.abort()
        model?.markBroken(why)
      })
    )
  }
  model = new DataParallelImageModel(options.modality, options.numClasses, threads, control)
  try {
    await model.init()
  } catch (e) {
    await Promise.all(threads.map((t) => t.thread.terminate()))
    throw e
  }
  return model
}
