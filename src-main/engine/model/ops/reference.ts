/** The straightforward implementation: tf.conv3d and autograd. Correct on cpu and native
 *  TensorFlow (not on wasm, whose Conv3DBackpropInputV2 is wrong in tfjs 4.22). */
import * as tf from '@tensorflow/tfjs'
import { BN_EPSILON, type NetOps } from './types'

export function createReferenceOps(): NetOps {
  return {
    name: 'reference',
    concatPieces: true,
    conv3: (x, w) => tf.conv3d(x, w, 1, 'same'),
    pool2: (x) => tf.avgPool3d(x, 2, 2, 'valid'),
    conv3Pool2: (x, w) => tf.avgPool3d(tf.conv3d(x, w, 1, 'same'), 2, 2, 'valid'),
    conv1: (x, w) => tf.conv3d(x, w.reshape([1, 1, 1, w.shape[0], w.shape[1]]) as tf.Tensor5D, 1, 'valid'),
    bnReluTrain: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2, 3])
      const y = tf.relu(tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPSILON))), gamma), beta)) as tf.Tensor5D
      return {
        y,
        stats: { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D, count: x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3] }
      }
    },
    dispose: () => {}
  }
}
