/**
 * The training worker process: receives one 'start' message with a RunSpec, builds the models
 * with the run kind's factory, runs trainTcgm with checkpoints in runDir/checkpoints, streams
 * progress, and answers 'done' or 'error' before exiting. 'cancel' aborts within one step.
 */
import { join } from 'node:path'
import { createLogger } from '../../log'
import { modelFactories } from '../kinds/index'
import { TRAIN_PROTOCOL_VERSION, type FromWorker, type ToWorker } from './protocol'
import { trainTcgm, TrainingCancelledError } from '../../engine/train/train-tcgm'

const log = createLogger('train-worker')
const controller = new AbortController()
let started = false

/** Electron's utilityProcess talks through process.parentPort; child_process.fork through process.send. */
interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: { data: unknown }) => void): void
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (parentPort) {
      parentPort.postMessage(m)
      // postMessage has no completion callback: give the port a moment before a following exit.
      setTimeout(resolve, 20)
      return
    }
    if (!process.send || !process.connected) return resolve()
    process.send(m, undefined, {}, () => resolve())
  })
}

function onParentMessage(listener: (m: unknown) => void): void {
  if (parentPort) parentPort.on('message', (e) => listener(e.data))
  else process.on('message', listener)
}

async function runSpec(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { spec } = msg
  const factory = modelFactories[spec.kind]
  if (!factory) throw new Error(`unknown run kind '${spec.kind}' (known: ${Object.keys(modelFactories).join(', ')})`)
  const built = await factory(spec.params, { runDir: spec.runDir, signal: controller.signal, log })
  await send({
    v: TRAIN_PROTOCOL_VERSION,
    type: 'started',
    pid: process.pid,
    modalities: built.models.map((m) => m.modality),
    numSubjects: built.data.numSubjects
  })
  const interval = spec.progressIntervalMs ?? 200
  let lastStep = 0
  try {
    const result = await trainTcgm(built.models, built.data, spec.train, {
      signal: controller.signal,
      checkpointDir: join(spec.runDir, 'checkpoints'),
      resume: spec.resume ?? false,
      onProgress: (progress) => {
        const now = Date.now()
        if (progress.type === 'step' && now - lastStep < interval) return
        if (progress.type === 'step') lastStep = now
        void send({ v: TRAIN_PROTOCOL_VERSION, type: 'progress', progress })
      }
    })
    await send({
      v: TRAIN_PROTOCOL_VERSION,
      type: 'done',
      result: {
        status: 'completed',
        result,
        models: built.models.map((m) => m.describe?.() ?? null),
        data: { labels: built.data.labels, split: built.data.split, available: built.data.available },
        ...(built.subjectIds ? { subjectIds: built.subjectIds } : {}),
        ...(built.classNames ? { classNames: built.classNames } : {})
      }
    })
  } catch (err) {
    if (err instanceof TrainingCancelledError) {
      await send({ v: TRAIN_PROTOCOL_VERSION, type: 'done', result: { status: 'cancelled', epoch: err.epoch } })
      return
    }
    throw err
  } finally {
    await Promise.all(built.models.map((m) => m.dispose().catch(() => undefined)))
  }
}

onParentMessage((raw: unknown) => {
  const msg = raw as ToWorker
  if (typeof msg !== 'object' || msg === null || msg.v !== TRAIN_PROTOCOL_VERSION) {
    void send({
      v: TRAIN_PROTOCOL_VERSION,
      type: 'error',
      message: `train worker: protocol version ${String((msg as { v?: unknown })?.v)} received, this worker speaks ${TRAIN_PROTOCOL_VERSION}`
    }).then(() => process.exit(1))
    return
  }
  if (msg.type === 'cancel') {
    controller.abort()
    return
  }
  if (msg.type === 'start') {
    if (started) return
    started = true
    runSpec(msg).then(
      () => process.exit(0),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err))
        log.error(e.message)
        void send({ v: TRAIN_PROTOCOL_VERSION, type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) }).then(() => process.exit(1))
      }
    )
  }
})

// The parent went away: nothing will read our results, stop.
process.on('disconnect', () => process.exit(0))
