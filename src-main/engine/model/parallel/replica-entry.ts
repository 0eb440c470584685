/**
 * One data-parallel replica of a modality network, in a worker thread: builds the same model as
 * every other replica (same seed, same weights) over the shared crops, joined to the group's
 * Collective, and answers the coordinator's calls in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createImageModalityModel, type ImageModalityModel } from '../image-model'
import { Collective, CollectiveAborted } from './collective'
import type { FromReplica, ReplicaData, ToReplica } from './replica-protocol'

const data = workerData as ReplicaData
const collective = new Collective(data.collective, data.layout, data.rank)
const length = data.crops.channels * data.crops.dims[0] * data.crops.dims[1] * data.crops.dims[2]
const all = new Float32Array(data.crops.memory)
const samples = Array.from({ length: data.crops.count }, (_, i) => all.subarray(i * length, (i + 1) * length))

let model: ImageModalityModel | null = null
let queue: Promise<void> = Promise.resolve()

async function handle(msg: ToReplica): Promise<unknown> {
  if (msg.method === 'init') {
    if (model) throw new Error('init: the replica is already built')
    model = await createImageModalityModel({ ...data.options, crops: { dims: data.crops.dims, channels: data.crops.channels, samples } }, collective)
    return (model as unknown as { info(): unknown }).info()
  }
  if (!model) throw new Error(`${msg.method}: the replica is not built yet`)
  const m = model as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
  if (typeof m[msg.method] !== 'function') throw new Error(`unknown method '${String(msg.method)}'`)
  return m[msg.method](...msg.args)
}

parentPort!.on('message', (msg: ToReplica) => {
  queue = queue.then(async () => {
    let reply: FromReplica
    try {
      reply = { id: msg.id, ok: true, result: await handle(msg) }
    } catch (e) {
      reply = { id: msg.id, ok: false, error: e instanceof CollectiveAborted ? e.message : e instanceof Error ? e.message : String(e) }
    }
    parentPort!.postMessage(reply)
  })
})
