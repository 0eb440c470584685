/**
 * The attribution worker: computes one occlusion-sensitivity map (compute.ts) away from the
 * main process's event loop, on the backend it chooses (TCGM_BACKEND overrides), streaming
 * progress. Started by remote.ts through startWorker('attribution-worker').
 */
import { chooseBackend } from '../engine/backend/choose'
import { connectToParent } from '../process/parent-channel'
import { computeCropAttribution } from './compute'
import { ATTRIBUTION_PROTOCOL_VERSION as V, type FromAttributionWorker, type ToAttributionWorker } from './protocol'

const parent = connectToParent()
const send = (m: FromAttributionWorker) => parent.send(m)
let started = false

parent.onMessage((raw) => {
  const msg = raw as ToAttributionWorker
  if (started) return send({ v: V, type: 'error', error: 'this attribution worker already ran a task' })
  started = true
  void (async () => {
    try {
      if (msg.v !== V || msg.type !== 'run') throw new Error(`attribution worker speaks protocol ${V}, got ${String(msg.v)} '${String(msg.type)}'`)
      const backend = await chooseBackend()
      const result = await computeCropAttribution(msg.task, { onProgress: (fraction, message) => send({ v: V, type: 'progress', fraction, message }) })
      send({ v: V, type: 'result', result, backend: backend.name })
    } catch (e) {
      send({ v: V, type: 'error', error: e instanceof Error ? e.message : String(e) })
    }
  })()
})

// Forked from Node: end with the parent.
process.on('disconnect', () => process.exit(0))

send({ v: V, type: 'ready', pid: process.pid })
