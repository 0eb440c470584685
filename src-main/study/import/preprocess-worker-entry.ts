/**
 * A preprocess worker: one process that runs the import's imaging pipeline
 * (`imagingPreprocessor`, preprocess.ts) for the scans the pool sends it, one at a time, so
 * that an import preprocesses several scans on several CPU cores (the pipeline is synchronous
 * CPU work). Cancel means the parent kills this process; nothing here is written to the study.
 */
import { createLogger } from '../../log'
import { connectToParent } from '../../process/parent-channel'
import { imagingPreprocessor } from './preprocess'
import { PREPROCESS_PROTOCOL_VERSION as V, type FromPreprocessWorker, type PreprocessRequest } from './preprocess-protocol'

const log = createLogger('preprocess-worker')
const parent = connectToParent()
const send = (m: FromPreprocessWorker) => parent.send(m)

// The pool sends one request at a time; should more arrive, they run in arrival order.
let queue: Promise<void> = Promise.resolve()

parent.onMessage((raw) => {
  const msg = raw as PreprocessRequest
  queue = queue.then(async () => {
    try {
      if (msg.v !== V) throw new Error(`preprocess worker speaks protocol ${V}, got ${msg.v}`)
      if (msg.type !== 'run') throw new Error(`preprocess worker: unknown message type '${String(msg.type)}'`)
      const result = await imagingPreprocessor.run(msg.file, msg.modality, msg.settings, { suv: msg.suv, ...msg.scan })
      send({ v: V, type: 'result', id: msg.id, ok: true, result })
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e)
      log.debug(`${msg.file}: ${error}`)
      send({ v: V, type: 'result', id: msg.id, ok: false, error })
    }
  })
})

// Forked from Node: end with the parent.
process.on('disconnect', () => process.exit(0))

send({ v: V, type: 'ready', pid: process.pid })
