/**
 * A fused batch-norm gradient for the wasm backend.
 *
 * tfjs 4.22.0's gradient of `FusedBatchNorm` builds `dL/dx` as `dy · tile(rsqrt(var + ε), [N, H,
 * W, 1]) · scale`, and wasm's `Tile` is a slow C++ loop: in the chapter-1 CNN it was ~40% of the
 * training step. With per-channel statistics (`mean` of shape `[C]`, channels last) every gradient
 * of batch norm `y = (x − μ)·r·γ + β`, `r = 1/√(σ² + ε)` is one sweep over `x` and `dy`:
 *
 * - `dL/dx = dy · r·γ` (with `μ` and `σ²` as inputs; their own gradients carry the batch
 *   dependence back through `tf.moments`, exactly as in the stock gradient)
 * - `dL/dμ = −r·γ · Σ dy`, `dL/dσ² = −½ r³ γ · Σ (x − μ)·dy`
 * - `dL/dγ = r · Σ (x − μ)·dy`, `dL/dβ = Σ dy`
 *
 * {@link registerBatchNormGradient} replaces the op's gradient (gradients are global in tfjs, not
 * per backend): on the wasm backend with per-channel statistics it runs the one-pass kernel
 * {@link BATCH_NORM_GRAD}; everywhere else it runs the stock gradient unchanged.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasm, type TensorInfo, wasmKernelBase } from "./kernel_util.ts";

/** Name of the fused gradient kernel (ours; registered for the wasm backend only). */
export const BATCH_NORM_GRAD = "BookFusedBatchNormGrad";

/**
 * The five gradients of channels-last batch norm in one pass, accumulating sums in float64.
 *
 * @param x input `[rows, C]` (every axis but the last flattened into rows)
 * @param dy output gradient, same layout
 * @param mean per-channel mean `[C]`
 * @param variance per-channel variance `[C]`
 * @param scale per-channel γ `[C]`, or null for γ = 1
 * @param eps the ε added to the variance
 * @param out `dx` (like `x`) and `dMean`, `dVariance`, `dScale`, `dOffset` (each `[C]`), written
 */
export function batchNormGrad(
  x: Float32Array,
  dy: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  scale: Float32Array | null,
  eps: number,
  out: {
    dx: Float32Array;
    dMean: Float32Array;
    dVariance: Float32Array;
    dScale: Float32Array;
    dOffset: Float32Array;
  },
): void {
  const c = mean.length, rows = x.length / c;
  const r = new Float64Array(c), k = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    r[j] = 1 / Math.sqrt(variance[j] + eps);
    k[j] = r[j] * (scale ? scale[j] : 1);
  }
  const sumDy = new Float64Array(c), sumXmDy = new Float64Array(c);
  const dx = out.dx;
  let i = 0;
  for (let row = 0; row < rows; row++) {
    for (let j = 0; j < c; j++, i++) {
      const g = dy[i];
      sumDy[j] += g;
      sumXmDy[j] += (x[i] - mean[j]) * g;
      dx[i] = g * k[j];
    }
  }
  for (let j = 0; j < c; j++) {
    out.dMean[j] = -k[j] * sumDy[j];
    out.dVariance[j] = -0.5 * r[j] * r[j] * k[j] * sumXmDy[j];
    out.dScale[j] = r[j] * sumXmDy[j];
    out.dOffset[j] = sumDy[j];
  }
}

/** The wasm kernel config of {@link BATCH_NORM_GRAD}: outputs `[dx, dMean, dVariance, dScale, dOffset]`. */
export const batchNormGradConfig: tf.KernelConfig = {
  ...wasmKernelBase(BATCH_NORM_GRAD),
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy, mean, variance, scale } = inputs as Record<string, TensorInfo | undefined>;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const wasm = asWasm(backend);
    const heap = (t: TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
    const c = mean!.shape[0];
    const outs = [
      wasm.makeOutput(x!.shape, "float32"),
      ...[0, 1, 2, 3].map(() => wasm.makeOutput([c], "float32")),
    ];
    const [dx, dMean, dVariance, dScale, dOffset] = outs.map(heap);
    batchNormGrad(
      heap(x!),
      heap(dy!),
      heap(mean!),
      heap(variance!),
      scale ? heap(scale) : null,
      varianceEpsilon,
      { dx, dMean, dVariance, dScale, dOffset },
    );
    return outs;
  },
};

const MARK = Symbol.for("deep-learning-in-deno.batch-norm-grad");

/**
 * Replaces `FusedBatchNorm`'s gradient with one that uses {@link BATCH_NORM_GRAD} on the wasm
 * backend when the statistics are per channel of a channels-last float32 input. Idempotent.
 */
export function registerBatchNormGradient(): void {
  const stock = tf.getGradient("FusedBatchNorm") as tf.GradConfig & { [MARK]?: true };
  if (stock?.[MARK]) return;
  const config: tf.GradConfig & { [MARK]: true } = {
    kernelName: "FusedBatchNorm",
    inputsToSave: ["x", "mean", "variance", "scale"],
    [MARK]: true,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const dyT = dy as tf.Tensor;
      const channels = x.shape[x.rank - 1];
      const fused = tf.getBackend() === "wasm" && mean.rank === 1 && variance.rank === 1 &&
        mean.shape[0] === channels && variance.shape[0] === channels &&
        (scale == null || (scale.rank === 1 && scale.shape[0] === channels)) &&
        x.dtype === "float32" && dyT.dtype === "float32" && x.shape.join() === dyT.shape.join();
      if (!fused) return stock.gradFunc(dy, saved, attrs);
      const inputs: tf.NamedTensorMap = { x, dy: dyT, mean, variance };
      if (scale != null) inputs.scale = scale;
      const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(
        BATCH_NORM_GRAD,
        inputs,
        { varianceEpsilon: (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon },
      ) as tf.Tensor[];
      return {
        x: () => dx,
        mean: () => dMean,
        variance: () => dVariance,
        scale: () => dScale,
        offset: () => dOffset,
      };
    },
  };
  tf.registerGradient(config);
}
