/**
 * 3-D convolution kernels for the wasm backend, all expressed through XNNPACK's fast 2-D conv.
 *
 * - `Conv3D` in stock wasm 4.22.0 is plain C++ loops. We gather the `kd` (strided) depth slices of
 *   the padded input beside its channels, `[N*Do, H, W, kd*Ci]` (our SIMD kernel `depthGather`),
 *   and run one XNNPACK 2-D convolution by the filter as `[kh, kw, kd*Ci, Co]`; without that kernel,
 *   each depth tap's slices are convolved in 2-D separately and summed.
 * - `Conv3DBackpropInputV2` is wrong in stock wasm whenever channels > 1 or stride > 1 (so is
 *   `conv3dTranspose`). We compute it as the stride-1 3-D conv of the zero-dilated `dy` by the
 *   flipped filter with in/out channels swapped.
 * - `Conv3DBackpropFilterV2` is wrong for stride > 1. With the same depth slices it becomes `kd`
 *   2-D filter gradients (`kernels_conv2d.ts`), stacked to `[kd, kh, kw, Ci, Co]`.
 *
 * Every intermediate stays at rank <= 4: wasm's `Slice` is generic (slow) JavaScript above rank 4
 * and XNNPACK's pad stops at rank 6.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type AxisPad,
  dilateZeros,
  padCrop,
  runOps,
  type TensorInfo,
  wasmKernelBase,
} from "./kernel_util.ts";
import { conv2dFilterGradT, conv2dPadded, filterGradByWasmKernel } from "./kernels_conv2d.ts";
import { depthGatherWasm } from "./simd_kernels.ts";

/**
 * Pads (positive) or crops (negative) the depth axis of `x` `[N, D, H, W, C]`, working on a 3-D
 * view `[N, D, H*W*C]` (wasm's slice and pad are fast up to rank 4, generic JS above it).
 */
function padDepth(x: tf.Tensor, pad: AxisPad): tf.Tensor {
  if (pad[0] === 0 && pad[1] === 0) return x;
  const [n, d, h, w, c] = x.shape;
  const y = padCrop(tf.reshape(x, [n, d, h * w * c]), [1], [pad]);
  return tf.reshape(y, [n, y.shape[1] as number, h, w, c]);
}

/**
 * The depth slices `z0, z0+s, ..., z0+(count-1)*s` of `x` `[N, D, H, W, C]` as a batch of 2-D
 * images `[N*count, H, W, C]` (reshapes keep every slice at rank <= 4).
 */
function depthView(x: tf.Tensor, z0: number, count: number, stride: number): tf.Tensor4D {
  const [n, d, h, w, c] = x.shape;
  const hwc = h * w * c;
  const x3 = tf.reshape(x, [n, d, hwc]);
  if (stride === 1) {
    return tf.reshape(tf.slice(x3, [0, z0, 0], [n, count, hwc]), [n * count, h, w, c]);
  }
  const need = z0 + count * stride;
  const x3p = need > d ? tf.pad(x3, [[0, 0], [0, need - d], [0, 0]]) : x3;
  const block = tf.reshape(tf.slice(x3p, [0, z0, 0], [n, count * stride, hwc]), [
    n,
    count,
    stride,
    hwc,
  ]);
  return tf.reshape(tf.slice(block, [0, 0, 0, 0], [n, count, 1, hwc]), [n * count, h, w, c]);
}

/**
 * A 3-D convolution with explicit (possibly negative = cropping) padding, as a sum over the `kd`
 * depth taps of XNNPACK 2-D convolutions of depth slices.
 *
 * @param x input `[N, D, H, W, Ci]`
 * @param w filter `[kd, kh, kw, Ci, Co]`
 * @param strides `[sd, sh, sw]`
 * @param dilations `[dd, dh, dw]`
 * @param pads `[[front, back], [top, bottom], [left, right]]`
 * @returns `[N, Do, Ho, Wo, Co]`
 */
