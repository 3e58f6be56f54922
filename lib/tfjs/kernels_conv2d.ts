/**
 * 2-D convolution gradient kernels for the wasm backend.
 *
 * - `Conv2DBackpropFilter` is missing from stock wasm 4.22.0, so every `Conv2D` layer throws in
 *   `fit`. We compute it as a convolution of the batch/channel-swapped input by `dy` (see
 *   {@link conv2dFilterGrad}), which XNNPACK runs fast.
 * - `Conv2DBackpropInput` exists but runs plain C++ loops (~12x slower than the forward conv). The
 *   input gradient is a stride-1 convolution of `dy` (with `stride-1` zeros inserted between its
 *   elements) by the spatially flipped filter with in/out channels swapped, which XNNPACK runs fast.
 * - `DepthwiseConv2dNativeBackpropInput` / `...Filter` are missing (so `DepthwiseConv2D` and
 *   `SeparableConv2D` layers cannot train). The input gradient is the same flipped-filter trick with
 *   the wasm depthwise kernel; the filter gradient is a float64-accumulated TypeScript loop.
 *
 * Only channels-last (`NHWC`) data is supported, as in the wasm backend itself.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  asWasm,
  type AxisPad,
  dilateZeros,
  padCrop,
  runOps,
  type TensorInfo,
  wasmKernelBase,
} from "./kernel_util.ts";
import {
  convFilterGradWasm,
  type ConvGradGeometry,
  depthwiseFilterGradWasm,
} from "./simd_kernels.ts";

/** tfjs's explicit padding: `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

function requireNHWC(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat != null && dataFormat !== "NHWC" && dataFormat !== "channelsLast") {
    throw new Error(`${kernel} (lib/tfjs wasm patch) supports only NHWC, got ${dataFormat}`);
  }
}

/**
 * Splits spatial `pads` of an `NHWC` tensor into cropping, applied to `x` here (tfjs's convolutions
 * take no negative padding), and the non-negative explicit padding to hand to the convolution.
 */
function cropThenPad(
  x: tf.Tensor,
  pads: AxisPad[],
): { cropped: tf.Tensor; explicit: ExplicitPadding } {
  const cropped = padCrop(x, [1, 2], pads.map(([a, b]) => [Math.min(a, 0), Math.min(b, 0)]));
  const explicit: ExplicitPadding = [
    [0, 0],
    [Math.max(pads[0][0], 0), Math.max(pads[0][1], 0)],
    [Math.max(pads[1][0], 0), Math.max(pads[1][1], 0)],
    [0, 0],
  ];
  return { cropped, explicit };
}

/**
 * A 2-D convolution with arbitrary (possibly negative = cropping) padding.
 *
 * @param x input `[N, H, W, Ci]`
 * @param w filter `[kh, kw, Ci, Co]`
 * @param strides `[sh, sw]`
 * @param dilations `[dh, dw]`
 * @param pads `[[top, bottom], [left, right]]`
 */
export function conv2dPadded(
  x: tf.Tensor,
  w: tf.Tensor,
  strides: number[],
  dilations: number[],
  pads: AxisPad[],
): tf.Tensor4D {
  const { cropped, explicit } = cropThenPad(x, pads);
  return tf.conv2d(
    cropped as tf.Tensor4D,
    w as tf.Tensor4D,
    strides as [number, number],
    explicit,
    "NHWC",
    dilations as [number, number],
  );
}

/**
 * Gradient of a 2-D convolution with respect to its filter.
 *
 * `dW[ky,kx,ci,co] = Σ_{n,oy,ox} x[n, oy*s+ky-pt, ox*s+kx-pl, ci] · dy[n,oy,ox,co]` is itself a
 * convolution: of `x` with batch and channels swapped (`[Ci, H, W, N]`) by `dy` as a filter
 * (`[Ho, Wo, N, Co]`, dilated by the forward stride), giving `[Ci, kh, kw, Co]`. XNNPACK runs it
 * without materialising patches (im2col + one XNNPACK matrix product of all nine taps was 1.0-1.5x
 * slower on chapter 2's five layers, RESULTS.md).
 *
 * @param x forward input `[N, H, W, Ci]`
 * @param dy output gradient `[N, Ho, Wo, Co]`
 * @param filterSize `[kh, kw]`
 * @param strides `[sh, sw]` of the forward convolution (its dilation must be 1)
 * @param padBefore `[top, left]` padding of the forward convolution
 * @returns `[kh, kw, Ci, Co]`
 */
