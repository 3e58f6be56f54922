/**
 * Matmul kernels for the wasm backend.
 *
 * Stock wasm 4.22.0 sends a matmul to XNNPACK only when neither operand is transposed; with
 * `transposeA` or `transposeB` it runs plain C++ loops, 10-30x slower (512x512: 9 ms vs 120-270 ms).
 * Every dense layer's backward pass uses transposed matmuls, so we transpose explicitly with the fast
 * `Transpose` kernel and call the original kernel without transpose flags. Stock `_FusedMatMul`
 * also adds its bias to the first matrix of a batch only; batched calls with a bias are unfused.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { runOps, type TensorInfo, wasmKernelBase } from "./kernel_util.ts";

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/**
 * Wraps the original wasm `BatchMatMul` so transposed operands are transposed explicitly first.
 *
 * @param original the wasm backend's own `BatchMatMul` kernel config
 */
export function batchMatMulConfig(original: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase("BatchMatMul", original),
    kernelFunc: (args) => {
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      return runOps(
        args.backend,
        [a, b],
        (ta, tb) => tf.matMul(transposeA ? swapLast(ta) : ta, transposeB ? swapLast(tb) : tb),
      );
    },
  };
}

/** Applies a tfjs fused-op activation by name. */
function activate(
  x: tf.Tensor,
  activation: string | undefined,
  prelu: tf.Tensor | undefined,
  alpha: number | undefined,
): tf.Tensor {
  switch (activation ?? "linear") {
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "relu6":
      return tf.relu6(x);
    case "elu":
      return tf.elu(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "leakyrelu":
      return tf.leakyRelu(x, alpha ?? 0.2);
    case "prelu":
      return tf.prelu(x, prelu as tf.Tensor);
    default:
      throw new Error(`_FusedMatMul (lib/tfjs wasm patch): unknown activation ${activation}`);
  }
}

const batchOf = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, q) => p * q, 1);

/**
 * Wraps the original wasm `_FusedMatMul` (matmul + bias + activation). Besides the slow transposed
 * case, stock wasm adds the bias only to the first matrix of a batch (batch > 1 gives wrong
 * results); both cases run as an explicit matmul, bias add and activation.
 *
 * @param original the wasm backend's own `_FusedMatMul` kernel config
 */
export function fusedMatMulConfig(original: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase("_FusedMatMul", original),
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
      const { a, b, bias, preluActivationWeights } = args.inputs as {
        a: TensorInfo;
        b: TensorInfo;
        bias?: TensorInfo;
        preluActivationWeights?: TensorInfo;
      };
      const batched = bias != null && Math.max(batchOf(a), batchOf(b)) > 1;
      if (!attrs.transposeA && !attrs.transposeB && !batched) return original.kernelFunc(args);
      const extra = [bias, preluActivationWeights].filter((t): t is TensorInfo => t != null);
      return runOps(args.backend, [a, b, ...extra], (ta, tb, ...rest) => {
        let i = 0;
        const tBias = bias != null ? rest[i++] : undefined;
        const tPrelu = preluActivationWeights != null ? rest[i++] : undefined;
        let y = tf.matMul(
          attrs.transposeA ? swapLast(ta) : ta,
          attrs.transposeB ? swapLast(tb) : tb,
        );
        if (tBias != null) y = tf.add(y, tBias);
        return activate(y, attrs.activation, tPrelu, attrs.leakyreluAlpha);
      });
    },
  };
}
