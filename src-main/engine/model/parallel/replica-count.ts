/**
 * How many data-parallel replicas (threads) a modality network gets: the cores shared among the
 * networks that train at once, bounded by memory; TCGM_REPLICAS or the option overrides.
 * Only the CPU backends are split: native TensorFlow uses every core by itself, and a GPU
 * backend has one device.
 */
import { availableParallelism, freemem } from 'node:os'

export const REPLICAS_ENV_VAR = 'TCGM_REPLICAS'

export interface ReplicaChoice {
  count: number
  reason: string
}

export interface Machine {
  cores: number
  freeBytes: number
}

export const thisMachine = (): Machine => ({ cores: availableParallelism(), freeBytes: freemem() })

/**
 * @param requested the option (a positive integer), or undefined for automatic
 * @param networks how many networks train at the same time (one per modality)
 * @param bytesPerReplica what one replica needs when there are `replicas` (memory.ts's estimate for
 *   its share of the batch)
 * @throws when TCGM_REPLICAS or the option is not a positive integer
 */
export function chooseReplicaCount(
  args: { requested?: number; networks: number; backend: string; bytesPerReplica: (replicas: number) => number },
  machine: Machine = thisMachine(),
  env: NodeJS.ProcessEnv = process.env
): ReplicaChoice {
  const parse = (v: unknown, source: string): number => {
    const n = typeof v === 'string' ? Number(v.trim()) : v
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error(`replicas from ${source} must be a positive integer, got '${String(v)}'`)
    return n
  }
  const fromEnv = env[REPLICAS_ENV_VAR]?.trim()
  const cpuBackend = args.backend === 'wasm' || args.backend === 'cpu'
  if (fromEnv) {
    const n = parse(fromEnv, `environment variable ${REPLICAS_ENV_VAR}`)
    if (!cpuBackend && n > 1) return { count: 1, reason: `${REPLICAS_ENV_VAR}=${n} ignored: the ${args.backend} backend runs one network per device` }
    return { count: n, reason: `${n} set by ${REPLICAS_ENV_VAR}` }
  }
  if (args.requested !== undefined) {
    const n = parse(args.requested, 'the option')
    if (!cpuBackend && n > 1) return { count: 1, reason: `${n} requested, but the ${args.backend} backend runs one network per device` }
    return { count: n, reason: `${n} requested` }
  }
  if (!cpuBackend) return { count: 1, reason: `one: the ${args.backend} backend uses the machine by itself` }
  const byCores = Math.max(1, Math.floor(machine.cores / Math.max(1, args.networks)))
  const budget = (0.8 * machine.freeBytes) / Math.max(1, args.networks)
  let count = byCores
  while (count > 1 && count * args.bytesPerReplica(count) > budget) count--
  const why = `${machine.cores} cores for ${args.networks} network(s)`
  return { count, reason: count < byCores ? `${count}: ${why}, but free memory for ${count} replicas each` : `${count}: ${why}` }
}
