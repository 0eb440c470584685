/**
 * A modality worker: one process holding one modality's 3D DenseNet, so that the modalities
 * train at once (wasm runs single-threaded under Node); inside it the network may be split over
 * data-parallel replica threads, one core each (parallel/build.ts). It picks its own
 * backend, builds the model on 'init', then answers ModalityModel calls in arrival order.
 */
import { chooseBackend } from '../backend/choose'
import { createLogger } from '../../log'
import { connectToParent } from '../../process/parent-channel'
import type { ImageModalityModel } from './image-model'
import { createImageModelOnCores } from './parallel/build'
import { MODALITY_PROTOCOL_VERSION as V, type FromModalityWorker, type InitResult, type ToModalityWorker } from './modality-protocol'

const log = createLogger('modality-worker')
const parent = connectToParent()
const send = (m: FromModalityWorker) => parent.send(m)

let model: ImageModalityModel | null = null
// Calls run one after another, in the order they arrived.
let queue: Promise<void> = Promise.resolve()

async function handle(msg: ToModalityWorker): Promise<unknown> {
  if (msg.v !== V) throw new Error(`modality worker speaks protocol ${V}, got ${msg.v}`)
  if (msg.type === 'init') {
    if (model) throw new Error('init: the model is already built')
    // A worker always chooses for itself (auto when no preference is given).
    const backend = await chooseBackend(msg.args.options.backend)
    model = (await createImageModelOnCores(msg.args.options, backend)).model
    const result: InitResult = { info: model.info() }
    return result
  }
  if (!model) throw new Error(`${msg.method}: the model is not built yet (send init first)`)
  const m = model as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
  if (typeof m[msg.method] !== 'function') throw new Error(`unknown method '${String(msg.method)}'`)
  return m[msg.method](...msg.args)
}

parent.onMessage((raw) => {
  const msg = raw as ToModalityWorker
  queue = queue.then(async () => {
    try {
      const result = await handle(msg)
      send({ v: V, type: 'reply', id: msg.id, ok: true, result })
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e)
      log.debug(`call ${msg.id} failed: ${error}`)
      send({ v: V, type: 'reply', id: msg.id, ok: false, error })
    }
  })
})

// Forked from Node: end with the parent.
process.on('disconnect', () => process.exit(0))

send({ v: V, type: 'ready', pid: process.pid })
