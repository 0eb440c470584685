/**
 * The classifier seen by the TCGM training loop: one per modality, whatever it is inside
 * (an MLP over a feature table, a 3D DenseNet over hippocampal crops, or a proxy to a model that
 * lives in another process so that each modality trains on its own CPU core).
 *
 * The loop never touches tensors of a model: it exchanges plain Float32Arrays. This is what lets
 * the TC step run across processes: each model computes its log-posteriors for a batch, the loop
 * computes the TC gain and its gradient with respect to those log-posteriors (a B x C matrix per
 * modality), and sends that gradient back for each model to back-propagate through its own
 * network (chain rule: dL/dtheta_m = sum_ic dL/dlogH_m[i,c] * dlogH_m[i,c]/dtheta_m).
 *
 * Sample indices refer to the dataset the model was built over (0-based subject rows).
 * Arrays of outputs are row-major [B, C].
 */
export interface ModalityModel {
  readonly modality: string
  readonly numClasses: number

  /** Log-posteriors (log-softmax) in inference mode, no augmentation. Rows follow `indices`. */
  predictLogProbs(indices: readonly number[]): Promise<Float32Array>

  /** One supervised step: mean cross entropy over the batch, Adam with learning rate `lr`.
   *  Returns the loss before the update. */
  ceStep(indices: readonly number[], labels: readonly number[], lr: number): Promise<number>

  /** First half of a TC step: log-posteriors in training mode (augmentation drawn from the
   *  model's seeded generator, batch statistics). The batch input is kept for `tcBackward`. */
  tcForward(indices: readonly number[]): Promise<Float32Array>

  /** Second half: back-propagate `gradLogProbs` (dLoss/dlogH, [B, C], for the batch of the last
   *  `tcForward`) and take one Adam step with learning rate `lr`. */
  tcBackward(gradLogProbs: Float32Array, lr: number): Promise<void>

  /** Optional: recomputes inference-mode normalisation statistics (batch-norm running
   *  statistics) from the subjects `indices`, deterministically. The loop calls it on the
   *  training subjects before every inference pass after training steps. */
  refreshNormStats?(indices: readonly number[]): Promise<void>

  /** Everything needed to resume bit-for-bit: weights, optimiser moments, RNG state. */
  getState(): Promise<ModelState>
  setState(state: ModelState): Promise<void>

  /** What the model is and where it runs (architecture, parameter count, compute backend and
   *  why it was chosen), written into each run's record. Optional: plain JSON. */
  describe?(): Record<string, unknown>

  /** Frees tensors / ends a worker process. */
  dispose(): Promise<void>
}

export interface ModelState {
  /** Named float32 arrays (weights, optimiser slots) with their shapes. */
  tensors: Record<string, { shape: number[]; data: Float32Array }>
  /** Small JSON-able extras: step counters, RNG state, architecture config. */
  meta: Record<string, unknown>
}
