/**
 * A multilayer perceptron over one modality's feature table, as a `ModalityModel` for the TCGM
 * loop: ReLU hidden layers (sizes configurable; [] = linear softmax regression), log-softmax
 * output, Adam, seeded He/Glorot initialisation.
 *
 * Plain JS arithmetic: per-sample feature vectors are short (tens of values) and batches small,
 * where tensor kernels spend more on dispatch than on maths. Parameters and Adam moments are kept
 * in Float32Arrays so the state written to a checkpoint restores bit for bit; each step is
 * computed in float64 and rounded once.
 */
import type { ModalityModel, ModelState } from '../train/modality-model'
import { Rng, type RngState } from '../../domain/random/sfc32'

export interface MlpOptions {
  modality: string
  numClasses: number
  /** Row-major [numSubjects, numFeatures] standardised features; rows of subjects without the
   *  modality may hold anything (NaN) and must never be requested. */
  features: Float32Array
  numFeatures: number
  /** Hidden layer widths; [] = linear softmax. */
  hidden: readonly number[]
  seed: number
  /** Adam hyper-parameters (defaults 0.9, 0.999, 1e-8). */
  beta1?: number
  beta2?: number
  epsilon?: number
  /** L2 penalty added to the gradient of weight matrices (not biases). Default 0. */
  weightDecay?: number
}

interface Layer {
  inSize: number
  outSize: number
  /** [inSize, outSize] row-major */
  W: Float32Array
  b: Float32Array
  mW: Float32Array
  vW: Float32Array
  mb: Float32Array
  vb: Float32Array
}

export class MlpModel implements ModalityModel {
  readonly modality: string
  readonly numClasses: number
  private readonly features: Float32Array
  private readonly numFeatures: number
  private readonly numRows: number
  private readonly layers: Layer[]
  private readonly hidden: number[]
  private step = 0
  private rng: Rng
  private readonly beta1: number
  private readonly beta2: number
  private readonly epsilon: number
  private readonly weightDecay: number
  /** Kept by tcForward for tcBackward: the batch rows and the activations of every layer. */
  private pending: { acts: Float64Array[]; B: number; logProbs: Float64Array } | null = null

  constructor(o: MlpOptions) {
    if (!Number.isInteger(o.numFeatures) || o.numFeatures < 1) throw new Error(`MlpModel(${o.modality}): numFeatures must be >= 1, got ${o.numFeatures}`)
    if (o.features.length % o.numFeatures !== 0) {
      throw new Error(`MlpModel(${o.modality}): features length ${o.features.length} is not a multiple of numFeatures ${o.numFeatures}`)
    }
    if (!Number.isInteger(o.numClasses) || o.numClasses < 2) throw new Error(`MlpModel(${o.modality}): numClasses must be >= 2, got ${o.numClasses}`)
    for (const h of o.hidden)
      if (!Number.isInteger(h) || h < 1) throw new Error(`MlpModel(${o.modality}): hidden sizes must be positive integers, got ${o.hidden.join(',')}`)
    this.modality = o.modality
    this.numClasses = o.numClasses
    this.features = o.features
    this.numFeatures = o.numFeatures
    this.numRows = o.features.length / o.numFeatures
    this.hidden = [...o.hidden]
    this.beta1 = o.beta1 ?? 0.9
    this.beta2 = o.beta2 ?? 0.999
    this.epsilon = o.epsilon ?? 1e-8
    this.weightDecay = o.weightDecay ?? 0
    this.rng = new Rng(o.seed)
    const sizes = [o.numFeatures, ...o.hidden, o.numClasses]
    this.layers = []
    for (let l = 0; l + 1 < sizes.length; l++) {
      const inSize = sizes[l]!
      const outSize = sizes[l + 1]!
      const last = l + 2 === sizes.length
      // He for ReLU layers, Glorot for the softmax layer.
      const std = last ? Math.sqrt(2 / (inSize + outSize)) : Math.sqrt(2 / inSize)
      const W = new Float32Array(inSize * outSize)
      for (let k = 0; k < W.length; k++) W[k] = std * this.rng.normal()
      const n = inSize * outSize
      this.layers.push({
        inSize,
        outSize,
        W,
        b: new Float32Array(outSize),
        mW: new Float32Array(n),
        vW: new Float32Array(n),
        mb: new Float32Array(outSize),
        vb: new Float32Array(outSize)
      })
    }
  }

