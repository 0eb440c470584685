// The fast ops' own WebAssembly kernels (SIMD), compiled by src-wasm/build.mjs into
// src-main/engine/model/ops/fast/wasm/kernels-binary.ts. They run on tfjs's wasm backend's
// memory, imported: no static data, no allocation (the output tensors are tfjs's).
export { channelSums, bnReluApply, bnReluGradSums, bnReluGradApply } from './bn-relu'
export { parityInterleave } from './parity'
export { reverseAxes3, swapLeading3 } from './permute'
export { stackDepthTaps } from './stack'
