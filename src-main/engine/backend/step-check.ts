/**
 * The start-up check of a GPU backend: one small training step of the app's network (the fast
 * ops, a tiny DenseNet) on the new backend, compared with the same step on tfjs's plain
 * JavaScript backend, before any real training. A backend whose kernels compute something else
 * (tfjs 4.22's webgpu returns zeros for some rank-5 ops) is refused with the worst difference.
 */
import * as tf from '@tensorflow/tfjs'
import { SeededRandom } from '../../domain/random/mulberry32'
import { resolveConfig } from '../model/config'
import { denseNetForward, initialValue, paramSpecs, type BnRecord } from '../model/densenet'
import { createFastOps } from '../model/ops/fast'

/** Largest |a - b| over the largest |b|, per gradient tensor: float32 rounding on a GPU reaches
 *  about 2e-5 for this step (measured on SwiftShader; wasm vs cpu: 5e-5). */
export const STEP_CHECK_TOLERANCE = 2e-4

export interface StepCheck {
  loss: number
  referenceLoss: number
  /** Worst relative gradient difference and the weight it is in. */
  worst: number
  worstWeight: string
}

/** Loss and gradients of one cross-entropy step of a tiny network, on the active backend. */
async function stepOnActiveBackend(): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const cfg = resolveConfig(
    { stemChannels: 4, stemPool: 'afterStem', blocks: [2, 1], growth: 4, bottleneck: 2, compression: 0.5, inChannels: 1, numClasses: 2 },
    1,
    2
  )
  const rng = new SeededRandom(20260)
  const ops = createFastOps()
  const weights = new Map(paramSpecs(cfg).map((s) => [s.name, tf.variable(tf.tensor(initialValue(s, rng), s.shape), s.trainable, `stepcheck.${s.name}`)]))
  // An odd edge (7) takes the pool's padded gradient path.
  const shape: [number, number, number, number, number] = [2, 8, 7, 8, 1]
  const x = tf.tensor5d(
    Float32Array.from({ length: 2 * 8 * 7 * 8 }, (_, i) => Math.sin(0.37 * i) + 0.2 * Math.cos(1.3 * i)),
    shape
  )
  const target = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2)
  const trainable = [...weights.values()].filter((v) => v.trainable)
  const records: BnRecord[] = []
  try {
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(target, denseNetForward(cfg, ops, weights, x, true, records)) as tf.Scalar,
      trainable
    )
    const out = new Map<string, Float32Array>()
    for (const [name, g] of Object.entries(grads)) out.set(name, (await g.data()) as Float32Array)
    const loss = (await value.data())[0]!
    tf.dispose([value, ...Object.values(grads)])
    return { loss, grads: out }
  } finally {
    tf.dispose([x, target, ...weights.values(), ...records.flatMap((r) => [r.stats.mean, r.stats.variance])])
    ops.dispose()
  }
}

/** Runs the step on `backend` and on 'cpu'; leaves `backend` active. */
export async function checkStepAgainstCpu(backend: string): Promise<StepCheck> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise')
  const reference = await stepOnActiveBackend()
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not initialise`)
  const got = await stepOnActiveBackend()
  let worst = 0
  let worstWeight = ''
  for (const [name, expected] of reference.grads) {
    const actual = got.grads.get(name)!
    let diff = 0
    let scale = 0
    expected.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(actual[i]! - v))
      scale = Math.max(scale, Math.abs(v))
    })
    const rel = Number.isFinite(diff) ? diff / (scale || 1) : Infinity
    if (!(rel <= worst)) {
      worst = rel
      worstWeight = name.replace(/^stepcheck\./, '')
    }
  }
  return { loss: got.loss, referenceLoss: reference.loss, worst, worstWeight }
}