export function conv3dPadded(
  x: tf.Tensor,
  w: tf.Tensor,
  strides: number[],
  dilations: number[],
  pads: AxisPad[],
): tf.Tensor5D {
  const [n, d] = x.shape;
  const [kd, kh, kw, ci, co] = w.shape;
  const [sd] = strides;
  const [dd] = dilations;
  const outDepth = Math.floor((d + pads[0][0] + pads[0][1] - (kd - 1) * dd - 1) / sd) + 1;
  const xp = padDepth(x, pads[0]);
  const [, dp, h, wd] = xp.shape;
  const gathered = kd > 1
    ? depthGatherWasm(xp.dataSync() as Float32Array, [n, dp, h * wd, ci], outDepth, kd, sd, dd)
    : null;
  if (gathered !== null) {
    // One 2-D convolution over kd·Ci channels: the taps' partial sums are added inside XNNPACK's
    // product instead of as kd separate convolutions, slices and adds.
    const x2 = tf.tensor4d(gathered, [n * outDepth, h, wd, kd * ci]);
    const w2 = tf.reshape(tf.transpose(w, [1, 2, 0, 3, 4]), [kh, kw, kd * ci, co]);
    const y2 = conv2dPadded(x2, w2, strides.slice(1), dilations.slice(1), pads.slice(1));
    const [, ho2, wo2] = y2.shape;
    return tf.reshape(y2, [n, outDepth, ho2, wo2, co]);
  }
  let acc: tf.Tensor | null = null;
  for (let kz = 0; kz < kd; kz++) {
    const view = depthView(xp, kz * dd, outDepth, sd);
    const wz = tf.reshape(tf.slice(w, [kz, 0, 0, 0, 0], [1, kh, kw, ci, co]), [kh, kw, ci, co]);
    const y = conv2dPadded(view, wz, strides.slice(1), dilations.slice(1), pads.slice(1));
    acc = acc == null ? y : tf.add(acc, y);
  }
  const y = acc as tf.Tensor;
  const [, ho, wo] = y.shape as number[];
  return tf.reshape(y, [n, outDepth, ho, wo, co]);
}

/**
 * Gradient of a 3-D convolution with respect to its input.
 *
 * @param dy `[N, Do, Ho, Wo, Co]`
 * @param w `[kd, kh, kw, Ci, Co]`
 * @param inSize `[D, H, W]`
 * @param strides `[sd, sh, sw]`
 * @param padBefore `[front, top, left]`
 * @returns `[N, D, H, W, Ci]`
 */
export function conv3dInputGrad(
  dy: tf.Tensor,
  w: tf.Tensor,
  inSize: number[],
  strides: number[],
  padBefore: number[],
): tf.Tensor5D {
  const dyd = dilateZeros(dy, [1, 2, 3], strides);
  const wf = tf.transpose(tf.reverse(w, [0, 1, 2]), [0, 1, 2, 4, 3]);
  const pads = [0, 1, 2].map((i) => {
    const before = w.shape[i] - 1 - padBefore[i];
    return [before, inSize[i] - dyd.shape[i + 1] - before + w.shape[i] - 1] as AxisPad;
  });
  return conv3dPadded(dyd, wf, [1, 1, 1], [1, 1, 1], pads);
}

/**
 * Gradient of a 3-D convolution with respect to its filter: one 2-D filter gradient per depth tap.
 *
 * @param x `[N, D, H, W, Ci]`
 * @param dy `[N, Do, Ho, Wo, Co]`
 * @param filterShape `[kd, kh, kw, Ci, Co]`
 * @param strides `[sd, sh, sw]`
 * @param pads `[[front, back], [top, bottom], [left, right]]` of the forward convolution
 * @returns `[kd, kh, kw, Ci, Co]`
 */
