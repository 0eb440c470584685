/**
 * The image ModalityModel run in its own process (modality-worker-entry.ts), so two modalities
 * use two CPU cores: the TCGM loop calls tcForward on both models, waits for both (they compute
 * at the same time), computes the TC gain and its gradient, then calls tcBackward on both.
 */
import { startWorker, type WorkerChannel } from '../../process/fork'
import type { ModelState } from '../train/modality-model'
import type { ImageModelInfo, ImageModelOptions, ImageModalityModel } from './image-model'
import { MODALITY_PROTOCOL_VERSION as V, type FromModalityWorker, type InitResult, type ModalityMethod, type ToModalityWorker } from './modality-protocol'

/** As in-process; `backend` is the worker's preference (TCGM_BACKEND, inherited, overrides). */
export type RemoteImageModelOptions = ImageModelOptions

class RemoteImageModel implements ImageModalityModel {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>()
  private exited: string | null = null
  private initResult: InitResult | null = null

  constructor(
    readonly modality: string,
    readonly numClasses: number,
    private readonly channel: WorkerChannel,
    ready: { resolve: () => void; reject: (e: Error) => void }
  ) {
    channel.onMessage((raw) => {
      const msg = raw as FromModalityWorker
      if (msg.type === 'ready') return ready.resolve()
      if (msg.type !== 'reply') return
      const p = this.pending.get(msg.id)
      if (!p) return
      this.pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new Error(`${this.modality} model (worker): ${msg.error}`))
    })
    channel.onExit((code, signal) => {
      this.exited = `the ${this.modality} modality worker exited (${signal ?? `code ${code}`})`
      const err = new Error(this.exited)
      ready.reject(err)
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: ${this.exited}`))
      this.pending.clear()
    })
  }

  private request(message: Omit<ToModalityWorker, 'id' | 'v'>, method: string): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error(`${method}: ${this.exited}`))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method })
      this.channel.send({ ...message, id, v: V })
    })
  }

  private call<T>(method: ModalityMethod, ...args: unknown[]): Promise<T> {
    return this.request({ type: 'call', method, args } as Omit<ToModalityWorker, 'id' | 'v'>, method) as Promise<T>
  }

  async init(options: RemoteImageModelOptions): Promise<void> {
    this.initResult = (await this.request({ type: 'init', args: { options } }, 'init')) as InitResult
  }

  info(): ImageModelInfo {
    if (!this.initResult) throw new Error('info: the remote model is not initialised')
    return this.initResult.info
  }

  describe(): Record<string, unknown> {
    return { ...this.info(), process: 'modality worker' }
  }

  get pid(): number | undefined {
    return this.channel.pid
  }

  predictLogProbs(indices: readonly number[]): Promise<Float32Array> {
    return this.call('predictLogProbs', [...indices])
  }

  ceStep(indices: readonly number[], labels: readonly number[], lr: number): Promise<number> {
    return this.call('ceStep', [...indices], [...labels], lr)
  }

  refreshNormStats(indices: readonly number[]): Promise<void> {
    return this.call('refreshNormStats', [...indices])
  }

  tcForward(indices: readonly number[]): Promise<Float32Array> {
    return this.call('tcForward', [...indices])
  }

  tcBackward(gradLogProbs: Float32Array, lr: number): Promise<void> {
    return this.call('tcBackward', gradLogProbs, lr)
  }

  getState(): Promise<ModelState> {
    return this.call('getState')
  }

  setState(state: ModelState): Promise<void> {
    return this.call('setState', state)
  }

  async dispose(): Promise<void> {
    try {
      if (!this.exited) await this.call('dispose')
    } finally {
      this.channel.kill()
    }
  }
}

/**
 * Same options and behaviour as `createImageModalityModel`, but the model lives in a worker
 * process of its own (startWorker('modality-worker')), which chooses its backend itself.
 * The same seed gives the same outputs as the in-process model on the same backend.
 * @throws when the worker cannot start or the model cannot be built (the worker's message).
 */
export async function createRemoteImageModalityModel(options: RemoteImageModelOptions): Promise<ImageModalityModel> {
  const channel = startWorker('modality-worker')
  let ready!: { resolve: () => void; reject: (e: Error) => void }
  const readyPromise = new Promise<void>((resolve, reject) => (ready = { resolve, reject }))
  const model = new RemoteImageModel(options.modality, options.numClasses, channel, ready)
  try {
    await readyPromise
    await model.init(options)
  } catch (e) {
    channel.kill()
    throw e
  }
  return model
}
