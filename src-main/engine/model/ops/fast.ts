/**
 * The fast path for the CPU backends (wasm above all): ops that map to XNNPACK kernels on wasm,
 * with backward passes written as forward ops, because on wasm tf.conv3d is a scalar loop (about
 * 0.3 GFLOPS, and its input gradient is wrong in tfjs 4.22), Conv2DBackpropFilter is not
 * registered and Conv2DBackpropInput is a plain loop, while Conv2D runs at 12-16 GFLOPS on one
 * core here (the SIMD build is the one loaded under Node; threads are off there, so the two
 * modality networks train in two processes). tfjs's own non-XNNPACK kernels are slow by
 * comparison: Mul/Add/Sub/Relu/FusedBatchNorm 1-9 ns per value, Transpose up to 10, Slice copies
 * its whole input first, rank-5 Slice/Transpose/Reverse run generic element loops, Identity and
 * same-dtype Cast copy, and every kernel call costs 10-30 us of JavaScript. Hence, measured on
 * wasm (tfjs 4.22, Node 20, 2-core AMD EPYC, small preset, batch 16; the machine was shared, so
 * every change was kept on an interleaved A/B in one process, by CPU time):
 *
 * - 3x3x3 convolution = one conv2d over [N*D, H, W, *] plus the depth taps, put on whichever side
 *   (input or output) has fewer channels:
 *   - input side: stackDepth copies the depth neighbours d-1, d, d+1 into channels (3c+t) by a
 *     conv2d over the (D, H*W*C) plane whose channels are PAIRS of neighbouring values, with a
 *     one-hot [3,1,2,6] kernel (stem, 5.5M stacked values: 22 ms, against 38 ms with single
 *     values and 41 ms with the one-hot [3,1,C,3C] kernel used before, whose cost grew as C^2);
 *     then one conv2d with a [3,3,3C,F] kernel;
 *   - output side: one conv2d with a [3,3,C,3F] kernel, then the taps summed by the same kind of
 *     conv2d ([3,1,6,2]).
 *   Backward: dx is the same convolution of dy with the kernel flipped and in/out swapped; dW is a
 *   conv2d whose "batch" is the stacked channels and whose "filter" is dy (stride 1, padding 1, so
 *   the output is the 3x3 kernel window), or the other way round when there are fewer stacked
 *   channels than F (the first convolution: 6 vs 16; 1.1x faster). The depth-stacked input of the
 *   forward pass is kept for dW instead of being stacked again, and when dx stacks dy, dW uses
 *   that stack.
 * - A 3x3x3 convolution followed by the 2x2x2 average pool (the stem, conv3Pool2) is ONE
 *   convolution with the 4x4x4 kernel box (x) w and stride 2: 8x fewer outputs at 64/27 the taps,
 *   3.4x fewer multiply-adds in the forward pass and in dW (stem of the small preset at batch 16:
 *   1.58 -> 0.42 GFLOP each; whole step 874 -> 662 ms CPU). The input is stacked along depth with
 *   stride 2 (4 taps); dW is a conv2d dilated by 2 whose filter is the pooled gradient; dx goes
 *   through the pool's gradient and the 3x3x3 input gradient (a stride-2 transposed convolution
 *   would need the 8 output parities interleaved, which no fast wasm kernel does).
 * - The dW convolutions need their operands as [C, H, W, N*D]: a [2,1,0] transpose, done as a 2-D
 *   transpose then a swap of the last two axes (2-3x faster on wasm: 17 vs 49 ms for 3.7M values).
 * - Transposes, slices and reverses are written at rank <= 4, no Slice on large tensors.
 * - 1x1x1 convolution = matMul, with gradients that stay on the no-transpose matMul path.
 * - 2x2x2 average pooling = two 2D average pools ('valid' drops an odd last slice: no slice, whose
 *   rank-5 form took 45 ms for 26k values); its gradient = copies by broadcasting (wasm's
 *   AvgPool3D gradient is a scalar loop, about 5x slower; AvgPoolGrad 2D, Tile, DepthToSpace and
 *   resizeNearestNeighbor measured no faster). AvgPool is called as a kernel, without the Cast
 *   copy tf.avgPool appends.
 * - BN + ReLU fused in one custom gradient: per-channel means by average pools (one window up to
 *   16k values per channel, two levels above for precision), each per-channel affine map (with
 *   the ReLU in the forward pass) as one 1x1 depthwise conv2d kernel with bias (XNNPACK: 1.6-3.9
 *   ns per value, against 4.4-7.2 for mul + add + relu and 6-9 for FusedBatchNorm + relu; called
 *   as a kernel because tf.fused.depthwiseConv2d unfuses itself while a gradient is recorded).
 *   Forward: 3 passes over the activation plus the pools (6 before); 52 kernels forward and
 *   backward (72 before).
 * - On wasm, the fast ops' own WebAssembly SIMD kernels (AssemblyScript in src-wasm/, run as tfjs
 *   kernels of the wasm backend on its own memory: no copies; fast/wasm/kernels.ts) replace what
 *   XNNPACK does badly or not at all (small preset, batch 16, one step, tf.profile, load 0.1-1):
 *   - BN + ReLU (fast/bn-relu-wasm.ts): two sums passes and one affine + ReLU pass forward, one
 *     sums pass and one dx pass backward, only x kept: 2021 -> 938 kernels, 270 -> 214 ms wall;
 *   - the stem's dx of pool2(conv3) as the stride-2 transposed convolution per output parity
 *     (one conv2d [2,2,2F,8C] over the depth-stacked dz, then an interleave kernel): 8 instead of
 *     27 multiply-adds of F x C per input voxel, 54 -> 20 ms;
 *   - the dW operands' permutations in one pass (4x4 SIMD blocks): Transpose 22 -> 8 ms;
 *   - the stride-2 stem's 4-tap depth stack as 4x4 SIMD transposes: 13.7 -> 2.2 ms (A/B, load 6).
 *   The convolutions themselves stay XNNPACK's (measured 16-17 GMAC/s on their good shapes here,
 *   7-11 on the dW shapes; no own convolution kernel was written); on cpu and webgpu the tfjs-op
 *   forms remain.
 * - Custom ops keep what their backward pass needs as reshapes (views) instead of tf.customGrad's
 *   saved clones, which are copies on wasm.
 *
 * Together (small preset, batch 16, one process, wall time, median of 5 steps, the two measured
 * back to back): 1007 -> 513 ms per training step. The stem's conv + pool, formerly about half of
 * the step, is now about a third of it, most of that its dx.
 *
 * Layout (tfjs's habit: op, forward kernels and gradient apart). Each op file checks the shapes
 * of its operands (errors name the op, the expected shape and the one received) and joins its
 * forward and gradient into one custom op (fast/custom-op.ts):
 * - fast/conv3.ts:        conv3       = fast/conv3-forward.ts       + fast/conv3-grad.ts
 * - fast/conv3-pool2.ts:  conv3Pool2  = fast/conv3-pool2-forward.ts + fast/conv3-pool2-grad.ts
 * - fast/pool2.ts:        pool2       (pool2Apply, pool2Grad)
 * - fast/conv1.ts:        conv1       (a matMul; matMulGrads)
 * - fast/bn-relu.ts:      bnReluTrain (bnReluForward, bnReluGrad; on wasm fast/bn-relu-wasm.ts)
 * - fast/wasm/kernels.ts: the own SIMD kernels, registered as tfjs kernels of the wasm backend
 * - fast/kernels.ts: the gradient-free building blocks (pools and depthwise convolutions run as
 *   kernels, transposes at rank <= 3); fast/constants.ts: the constant tensors one instance of
 *   the ops owns.
 */
import type { NetOps, StatsSum } from './types'
import { createBnReluTrain } from './fast/bn-relu'
import { Constants } from './fast/constants'
import { conv1 } from './fast/conv1'
import { createConv3 } from './fast/conv3'
import { createConv3Pool2 } from './fast/conv3-pool2'
import { createPool2 } from './fast/pool2'

/** The fast ops; `dispose` frees the constant tensors they made.
 *  @param options.sumStats given when the batch is split over data-parallel replicas: batch norm
 *    then uses the statistics of the whole batch (fast/bn-relu.ts). */
export function createFastOps(options: { sumStats?: StatsSum } = {}): NetOps {
  const consts = new Constants()
  return {
    name: 'fast',
    concatPieces: false,
    conv3: createConv3(consts),
    conv3Pool2: createConv3Pool2(consts),
    pool2: createPool2(consts),
    conv1,
    bnReluTrain: createBnReluTrain(options.sumStats),
    dispose: () => consts.dispose()
  }
}