export function conv2dFilterGrad(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterSize: number[],
  strides: number[],
  padBefore: number[],
): tf.Tensor4D {
  return conv2dFilterGradT(x, tf.transpose(dy, [1, 2, 0, 3]), filterSize, strides, padBefore);
}

/**
 * {@link conv2dFilterGrad} with `dy` already transposed to `[Ho, Wo, N, Co]` (lets callers that
 * reuse one `dy` for several inputs transpose it once).
 */
export function conv2dFilterGradT(
  x: tf.Tensor,
  dyt: tf.Tensor,
  filterSize: number[],
  strides: number[],
  padBefore: number[],
): tf.Tensor4D {
  const xt = tf.transpose(x, [3, 1, 2, 0]);
  const pads = [0, 1].map((i) => {
    const after = filterSize[i] + (dyt.shape[i] - 1) * strides[i] - x.shape[i + 1] -
      padBefore[i];
    return [padBefore[i], after] as AxisPad;
  });
  const g = conv2dPadded(xt, dyt, [1, 1], strides, pads);
  return tf.transpose(g, [1, 2, 0, 3]);
}

/**
 * Gradient of a 2-D convolution with respect to its input (flipped-filter convolution).
 *
 * @param dy output gradient `[N, Ho, Wo, Co]`
 * @param w filter `[kh, kw, Ci, Co]`
 * @param inSize `[H, W]` of the forward input
 * @param strides `[sh, sw]`
 * @param dilations `[dh, dw]`
 * @param padBefore `[top, left]` padding of the forward convolution
 * @returns `[N, H, W, Ci]`
 */
export function conv2dInputGrad(
  dy: tf.Tensor,
  w: tf.Tensor,
  inSize: number[],
  strides: number[],
  dilations: number[],
  padBefore: number[],
): tf.Tensor4D {
  const dyd = dilateZeros(dy, [1, 2], strides);
  const wf = flipFilter(w);
  return conv2dPadded(
    dyd,
    wf,
    [1, 1],
    dilations,
    transposedPads(dyd, w, inSize, dilations, padBefore),
  );
}

/**
 * `w` `[kh, kw, Ci, Co]` rotated by 180° in space with its channel axes swapped, `[kh, kw, Co, Ci]`:
 * the filter of the input-gradient convolution, in one pass (wasm's `Reverse` followed by
 * `Transpose` cost ~5% of a conv net's training step).
 */
export function flipFilter(w: tf.Tensor): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const v = w.dataSync() as Float32Array;
  const out = new Float32Array(v.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const src = ((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co;
      const dst = (y * kw + x) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) out[dst + o * ci + i] = v[src + i * co + o];
      }
    }
  }
  return tf.tensor4d(out, [kh, kw, co, ci]);
}

/** Pads of the stride-1 convolution that computes a transposed convolution. */
function transposedPads(
  dyd: tf.Tensor,
  w: tf.Tensor,
  inSize: number[],
  dilations: number[],
  padBefore: number[],
): AxisPad[] {
  return [0, 1].map((i) => {
    const ek = (w.shape[i] - 1) * dilations[i] + 1;
    const before = ek - 1 - padBefore[i];
    return [before, inSize[i] - dyd.shape[i + 1] - before + ek - 1] as AxisPad;
  });
}

/**
 * Gradient of a depthwise 2-D convolution with respect to its input.
 *
 * @param dy output gradient `[N, Ho, Wo, Ci*m]`
 * @param w filter `[kh, kw, Ci, m]`
 * @param inSize `[H, W]`
 * @param strides `[sh, sw]`
 * @param dilations `[dh, dw]`
 * @param padBefore `[top, left]`
 * @returns `[N, H, W, Ci]`
 */
export function depthwiseInputGrad(
  dy: tf.Tensor,
  w: tf.Tensor,
  inSize: number[],
  strides: number[],
  dilations: number[],
  padBefore: number[],
): tf.Tensor4D {
  const [kh, kw, ci, m] = w.shape;
  const dyd = dilateZeros(dy, [1, 2], strides);
  const wf = tf.reverse(w, [0, 1]);
  const { cropped, explicit } = cropThenPad(
    dyd,
    transposedPads(dyd, w, inSize, dilations, padBefore),
  );
  const dil = dilations as [number, number];
  if (m === 1) {
    return tf.depthwiseConv2d(cropped as tf.Tensor4D, wf as tf.Tensor4D, 1, explicit, "NHWC", dil);
  }
  const [n, hd, wd] = cropped.shape;
  const dy5 = tf.reshape(cropped, [n, hd, wd, ci, m]);
  let acc: tf.Tensor4D | null = null;
  for (let j = 0; j < m; j++) {
    const dj = tf.reshape(tf.slice(dy5, [0, 0, 0, 0, j], [n, hd, wd, ci, 1]), [n, hd, wd, ci]);
    const wj = tf.slice(wf, [0, 0, 0, j], [kh, kw, ci, 1]);
    const part = tf.depthwiseConv2d(
      dj as tf.Tensor4D,
      wj as tf.Tensor4D,
      1,
      explicit,
      "NHWC",
      dil,
    );
    acc = acc == null ? part : tf.add(acc, part);
  }
  return acc as tf.Tensor4D;
}