export function conv3dFilterGrad(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: number[],
  strides: number[],
  pads: AxisPad[],
): tf.Tensor5D {
  const [n, od, ho, wo, co] = dy.shape;
  const [kd, kh, kw] = filterShape;
  const xp = padDepth(x, pads[0]);
  // dy as the "filter" of conv2dFilterGrad's convolution, transposed once for all depth taps.
  const dyt = tf.transpose(tf.reshape(dy, [n * od, ho, wo, co]), [1, 2, 0, 3]);
  const taps: tf.Tensor[] = [];
  for (let kz = 0; kz < kd; kz++) {
    const view = depthView(xp, kz, od, strides[0]);
    taps.push(
      conv2dFilterGradT(view, dyt, [kh, kw], strides.slice(1), [pads[1][0], pads[2][0]]),
    );
  }
  return tf.stack(taps) as tf.Tensor5D;
}

/**
 * The forward 3-D convolution a kernel computes or differentiates, as `[depth, height, width]`
 * triples and per-axis `[before, after]` pads: its attributes resolved by tfjs's own
 * `computeConv3DInfo`.
 */
function forwardConv3d(
  inShape: number[],
  filterShape: number[],
  a: Pick<tf.Conv3DAttrs, "strides" | "pad">,
  dilations: [number, number, number] | number,
) {
  const info = tf.backend_util.computeConv3DInfo(
    inShape as [number, number, number, number, number],
    filterShape as [number, number, number, number, number],
    a.strides,
    dilations,
    a.pad,
  );
  const p = info.padInfo;
  return {
    inSize: [info.inDepth, info.inHeight, info.inWidth],
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    dilations: [info.dilationDepth, info.dilationHeight, info.dilationWidth],
    padBefore: [p.front, p.top, p.left],
    pads: [[p.front, p.back], [p.top, p.bottom], [p.left, p.right]] as AxisPad[],
  };
}

/**
 * Kernel config replacing the slow `Conv3D`.
 *
 * @param original the wasm backend's own kernel config (kept for its setup function)
 */
export function conv3DConfig(original?: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase("Conv3D", original),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
      const a = attrs as unknown as tf.Conv3DAttrs;
      if (a.dataFormat != null && a.dataFormat !== "NDHWC") {
        throw new Error(`Conv3D (lib/tfjs wasm patch) supports only NDHWC, got ${a.dataFormat}`);
      }
      const f = forwardConv3d(x.shape, filter.shape, a, a.dilations);
      return runOps(
        backend,
        [x, filter],
        (tx, tw) => conv3dPadded(tx, tw, f.strides, f.dilations, f.pads),
      );
    },
  };
}

/**
 * Kernel config replacing the wrong `Conv3DBackpropInputV2`.
 *
 * @param original the wasm backend's own kernel config (kept for its setup function)
 */
export function conv3DBackpropInputConfig(original?: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase("Conv3DBackpropInputV2", original),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
      const a = attrs as unknown as tf.Conv3DBackpropInputV2Attrs;
      const f = forwardConv3d(a.inputShape, filter.shape, a, 1);
      return runOps(
        backend,
        [dy, filter],
        (tdy, tw) => conv3dInputGrad(tdy, tw, f.inSize, f.strides, f.padBefore),
      );
    },
  };
}

/**
 * Kernel config replacing the wrong (for stride > 1) `Conv3DBackpropFilterV2`.
 *
 * @param original the wasm backend's own kernel config (kept for its setup function)
 */
export function conv3DBackpropFilterConfig(original?: tf.KernelConfig): tf.KernelConfig {
  return {
    ...wasmKernelBase("Conv3DBackpropFilterV2", original),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const a = attrs as unknown as tf.Conv3DBackpropFilterV2Attrs;
      const f = forwardConv3d(x.shape, a.filterShape, a, 1);
      const fast = filterGradByWasmKernel(backend, x, dy, a.filterShape, {
        inShape: x.shape,
        outSize: dy.shape.slice(1, 4),
        kernelSize: a.filterShape.slice(0, 3),
        strides: f.strides,
        dilations: [1, 1, 1],
        padBefore: f.padBefore,
      });
      if (fast !== null) return fast;
      return runOps(
        backend,
        [x, dy],
        (tx, tdy) => conv3dFilterGrad(tx, tdy, a.filterShape, f.strides, f.pads),
      );
    },
  };
}
