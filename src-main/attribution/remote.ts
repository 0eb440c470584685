/**
 * Runs an AttributionTask in a worker process of its own (worker-entry.ts), so hundreds of
 * forward passes never block the main process. Cancelling kills the worker at once.
 */
import { startWorker } from '../process/fork'
import type { AttributionTask, ComputeCallbacks, CropAttribution } from './compute'
import { ATTRIBUTION_PROTOCOL_VERSION as V, type FromAttributionWorker } from './protocol'

/** @throws the worker's error, or the signal's reason when cancelled */
export function computeInWorker(task: AttributionTask, cb: ComputeCallbacks = {}): Promise<CropAttribution & { backend: string }> {
  if (cb.signal?.aborted) return Promise.reject(cb.signal.reason ?? new Error('cancelled'))
  const channel = startWorker('attribution-worker')
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (f: () => void) => {
      if (settled) return
      settled = true
      cb.signal?.removeEventListener('abort', onAbort)
      channel.kill()
      f()
    }
    const onAbort = () => finish(() => reject(cb.signal!.reason ?? new Error('cancelled')))
    cb.signal?.addEventListener('abort', onAbort, { once: true })
    channel.onMessage((raw) => {
      const msg = raw as FromAttributionWorker
      if (msg.type === 'ready') channel.send({ v: V, type: 'run', task })
      else if (msg.type === 'progress') {
        if (!settled) cb.onProgress?.(msg.fraction, msg.message)
      } else if (msg.type === 'result') finish(() => resolve({ ...msg.result, backend: msg.backend }))
      else if (msg.type === 'error') finish(() => reject(new Error(`attribution (${task.modality}): ${msg.error}`)))
    })
    channel.onExit((code, signal) =>
      finish(() => reject(new Error(`attribution (${task.modality}): the worker exited (${signal ?? `code ${code}`}) before answering`)))
    )
  })
}