/** Geometry of a depthwise filter gradient (all channels-last). */
export interface DepthwiseGeometry {
  /** Forward input `[N, H, W, Ci]`. */
  inShape: number[];
  /** Output `[Ho, Wo]`. */
  outSize: number[];
  /** Filter `[kh, kw, Ci, m]`. */
  filterShape: number[];
  /** `[sh, sw]`. */
  strides: number[];
  /** `[dh, dw]`. */
  dilations: number[];
  /** `[top, left]`. */
  padBefore: number[];
}

/**
 * Gradient of a depthwise 2-D convolution with respect to its filter, as plain loops (accumulated
 * in float64): `dW[ky,kx,c,j] = Σ_{n,oy,ox} x[n, oy*sh+ky*dh-pt, ox*sw+kx*dw-pl, c] ·
 * dy[n,oy,ox,c*m+j]`. No tfjs op computes a per-channel contraction over batch and space without
 * materialising `kh*kw` copies of the input, so loops win here.
 *
 * @param x forward input values
 * @param dy output gradient values `[N, Ho, Wo, Ci*m]`
 * @param g geometry
 * @param dw filter gradient `[kh, kw, Ci, m]`, overwritten
 */
export function depthwiseFilterGradLoops(
  x: Float32Array,
  dy: Float32Array,
  g: DepthwiseGeometry,
  dw: Float32Array,
): void {
  const [n, h, w, c] = g.inShape;
  const [ho, wo] = g.outSize;
  const [kh, kw, , m] = g.filterShape;
  const [sh, sw] = g.strides;
  const [dh, dwl] = g.dilations;
  const [pt, pl] = g.padBefore;
  const acc = new Float64Array(kh * kw * c * m);
  const cm = c * m;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const dyBase = ((b * ho + oy) * wo + ox) * cm;
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh + ky * dh - pt;
          if (y < 0 || y >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw + kx * dwl - pl;
            if (xx < 0 || xx >= w) continue;
            const xBase = ((b * h + y) * w + xx) * c;
            const aBase = (ky * kw + kx) * cm;
            if (m === 1) {
              for (let ch = 0; ch < c; ch++) acc[aBase + ch] += x[xBase + ch] * dy[dyBase + ch];
            } else {
              for (let ch = 0; ch < c; ch++) {
                const xv = x[xBase + ch];
                for (let j = 0; j < m; j++) {
                  acc[aBase + ch * m + j] += xv * dy[dyBase + ch * m + j];
                }
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) dw[i] = acc[i];
}

/** The window attributes shared by the convolution gradient kernels. */
type WindowAttrs = Pick<
  tf.DepthwiseConv2dNativeBackpropFilterAttrs,
  "strides" | "pad" | "dimRoundingMode"
>;

/**
 * The forward convolution a gradient kernel differentiates, as `[height, width]` pairs: its
 * attributes (padding mode, scalar strides, ...) resolved by tfjs's own `computeConv2DInfo`.
 */
function forwardConv2d(
  inShape: number[],
  filterShape: number[],
  a: WindowAttrs,
  dilations: [number, number] | number,
  depthwise: boolean,
) {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    dilations,
    a.pad,
    a.dimRoundingMode,
    depthwise,
  );
  return {
    inSize: [info.inHeight, info.inWidth],
    outSize: [info.outHeight, info.outWidth],
    filterSize: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    padBefore: [info.padInfo.top, info.padInfo.left],
  };
}

/**
 * Runs a filter gradient in the WebAssembly SIMD kernel of `simd_kernels.ts`, writing a new
 * `filterShape` output; null when that kernel is unavailable (the caller falls back to tfjs ops).
 */
export function filterGradByWasmKernel(
  backend: unknown,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: number[],
  g: ConvGradGeometry,
  depthwise = false,
): TensorInfo | null {
  const wasm = asWasm(backend);
  const xv = wasm.typedArrayFromHeap(x) as Float32Array;
  const dyv = wasm.typedArrayFromHeap(dy) as Float32Array;
  const values = depthwise ? depthwiseFilterGradWasm(xv, dyv, g) : convFilterGradWasm(xv, dyv, g);
  if (values === null) return null;
  const out = wasm.makeOutput(filterShape, "float32");
  (wasm.typedArrayFromHeap(out) as Float32Array).set(values);
  return out;
}

/** A 2-D geometry as the (depth 1) 3-D one of `simd_kernels.ts`. */
function asConvGradGeometry(
  inShape: number[],
  f: ReturnType<typeof forwardConv2d>,
): ConvGradGeometry {
  const [n, h, w, c] = inShape;
  return {
    inShape: [n, 1, h, w, c],
    outSize: [1, ...f.outSize],
    kernelSize: [1, ...f.filterSize],
    strides: [1, ...f.strides],
    dilations: [1, ...f.dilations],
    padBefore: [0, ...f.padBefore],
  };
}

/** Kernel config for the missing `Conv2DBackpropFilter`. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  ...wasmKernelBase("Conv2DBackpropFilter"),
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    requireNHWC("Conv2DBackpropFilter", a.dataFormat);
    const f = forwardConv2d(x.shape, a.filterShape, a, 1, false);
    const fast = filterGradByWasmKernel(
      backend,
      x,
      dy,
      a.filterShape,
      asConvGradGeometry(x.shape, f),
    );
    if (fast !== null) return fast;
    const pointwise = f.filterSize.every((k) => k === 1) && f.strides.every((st) => st === 1) &&
      f.padBefore.every((pb) => pb === 0) && f.outSize.every((o, i) => o === f.inSize[i]);
    if (pointwise) {
      // A 1x1 convolution is a matrix product, and so is its filter gradient: Xᵀ·dY over all
      // N·H·W positions (~1.4x faster than the convolution below; Xception is mostly 1x1s).
      const [ci, co] = [x.shape[3], dy.shape[3]];
      return runOps(backend, [x, dy], (tx, tdy) =>
        tf.reshape(
          tf.matMul(tf.reshape(tx, [-1, ci]), tf.reshape(tdy, [-1, co]), true, false),
          [1, 1, ci, co],
        ));
    }
    return runOps(
      backend,
      [x, dy],
      (tx, tdy) => conv2dFilterGrad(tx, tdy, f.filterSize, f.strides, f.padBefore),
    );
  },
};

/**
 * Kernel config replacing the slow `Conv2DBackpropInput` (also used by `conv2dTranspose`).
 *
 * @param original the wasm backend's own kernel config (kept for its setup function)
 */
export function conv2DBackpropInputConfig(original?: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase("Conv2DBackpropInput", original),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      requireNHWC("Conv2DBackpropInput", a.dataFormat);
      const f = forwardConv2d(a.inputShape, filter.shape, a, 1, false);
      return runOps(
        backend,
        [dy, filter],
        (tdy, tw) => conv2dInputGrad(tdy, tw, f.inSize, f.strides, f.dilations, f.padBefore),
      );
    },
  };
}

