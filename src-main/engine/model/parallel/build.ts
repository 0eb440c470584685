/**
 * A modality network on as many cores as it should get: one in-process model, or K
 * data-parallel replica threads (data-parallel-model.ts) when the backend is a CPU one and the
 * cores and memory allow (replica-count.ts). Used by the modality worker process.
 */
import { createLogger } from '../../../log'
import type { ChosenBackend } from '../../backend/choose'
import { resolveConfig } from '../config'
import { createImageModalityModel, defaultInputSize, DEFAULT_TRAIN_BATCH, type ImageModalityModel, type ImageModelOptions } from '../image-model'
import { estimateTrainingBytes } from '../memory'
import { createDataParallelImageModel } from './data-parallel-model'
import { chooseReplicaCount, thisMachine, type Machine, type ReplicaChoice } from './replica-count'

const log = createLogger('model')

export async function createImageModelOnCores(
  options: ImageModelOptions,
  backend: ChosenBackend,
  machine: Machine = thisMachine()
): Promise<{ model: ImageModalityModel; replicas: ReplicaChoice }> {
  const cfg = resolveConfig(options.preset, options.crops.channels, options.numClasses)
  const inputSize = options.inputSize ?? defaultInputSize(options.crops.dims)
  const batch = options.trainBatch ?? DEFAULT_TRAIN_BATCH
  const replicas = chooseReplicaCount(
    {
      requested: options.replicas,
      networks: options.networks ?? 1,
      backend: backend.tfBackend,
      bytesPerReplica: (k) => estimateTrainingBytes(cfg, inputSize, Math.ceil(batch / k))
    },
    machine
  )
  log.info(`${options.modality}: ${replicas.count} replica(s) (${replicas.reason})`)
  // The replicas choose for themselves, with this process's preference (and environment).
  const model =
    replicas.count > 1 ? await createDataParallelImageModel(options, replicas.count) : await createImageModalityModel({ ...options, backend: undefined })
  return { model, replicas }
}