  /** Forward pass; returns activations per layer input (acts[0] = x) and log-softmax outputs. */
  private forward(indices: readonly number[]): { acts: Float64Array[]; logProbs: Float64Array } {
    const B = indices.length
    const D = this.numFeatures
    const x = new Float64Array(B * D)
    indices.forEach((row, i) => {
      if (!Number.isInteger(row) || row < 0 || row >= this.numRows) {
        throw new Error(`MlpModel(${this.modality}): subject row ${row} is outside 0..${this.numRows - 1}`)
      }
      for (let d = 0; d < D; d++) {
        const v = this.features[row * D + d]!
        if (!Number.isFinite(v)) throw new Error(`MlpModel(${this.modality}): subject row ${row} has no finite features (modality missing?)`)
        x[i * D + d] = v
      }
    })
    const acts: Float64Array[] = [x]
    let h = x
    this.layers.forEach((L, l) => {
      const out = new Float64Array(B * L.outSize)
      for (let i = 0; i < B; i++) {
        for (let o = 0; o < L.outSize; o++) out[i * L.outSize + o] = L.b[o]!
        for (let k = 0; k < L.inSize; k++) {
          const hv = h[i * L.inSize + k]!
          if (hv === 0) continue
          const wRow = k * L.outSize
          for (let o = 0; o < L.outSize; o++) out[i * L.outSize + o] += hv * L.W[wRow + o]!
        }
      }
      const isLast = l === this.layers.length - 1
      if (!isLast) {
        for (let k = 0; k < out.length; k++) if (out[k]! < 0) out[k] = 0
        acts.push(out)
      }
      h = out
    })
    // log-softmax of the logits h
    const C = this.numClasses
    const logProbs = new Float64Array(B * C)
    for (let i = 0; i < B; i++) {
      let mx = -Infinity
      for (let c = 0; c < C; c++) mx = Math.max(mx, h[i * C + c]!)
      let s = 0
      for (let c = 0; c < C; c++) s += Math.exp(h[i * C + c]! - mx)
      const lse = mx + Math.log(s)
      for (let c = 0; c < C; c++) logProbs[i * C + c] = h[i * C + c]! - lse
    }
    return { acts, logProbs }
  }

