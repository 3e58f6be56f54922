/**
 * Re-registers the wasm kernels that TensorFlow.js 4.22.0 ships missing, wrong or slow.
 *
 * Measured under Deno 2.9.6 with `@tensorflow/tfjs-backend-wasm@4.22.0` (SIMD, one thread); each
 * problem was reproduced by comparing wasm with the cpu backend and with the float64 references in
 * `reference.ts` (see `patches_test.ts`):
 *
 * | kernel | problem | replacement |
 * | --- | --- | --- |
 * | `Conv2DBackpropFilter` | missing: `Conv2D` layers throw in `fit` | im2col + XNNPACK matmul |
 * | `DepthwiseConv2dNativeBackpropInput` | missing: depthwise/separable layers throw | flipped-filter depthwise conv |
 * | `DepthwiseConv2dNativeBackpropFilter` | missing | per-tap `sum(view × dy)` |
 * | `Conv2DBackpropInput` | slow C++ loops (~12x the forward conv) | flipped-filter XNNPACK conv |
 * | `Conv3D` | slow C++ loops | depth im2col + one XNNPACK 2-D conv |
 * | `Conv3DBackpropInputV2` | wrong for channels > 1 or stride > 1 | flipped-filter `Conv3D` |
 * | `Conv3DBackpropFilterV2` | wrong for stride > 1 | depth im2col + 2-D filter gradient |
 * | `MaxPool3D` | ~1.18e-38 for all-negative windows | TypeScript loops |
 * | `MaxPoolGrad`, `MaxPool3DGrad` | wrong element for all-negative windows | TypeScript loops |
 * | `BatchMatMul`, `_FusedMatMul` | transposed operands run C++ loops (10-30x) | explicit transpose |
 * | `_FusedMatMul` | wrong with a bias and batch > 1 (bias on first matrix only) | unfused ops |
 * | `Sum`, `Mean` | slow over leading axes (transpose first; 3-D conv bias gradient: ~120 ms) | merge axes; column sums in one pass |
 * | `FusedBatchNorm` gradient | builds `dx` with `Tile`, a slow C++ loop (~40% of a CNN step) | one-pass fused kernel `BookFusedBatchNormGrad` |
 * | `Equal` | broadcasting costs ~120 ns per element (global max pooling's gradient: 5% of a step) | one loop over the inner axis |
 *
 * Known tfjs limits that remain on every backend: no gradient for dilated depthwise/separable
 * convolutions, and `tf.layers.batchNormalization` refuses 5-D input (reshape to 4-D around it).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { batchMatMulConfig, fusedMatMulConfig } from "./kernels_matmul.ts";
import {
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
} from "./kernels_conv2d.ts";
import {
  conv3DBackpropFilterConfig,
  conv3DBackpropInputConfig,
  conv3DConfig,
} from "./kernels_conv3d.ts";
import { maxPool3DConfig, maxPool3DGradConfig, maxPoolGradConfig } from "./kernels_pool.ts";
import { meanConfig, sumConfig } from "./kernels_reduce.ts";
import { equalConfig } from "./kernels_compare.ts";
import {
  BATCH_NORM_GRAD,
  batchNormGradConfig,
  registerBatchNormGradient,
} from "./kernels_batchnorm.ts";

/** Why a kernel is re-registered. */
export type PatchReason = "missing" | "wrong" | "slow";

/** One re-registered wasm kernel. */
export interface KernelPatch {
  /** tfjs kernel name. */
  kernelName: string;
  /** What is wrong with the stock kernel. */
  reason: PatchReason;
  /** Builds the replacement, given the stock config when there is one. */
  make: (original: tf.KernelConfig | undefined) => tf.KernelConfig;
}

/** Every kernel this module re-registers for the wasm backend. */
export const KERNEL_PATCHES: readonly KernelPatch[] = [
  { kernelName: "Conv2DBackpropFilter", reason: "missing", make: () => conv2DBackpropFilterConfig },
  {
    kernelName: "DepthwiseConv2dNativeBackpropInput",
    reason: "missing",
    make: () => depthwiseBackpropInputConfig,
  },
  {
    kernelName: "DepthwiseConv2dNativeBackpropFilter",
    reason: "missing",
    make: () => depthwiseBackpropFilterConfig,
  },
  { kernelName: "Conv2DBackpropInput", reason: "slow", make: (o) => conv2DBackpropInputConfig(o) },
  { kernelName: "Conv3D", reason: "slow", make: (o) => conv3DConfig(o) },
  {
    kernelName: "Conv3DBackpropInputV2",
    reason: "wrong",
    make: (o) => conv3DBackpropInputConfig(o),
  },
  {
    kernelName: "Conv3DBackpropFilterV2",
    reason: "wrong",
    make: (o) => conv3DBackpropFilterConfig(o),
  },
  { kernelName: "MaxPool3D", reason: "wrong", make: () => maxPool3DConfig },
  { kernelName: "MaxPoolGrad", reason: "wrong", make: () => maxPoolGradConfig },
  { kernelName: "MaxPool3DGrad", reason: "wrong", make: () => maxPool3DGradConfig },
  { kernelName: "BatchMatMul", reason: "slow", make: (o) => batchMatMulConfig(required(o)) },
  { kernelName: "_FusedMatMul", reason: "slow", make: (o) => fusedMatMulConfig(required(o)) },
  { kernelName: "Sum", reason: "slow", make: (o) => sumConfig(required(o)) },
  { kernelName: "Mean", reason: "slow", make: (o) => meanConfig(required(o)) },
  { kernelName: "Equal", reason: "slow", make: (o) => equalConfig(required(o)) },
  // Not a stock kernel: the fused batch-norm gradient that `registerBatchNormGradient` calls.
  { kernelName: BATCH_NORM_GRAD, reason: "slow", make: () => batchNormGradConfig },
];

function required(o: tf.KernelConfig | undefined): tf.KernelConfig {
  if (o == null) throw new Error("lib/tfjs: a stock wasm kernel to wrap is not registered");
  return o;
}

const MARK = Symbol.for("deep-learning-in-deno.wasm-patch");

/** True when `patchWasmKernels` has already replaced the wasm kernels in this process. */
export function wasmKernelsPatched(): boolean {
  return KERNEL_PATCHES.every((p) => {
    const k = tf.getKernel(p.kernelName, "wasm") as
      | (tf.KernelConfig & { [MARK]?: true })
      | undefined;
    return k?.[MARK] === true;
  });
}

/**
 * Re-registers every kernel in {@link KERNEL_PATCHES} for the wasm backend, and `FusedBatchNorm`'s
 * gradient (which uses the fused kernel on wasm only). Idempotent. Safe to
 * call before or after `tf.setBackend("wasm")`: wrapped stock kernels keep their setup functions.
 */
export function patchWasmKernels(): void {
  registerBatchNormGradient();
  for (const p of KERNEL_PATCHES) {
    const current = tf.getKernel(p.kernelName, "wasm") as
      | (tf.KernelConfig & { [MARK]?: true })
      | undefined;
    if (current?.[MARK]) continue;
    const config = { ...p.make(current), [MARK]: true as const };
    if (current != null) tf.unregisterKernel(p.kernelName, "wasm");
    tf.registerKernel(config);
  }
}
