/**
 * Adam (Kingma & Ba 2015) over named variables, with the learning rate given per step (the TCGM
 * loop uses different rates for the CE and TC steps) and moments that are plain named tensors,
 * so a checkpoint holds them in the same format on every backend.
 */
import * as tf from '@tensorflow/tfjs'

export class Adam {
  readonly beta1 = 0.9
  readonly beta2 = 0.999
  readonly epsilon = 1e-8
  /** Number of updates taken (t in the paper; bias correction uses it). */
  step = 0
  readonly m = new Map<string, tf.Variable>()
  readonly v = new Map<string, tf.Variable>()

  constructor(params: ReadonlyMap<string, tf.Variable>) {
    for (const [name, p] of params) {
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false))
      )
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false))
      )
    }
  }

  /** One update. `grads` maps parameter names (the keys of the constructor's map) to gradients. */
  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`Adam: learning rate must be a finite number >= 0, got ${lr}`)
    this.step++
    const c1 = 1 - this.beta1 ** this.step
    const c2 = 1 - this.beta2 ** this.step
    tf.tidy(() => {
      // The constants as tensors once per update, not once per parameter (a JS number in an op
      // becomes a new scalar tensor each time). Same arithmetic, in the same order.
      const [b1, b1c, b2, b2c, stepSize, c2t, eps] = [this.beta1, 1 - this.beta1, this.beta2, 1 - this.beta2, lr / c1, c2, this.epsilon].map((v) =>
        tf.scalar(v)
      )
      for (const [name, g] of grads) {
        const p = params.get(name)
        const m = this.m.get(name)
        const v = this.v.get(name)
        if (!p || !m || !v) throw new Error(`Adam: gradient for unknown parameter '${name}'`)
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, b1c)))
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), b2c)))
        p.assign(tf.sub(p, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(tf.div(v, c2t)), eps))))
      }
    })
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose()
    this.m.clear()
    this.v.clear()
  }
}