  /** Back-propagates dLoss/dlogProbs and takes one Adam step. */
  private backwardAndStep(acts: Float64Array[], logProbs: Float64Array, gLog: ArrayLike<number>, B: number, lr: number): void {
    const C = this.numClasses
    // Through log-softmax: dz = g - softmax * sum_c g.
    let delta = new Float64Array(B * C)
    for (let i = 0; i < B; i++) {
      let gs = 0
      for (let c = 0; c < C; c++) gs += gLog[i * C + c]!
      for (let c = 0; c < C; c++) delta[i * C + c] = gLog[i * C + c]! - Math.exp(logProbs[i * C + c]!) * gs
    }
    const gradsW: Float64Array[] = []
    const gradsB: Float64Array[] = []
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const L = this.layers[l]!
      const a = acts[l]!
      const gW = new Float64Array(L.inSize * L.outSize)
      const gb = new Float64Array(L.outSize)
      for (let i = 0; i < B; i++) {
        for (let o = 0; o < L.outSize; o++) gb[o] += delta[i * L.outSize + o]!
        for (let k = 0; k < L.inSize; k++) {
          const av = a[i * L.inSize + k]!
          if (av === 0) continue
          for (let o = 0; o < L.outSize; o++) gW[k * L.outSize + o] += av * delta[i * L.outSize + o]!
        }
      }
      if (this.weightDecay) for (let k = 0; k < gW.length; k++) gW[k] += this.weightDecay * L.W[k]!
      gradsW[l] = gW
      gradsB[l] = gb
      if (l > 0) {
        const prev = new Float64Array(B * L.inSize)
        for (let i = 0; i < B; i++) {
          for (let k = 0; k < L.inSize; k++) {
            if (a[i * L.inSize + k]! <= 0) continue // ReLU derivative
            let s = 0
            for (let o = 0; o < L.outSize; o++) s += L.W[k * L.outSize + o]! * delta[i * L.outSize + o]!
            prev[i * L.inSize + k] = s
          }
        }
        delta = prev
      }
    }
    this.step++
    const b1 = this.beta1
    const b2 = this.beta2
    const c1 = 1 - Math.pow(b1, this.step)
    const c2 = 1 - Math.pow(b2, this.step)
    const adam = (p: Float32Array, m: Float32Array, v: Float32Array, g: Float64Array): void => {
      for (let k = 0; k < p.length; k++) {
        const mk = b1 * m[k]! + (1 - b1) * g[k]!
        const vk = b2 * v[k]! + (1 - b2) * g[k]! * g[k]!
        m[k] = mk
        v[k] = vk
        p[k] = p[k]! - (lr * (mk / c1)) / (Math.sqrt(vk / c2) + this.epsilon)
      }
    }
    this.layers.forEach((L, l) => {
      adam(L.W, L.mW, L.vW, gradsW[l]!)
      adam(L.b, L.mb, L.vb, gradsB[l]!)
    })
  }

  async predictLogProbs(indices: readonly number[]): Promise<Float32Array> {
    return Float32Array.from(this.forward(indices).logProbs)
  }

  async ceStep(indices: readonly number[], labels: readonly number[], lr: number): Promise<number> {
    if (labels.length !== indices.length) throw new Error(`MlpModel(${this.modality}).ceStep: ${indices.length} rows but ${labels.length} labels`)
    const B = indices.length
    const C = this.numClasses
    const { acts, logProbs } = this.forward(indices)
    const g = new Float64Array(B * C)
    let loss = 0
    labels.forEach((y, i) => {
      if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`MlpModel(${this.modality}).ceStep: label ${y} is not in 0..${C - 1}`)
      loss -= logProbs[i * C + y]!
      g[i * C + y] = -1 / B
    })
    this.backwardAndStep(acts, logProbs, g, B, lr)
    return loss / B
  }

  async tcForward(indices: readonly number[]): Promise<Float32Array> {
    const { acts, logProbs } = this.forward(indices)
    this.pending = { acts, logProbs, B: indices.length }
    return Float32Array.from(logProbs)
  }

  async tcBackward(gradLogProbs: Float32Array, lr: number): Promise<void> {
    const p = this.pending
    if (!p) throw new Error(`MlpModel(${this.modality}).tcBackward: no tcForward to back-propagate through`)
    if (gradLogProbs.length !== p.B * this.numClasses) {
      throw new Error(`MlpModel(${this.modality}).tcBackward: gradient has ${gradLogProbs.length} values, expected ${p.B * this.numClasses}`)
    }
    this.pending = null
    this.backwardAndStep(p.acts, p.logProbs, gradLogProbs, p.B, lr)
  }

  async getState(): Promise<ModelState> {
    const tensors: ModelState['tensors'] = {}
    this.layers.forEach((L, l) => {
      const w = [L.inSize, L.outSize]
      const b = [L.outSize]
      tensors[`layer${l}.W`] = { shape: w, data: L.W.slice() }
      tensors[`layer${l}.b`] = { shape: b, data: L.b.slice() }
      tensors[`layer${l}.W.adam_m`] = { shape: w, data: L.mW.slice() }
      tensors[`layer${l}.W.adam_v`] = { shape: w, data: L.vW.slice() }
      tensors[`layer${l}.b.adam_m`] = { shape: b, data: L.mb.slice() }
      tensors[`layer${l}.b.adam_v`] = { shape: b, data: L.vb.slice() }
    })
    return {
      tensors,
      meta: { kind: 'mlp', hidden: this.hidden, numFeatures: this.numFeatures, numClasses: this.numClasses, step: this.step, rng: this.rng.getState() }
    }
  }

  async setState(state: ModelState): Promise<void> {
    const meta = state.meta
    const hidden = meta.hidden as number[] | undefined
    if (
      meta.kind !== 'mlp' ||
      meta.numFeatures !== this.numFeatures ||
      meta.numClasses !== this.numClasses ||
      JSON.stringify(hidden) !== JSON.stringify(this.hidden)
    ) {
      throw new Error(
        `MlpModel(${this.modality}).setState: state is for ${String(meta.kind)} ${String(meta.numFeatures)} -> [${String(hidden)}] -> ${String(meta.numClasses)}, ` +
          `this model is ${this.numFeatures} -> [${this.hidden.join(',')}] -> ${this.numClasses}`
      )
    }
    this.layers.forEach((L, l) => {
      const put = (name: string, dst: Float32Array): void => {
        const t = state.tensors[name]
        if (!t || t.data.length !== dst.length) throw new Error(`MlpModel(${this.modality}).setState: tensor ${name} missing or of the wrong size`)
        dst.set(t.data)
      }
      put(`layer${l}.W`, L.W)
      put(`layer${l}.b`, L.b)
      put(`layer${l}.W.adam_m`, L.mW)
      put(`layer${l}.W.adam_v`, L.vW)
      put(`layer${l}.b.adam_m`, L.mb)
      put(`layer${l}.b.adam_v`, L.vb)
    })
    this.step = meta.step as number
    this.rng = new Rng(meta.rng as RngState)
    this.pending = null
  }

  async dispose(): Promise<void> {
    this.pending = null
  }
}
