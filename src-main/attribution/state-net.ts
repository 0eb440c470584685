/**
 * A saved 3D DenseNet state (ModelState of src-main/model/image-model.ts: `weights/<name>`
 * tensors, `meta.config`, `meta.inputSize`) as a classifier of arbitrary crops in inference mode:
 * the same forward pass, ops and centred input window as the model's predictLogProbs, without
 * the training machinery (optimiser, dataset, augmentation).
 */
import * as tf from '@tensorflow/tfjs'
import { validateConfig, type DenseNetConfig } from '../engine/model/config'
import { assembleBatch, centredWindow } from '../engine/model/crops'
import { denseNetForward, paramSpecs } from '../engine/model/densenet'
import { STATE_FORMAT, STATE_VERSION, pickImplementation } from '../engine/model/image-model'
import { createFastOps } from '../engine/model/ops/fast'
import { createReferenceOps } from '../engine/model/ops/reference'
import type { ModelState } from '../engine/train/modality-model'

export interface StateNet {
  readonly numClasses: number
  /** Network input [sx, sy, sz] in voxels: the centred window of a crop it reads. */
  readonly inputSize: [number, number, number]
  /** Probabilities [B, C] (row-major) of crops of `dims` with `channels` channels, channel-major. */
  predictProbs(samples: readonly Float32Array[], dims: [number, number, number], channels: number): Promise<Float32Array>
  dispose(): void
}

/**
 * Builds the network of `state` on the active backend.
 * @param where names the state in error messages (e.g. the checkpoint file and modality)
 * @throws naming `where` when the state is not a 3D DenseNet state or a tensor is missing or misshapen
 */
export function createStateNet(state: ModelState, where: string): StateNet {
  const meta = state.meta
  if (meta.format !== STATE_FORMAT) throw new Error(`${where}: not a 3D DenseNet state (format ${String(meta.format)}, expected ${STATE_FORMAT})`)
  // The same versions setState accepts: a state written by another layout is refused, not misread.
  if (meta.version !== STATE_VERSION) throw new Error(`${where}: state version ${String(meta.version)} is not supported (expected ${STATE_VERSION})`)
  const config = meta.config as DenseNetConfig
  validateConfig(config)
  const inputSize = meta.inputSize as [number, number, number]
  if (!Array.isArray(inputSize) || inputSize.length !== 3 || !inputSize.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${where}: the state has no valid input size (${JSON.stringify(meta.inputSize)})`)
  }
  const weights = new Map<string, tf.Tensor>()
  const ops = pickImplementation('auto', tf.getBackend()) === 'fast' ? createFastOps() : createReferenceOps()
  try {
    for (const spec of paramSpecs(config)) {
      const t = state.tensors[`weights/${spec.name}`]
      if (!t) throw new Error(`${where}: tensor 'weights/${spec.name}' is missing from the state`)
      if (t.shape.join('x') !== spec.shape.join('x'))
        throw new Error(`${where}: tensor 'weights/${spec.name}' has shape [${t.shape}], expected [${spec.shape}]`)
      weights.set(spec.name, tf.tensor(t.data, t.shape))
    }
  } catch (e) {
    tf.dispose([...weights.values()])
    ops.dispose()
    throw e
  }
  let disposed = false
  return {
    numClasses: config.numClasses,
    inputSize: [...inputSize],
    async predictProbs(samples, dims, channels) {
      if (disposed) throw new Error(`${where}: the network was disposed`)
      if (channels !== config.inChannels) throw new Error(`${where}: the crops have ${channels} channels, the network takes ${config.inChannels}`)
      const window = centredWindow(dims, inputSize)
      const batch = assembleBatch(
        { dims, channels, samples: [...samples] },
        samples.map((_, i) => i),
        inputSize,
        samples.map(() => window)
      )
      const probs = tf.tidy(() => {
        const x = tf.tensor5d(batch, [samples.length, inputSize[2], inputSize[1], inputSize[0], channels])
        // exp(log-softmax), as the training loop turns the model's log-posteriors into probabilities.
        return tf.exp(tf.logSoftmax(denseNetForward(config, ops, weights, x, false, [])))
      })
      try {
        // data(), not dataSync(): webgpu cannot read synchronously under Node.
        return new Float32Array(await probs.data())
      } finally {
        probs.dispose()
      }
    },
    dispose() {
      if (disposed) return
      disposed = true
      tf.dispose([...weights.values()])
      weights.clear()
      ops.dispose()
    }
  }
}
