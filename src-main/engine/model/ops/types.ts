/**
 * The few operations the 3D DenseNet is made of, in two interchangeable implementations with
 * the same maths: `reference` (tf.conv3d, autograd; right for native TensorFlow and as the test
 * oracle) and `fast` (conv2d/matMul with hand-written gradients; 10-50x faster on the wasm and
 * cpu backends, where tf.conv3d is a scalar loop and its wasm input gradient is wrong).
 *
 * Activations are NDHWC: [N, D, H, W, C] with D = NIfTI k (z), H = j (y), W = i (x).
 */
import type * as tf from '@tensorflow/tfjs'

/** Batch statistics of one BN application (training mode), each [C]; the biased variance. */
export interface BatchStats {
  mean: tf.Tensor1D
  variance: tf.Tensor1D
  /** Values per channel the statistics were taken over: N*D*H*W of the whole batch, also when
   *  the batch is split over data-parallel replicas. */
  count: number
}

/** Sums per-channel values over the data-parallel replicas of a network (synchronously: it runs
 *  inside the forward and backward passes); absent when one process holds the whole batch. */
export type StatsSum = (values: Float64Array) => Float64Array

export const BN_EPSILON = 1e-5

export interface NetOps {
  readonly name: 'fast' | 'reference'
  /** Whether a dense block concatenates its feature maps (reference) or keeps them as a list
   *  of pieces, BN/ReLU/conv1^3 over a concatenation being the sum over its pieces (fast). */
  readonly concatPieces: boolean

  /** 3x3x3 convolution, stride 1, zero "same" padding, no bias.
   *  x [N,D,H,W,C], w [3,3,3,C,F] (kd, kh, kw, in, out as tf.conv3d) -> [N,D,H,W,F].
   *  inputGrad false treats x as a constant (the network input): its gradient is not computed. */
  conv3(x: tf.Tensor5D, w: tf.Tensor5D, inputGrad: boolean): tf.Tensor5D

  /** 2x2x2 average pooling, stride 2, no padding (an odd last row is dropped):
   *  [N,D,H,W,C] -> [N,floor(D/2),floor(H/2),floor(W/2),C]. */
  pool2(x: tf.Tensor5D): tf.Tensor5D

  /** pool2(conv3(x, w)), the stem's convolution and pool: [N,D,H,W,C] -> [N,floor(D/2),floor(H/2),
   *  floor(W/2),F]. The fast ops compute it as one stride-2 convolution. */
  conv3Pool2(x: tf.Tensor5D, w: tf.Tensor5D, inputGrad: boolean): tf.Tensor5D

  /** 1x1x1 convolution: x [N,D,H,W,C], w [C,F] -> [N,D,H,W,F]. */
  conv1(x: tf.Tensor5D, w: tf.Tensor2D): tf.Tensor5D

  /** Training-mode BN (batch statistics over N,D,H,W) followed by ReLU. The batch statistics
   *  are returned for the running averages, kept outside any tidy: the caller disposes them.
   *  With data-parallel replicas (the fast ops built with a StatsSum) the statistics are those of
   *  the whole batch across replicas, in the forward and in the backward pass. */
  bnReluTrain(x: tf.Tensor5D, gamma: tf.Tensor1D, beta: tf.Tensor1D): { y: tf.Tensor5D; stats: BatchStats }

  /** Frees the constants the implementation cached. */
  dispose(): void
}
