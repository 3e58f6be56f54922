/**
 * Helpers for writing wasm kernels out of other tfjs ops.
 *
 * A tfjs kernel receives `TensorInfo`s (a data id, a shape, a dtype) and must return `TensorInfo`s
 * whose data the engine then owns. Our patched kernels are easiest to write with ordinary tfjs ops
 * (`tf.conv2d`, `tf.transpose`, ...), which dispatch to the wasm backend's own fast kernels.
 * {@link runOps} bridges the two worlds with the backend's reference counts: it wraps each input in
 * a temporary `tf.Tensor` (one extra reference), runs the ops inside `tf.tidy`, and hands the
 * result's data to the engine (one extra reference) before disposing the temporaries. Ops run inside
 * a kernel are not recorded on the gradient tape (tfjs only records at kernel depth 0), so this is
 * invisible to autodiff.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The part of tfjs's `TensorInfo` our kernels use. */
export type TensorInfo = tf.TensorInfo;

/** Pads for one spatial axis: `[before, after]`; a negative value crops instead of padding. */
export type AxisPad = [number, number];

/** A backend whose data can be reference-counted (the wasm backend and the cpu backend are). */
export interface RefCountedBackend {
  /** Adds a reference to `dataId` so that disposing one tensor does not free the data. */
  incRef(dataId: tf.DataId): void;
}

/**
 * The fields of a wasm kernel config other than `kernelFunc`: its name, the backend, and the
 * original kernel's setup/dispose functions when it replaces one (they allocate wasm-side state
 * that the original's callers, e.g. its XNNPACK operator cache, still expect).
 *
 * @param kernelName the tfjs kernel name, e.g. `"Conv2DBackpropInput"`
 * @param original the wasm backend's own config for that kernel, if any
 */
export function wasmKernelBase(
  kernelName: string,
  original?: tf.KernelConfig,
): Omit<tf.KernelConfig, "kernelFunc"> {
  return {
    kernelName,
    backendName: "wasm",
    setupFunc: original?.setupFunc,
    disposeFunc: original?.disposeFunc,
  };
}

/** Narrows tfjs's generic `KernelBackend` to the wasm backend class. */
export function asWasm(backend: unknown): BackendWasm {
  return backend as BackendWasm;
}

/**
 * Runs `fn` on tensors that view `inputs` and returns its result as a kernel output.
 *
 * @param backend the backend that owns `inputs` (the kernel's `backend` argument)
 * @param inputs the kernel's input tensor infos, in the order `fn` receives them
 * @param fn computes the output with tfjs ops; temporaries are disposed by `tf.tidy`
 */
export function runOps(
  backend: unknown,
  inputs: TensorInfo[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
): TensorInfo {
  const b = backend as RefCountedBackend;
  const engine = tf.engine();
  const wrapped = inputs.map((info) => {
    b.incRef(info.dataId);
    return engine.makeTensorFromTensorInfo(info);
  });
  let out: tf.Tensor;
  try {
    out = tf.tidy(() => {
      const r = fn(...wrapped);
      return wrapped.includes(r) ? r.clone() : r;
    });
  } finally {
    for (const t of wrapped) t.dispose();
  }
  b.incRef(out.dataId);
  const info: TensorInfo = { dataId: out.dataId, shape: out.shape.slice(), dtype: out.dtype };
  out.dispose();
  return info;
}

/** Normalises a scalar-or-tuple attribute (strides, dilations, filter sizes) to a tuple. */
export function tuple(v: number | number[], n: number): number[] {
  return typeof v === "number" ? new Array(n).fill(v) : v.slice();
}

/**
 * Pads (positive) or crops (negative) the spatial axes `axes` of `x`.
 *
 * @param x any-rank tensor
 * @param axes the axes to pad or crop
 * @param pads one `[before, after]` pair per axis in `axes`
 */
export function padCrop(x: tf.Tensor, axes: number[], pads: AxisPad[]): tf.Tensor {
  let y = x;
  if (pads.some(([a, b]) => a < 0 || b < 0)) {
    const begin = new Array(x.rank).fill(0);
    const size = x.shape.slice();
    axes.forEach((ax, i) => {
      const [a, b] = pads[i];
      const cropA = Math.max(-a, 0), cropB = Math.max(-b, 0);
      begin[ax] = cropA;
      size[ax] = x.shape[ax] - cropA - cropB;
    });
    y = tf.slice(y, begin, size);
  }
  if (pads.some(([a, b]) => a > 0 || b > 0)) {
    const full: [number, number][] = new Array(x.rank).fill(0).map(() => [0, 0]);
    axes.forEach((ax, i) => {
      full[ax] = [Math.max(pads[i][0], 0), Math.max(pads[i][1], 0)];
    });
    y = tf.pad(y, full);
  }
  return y;
}

/**
 * Inserts `s - 1` zeros between neighbouring elements along each of `axes` (stride dilation, as in a
 * transposed convolution). `x` must be channels-last with the batch axis first.
 *
 * @param x tensor of rank 4 (NHWC) or 5 (NDHWC)
 * @param axes spatial axes to dilate, ascending
 * @param strides one stride per axis in `axes`
 */
export function dilateZeros(x: tf.Tensor, axes: number[], strides: number[]): tf.Tensor {
  let y = x;
  axes.forEach((ax, i) => {
    const s = strides[i];
    if (s === 1) return;
    // View as [before, n, 1, after], pad to [before, n, s, after] (rank 4 keeps XNNPACK's pad
    // within its 6-D limit), flatten to n*s and crop the trailing zeros to (n-1)*s+1.
    const shape = y.shape;
    const n = shape[ax];
    const before = shape.slice(0, ax).reduce((a, b) => a * b, 1);
    const after = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
    const zeros: [number, number][] = [[0, 0], [0, 0], [0, s - 1], [0, 0]];
    const spread = tf.reshape(tf.pad(tf.reshape(y, [before, n, 1, after]), zeros), [
      before,
      n * s,
      after,
    ]);
    const outShape = shape.slice();
    outShape[ax] = (n - 1) * s + 1;
    y = tf.reshape(tf.slice(spread, [0, 0, 0], [before, outShape[ax], after]), outShape);
  });
  return y;
}
