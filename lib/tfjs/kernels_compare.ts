/**
 * `Equal` with broadcasting for the wasm backend.
 *
 * The stock wasm kernel computes a broadcast comparison with a generic index computation per
 * element (~120 ns each): the gradient of a global max pooling, `x == max(x)` on a
 * `[32, 4, 4, 256]` activation against `[32, 1, 1, 256]`, took 16 ms, 5% of chapter 2's training
 * step. Here the broadcast operand's index advances with the output's in one loop over the
 * innermost axis (~1 ns per element). Equal shapes keep the stock kernel.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { asWasm, type TensorInfo, wasmKernelBase } from "./kernel_util.ts";

/** Strides of `shape` aligned to the right of an output of rank `rank`, 0 on broadcast axes. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 && outShape[axis] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** NumPy's broadcast of two shapes; throws on incompatible axes. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1, y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(`Equal: shapes [${a}] and [${b}] do not broadcast`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * `out[i] = a[ia] === b[ib] ? 1 : 0` over the broadcast of `aShape` and `bShape` (IEEE equality:
 * NaN never equals, +0 equals -0).
 */
export function equalBroadcastLoops(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  out: Uint8Array,
  outShape: readonly number[],
): void {
  const rank = outShape.length;
  if (rank === 0) {
    out[0] = a[0] === b[0] ? 1 : 0;
    return;
  }
  const sa = broadcastStrides(aShape, outShape), sb = broadcastStrides(bShape, outShape);
  const inner = outShape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
  const outer = out.length / Math.max(inner, 1);
  const index = new Array<number>(rank - 1).fill(0);
  let pa = 0, pb = 0, po = 0;
  for (let r = 0; r < outer; r++) {
    for (let j = 0, ja = pa, jb = pb; j < inner; j++, ja += ia, jb += ib) {
      out[po++] = a[ja] === b[jb] ? 1 : 0;
    }
    // Advance the outer index like an odometer, moving both operands' offsets with it.
    for (let axis = rank - 2; axis >= 0; axis--) {
      pa += sa[axis];
      pb += sb[axis];
      if (++index[axis] < outShape[axis]) break;
      pa -= sa[axis] * outShape[axis];
      pb -= sb[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
}

/** The `Equal` kernel: the stock one for equal shapes, {@link equalBroadcastLoops} otherwise. */
export function equalConfig(original: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase("Equal", original),
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const same = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
      if (same || a.dtype !== b.dtype || a.dtype === "string" || a.dtype === "complex64") {
        return original.kernelFunc(args);
      }
      const wasm = asWasm(args.backend);
      const outShape = broadcastShape(a.shape, b.shape);
      const out = wasm.makeOutput(outShape, "bool");
      const heap = (t: TensorInfo) => wasm.typedArrayFromHeap(t) as ArrayLike<number>;
      equalBroadcastLoops(
        heap(a),
        a.shape,
        heap(b),
        b.shape,
        wasm.typedArrayFromHeap(out) as Uint8Array,
        outShape,
      );
      return out;
    },
  };
}
