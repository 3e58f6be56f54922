/**
 * Fast numeric kernels for the from-scratch autograd engine: GEMM, im2col
 * convolution and pooling, all on contiguous row-major `Float32Array`s.
 *
 * @module
 */

export {
  gemm,
  type GemmKernel,
  gemmKernel,
  gemmThreads,
  gemmWorkerReady,
  KC,
  MC,
  MR,
  NC,
  NR,
  setGemmKernel,
  setGemmThreads,
} from "./matmul.ts";
export {
  avgPool2dBackward,
  avgPool2dForward,
  col2im,
  conv2dBackward,
  conv2dForward,
  conv2dOutputSize,
  im2col,
  maxPool2dBackward,
  maxPool2dForward,
  type Shape4,
} from "./conv.ts";
export { batchNormBackward, batchNormForward } from "./batchnorm.ts";