/** Kernel config for the missing `DepthwiseConv2dNativeBackpropInput`. */
export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  ...wasmKernelBase("DepthwiseConv2dNativeBackpropInput"),
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const f = forwardConv2d(a.inputShape, filter.shape, a, a.dilations, true);
    return runOps(
      backend,
      [dy, filter],
      (tdy, tw) => depthwiseInputGrad(tdy, tw, f.inSize, f.strides, f.dilations, f.padBefore),
    );
  },
};

/** Kernel config for the missing `DepthwiseConv2dNativeBackpropFilter`. */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  ...wasmKernelBase("DepthwiseConv2dNativeBackpropFilter"),
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const f = forwardConv2d(x.shape, a.filterShape, a, a.dilations, true);
    if (a.filterShape[3] === 1) {
      const fast = filterGradByWasmKernel(
        backend,
        x,
        dy,
        a.filterShape,
        asConvGradGeometry(x.shape, f),
        true,
      );
      if (fast !== null) return fast;
    }
    const wasm = asWasm(backend);
    const out = wasm.makeOutput(a.filterShape, "float32");
    depthwiseFilterGradLoops(
      wasm.typedArrayFromHeap(x) as Float32Array,
      wasm.typedArrayFromHeap(dy) as Float32Array,
      { ...f, inShape: x.shape, filterShape: a.filterShape },
      wasm.typedArrayFromHeap(out) as Float32Array,
    );
    return out;
  },
};
