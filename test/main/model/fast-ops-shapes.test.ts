/**
 * The fast ops check their operands at the boundary: a wrong shape is refused with a message that
 * names the op, the expected shape and the one received, before any kernel runs.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFastOps } from '../../../src-main/engine/model/ops/fast'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const fast = createFastOps()
afterAll(() => fast.dispose())

describe('fast ops shape checks', () => {
  it('conv3 and conv3Pool2 refuse a kernel whose input channels differ from x', () => {
    const x = tf.zeros([1, 4, 4, 4, 2]) as tf.Tensor5D
    const w = tf.zeros([3, 3, 3, 3, 5]) as tf.Tensor5D
    expect(() => fast.conv3(x, w, true)).toThrow('conv3: w must have shape [3,3,3,2,*], got [3,3,3,3,5]')
    expect(() => fast.conv3Pool2(x, w, false)).toThrow('conv3Pool2: w must have shape [3,3,3,2,*], got [3,3,3,3,5]')
    expect(() => fast.conv3(x, tf.zeros([3, 3, 2, 5]) as unknown as tf.Tensor5D, true)).toThrow('conv3: w must have shape [3,3,3,2,*], got [3,3,2,5]')
  })

  it('refuses an input that is not [N,D,H,W,C] and a volume too small to pool', () => {
    const x4 = tf.zeros([4, 4, 4, 2]) as unknown as tf.Tensor5D
    expect(() => fast.pool2(x4)).toThrow('pool2: x must have shape [*,*,*,*,*], got [4,4,4,2]')
    expect(() => fast.conv1(x4, tf.zeros([2, 3]) as tf.Tensor2D)).toThrow('conv1: x must have shape [*,*,*,*,*], got [4,4,4,2]')
    expect(() => fast.pool2(tf.zeros([1, 1, 4, 4, 2]) as tf.Tensor5D)).toThrow('pool2: input [1,1,4,4,2] is too small to pool by 2')
  })

  it('conv1 and bnReluTrain refuse parameters of another channel count', () => {
    const x = tf.zeros([1, 2, 2, 2, 3]) as tf.Tensor5D
    expect(() => fast.conv1(x, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow('conv1: w must have shape [3,*], got [4,2]')
    expect(() => fast.bnReluTrain(x, tf.ones([4]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D)).toThrow('bnReluTrain: gamma must have shape [3], got [4]')
    expect(() => fast.bnReluTrain(x, tf.ones([3]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D)).toThrow('bnReluTrain: beta must have shape [3], got [2]')
  })
})
