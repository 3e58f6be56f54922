/**
 * `Sum` and `Mean` for the wasm backend with adjacent axes merged first, and column reductions as
 * one TypeScript pass over the wasm heap.
 *
 * Stock wasm 4.22.0 reduces over non-innermost axes by first transposing the input, and its
 * transpose is slow above rank 4: the bias gradient of a 3-D conv layer (`sum` of `[N, D, H, W, C]`
 * over the first four axes) took ~120 ms for 8x32³x8. Merging runs of adjacent reduced / kept axes
 * turns every bias gradient and every batch-norm statistic into a rank-2 reduction `[rows, C]` over
 * axis 0 (column sums), which {@link columnSums} does in one sequential pass. (An earlier version
 * used an XNNPACK matrix-vector product with a row of ones; XNNPACK re-packs the big operand as
 * "weights" on every call, which cost ~100x more than the sums themselves at 16384x128.)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasm, runOps, type TensorInfo, wasmKernelBase } from "./kernel_util.ts";

/** Merges adjacent axes with the same reduced/kept status: the collapsed shape and axes. */
export function collapseAxes(shape: number[], axes: number[]): { shape: number[]; axes: number[] } {
  const reduced = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const outShape: number[] = [];
  const outAxes: number[] = [];
  let prev: boolean | null = null;
  shape.forEach((d, i) => {
    const r = reduced.has(i);
    if (r === prev) {
      outShape[outShape.length - 1] *= d;
    } else {
      outShape.push(d);
      if (r) outAxes.push(outShape.length - 1);
      prev = r;
    }
  });
  return { shape: outShape, axes: outAxes };
}

/**
 * Column sums of a row-major `[rows, cols]` matrix, accumulated in float64, times `scale`.
 *
 * @param x the matrix
 * @param rows its rows
 * @param cols its columns
 * @param out receives `scale · Σ_r x[r, c]` for each column `c`
 * @param scale multiplies every sum (1 for `Sum`, `1/rows` for `Mean`)
 */
export function columnSums(
  x: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  scale = 1,
): void {
  const acc = new Float64Array(cols);
  let i = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) acc[c] += x[i++];
  }
  for (let c = 0; c < cols; c++) out[c] = acc[c] * scale;
}

function reduceConfig(kernelName: "Sum" | "Mean", original: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase(kernelName, original),
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      const rank = x.shape.length;
      const axes = (axis == null ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis])
        .map((a) => (a < 0 ? a + rank : a));
      const c = collapseAxes(x.shape, axes);
      const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
      if (c.shape.length === 2 && c.axes.length === 1 && c.axes[0] === 0 && x.dtype === "float32") {
        // Column sums (every bias gradient, every batch-norm statistic).
        const [m, n] = c.shape;
        const wasm = asWasm(args.backend);
        const out = wasm.makeOutput(outShape, "float32");
        const scale = kernelName === "Mean" ? 1 / m : 1;
        columnSums(
          wasm.typedArrayFromHeap(x) as Float32Array,
          m,
          n,
          wasm.typedArrayFromHeap(out) as Float32Array,
          scale,
        );
        return out;
      }
      if (rank <= 4 || c.shape.length === rank || axes.length === 0) {
        return original.kernelFunc(args);
      }
      const op = kernelName === "Mean" ? tf.mean : tf.sum;
      return runOps(
        args.backend,
        [x],
        (t) => tf.reshape(op(tf.reshape(t, c.shape), c.axes), outShape),
      );
    },
  };
}

/**
 * Wraps the original wasm `Sum`, collapsing adjacent axes when that lowers the rank.
 *
 * @param original the wasm backend's own `Sum` kernel config
 */
export function sumConfig(original: tf.KernelConfig): tf.KernelConfig {
  return reduceConfig("Sum", original);
}

/**
 * Wraps the original wasm `Mean` the same way (batch-norm statistics are column means).
 *
 * @param original the wasm backend's own `Mean` kernel config
 */
export function meanConfig(original: tf.KernelConfig): tf.KernelConfig {
  return reduceConfig("Mean", original);
}
