/**
 * Max-pooling kernels for the wasm backend: a WebAssembly SIMD window sweep (`maxPool` in
 * `assembly/simd_kernels.ts`, four channels per compare-and-select, no data-dependent branches) with
 * the TypeScript loops below as fallback and test reference.
 *
 * - `MaxPool3D` in stock wasm 4.22.0 starts each window's maximum at 0-ish (it returns ~1.18e-38,
 *   the smallest normal float, for windows whose values are all <= 0).
 * - `MaxPoolGrad` and `MaxPool3DGrad` route the gradient to the wrong element when a window is all
 *   negative. Xception max-pools right after BatchNorm, where that is common.
 *
 * The loops below follow TensorFlow's semantics: padded positions never win, and the gradient goes
 * to the first maximal element of each window in row-major order (as the cpu backend does). The
 * channel axis is innermost, so each window position updates `C` contiguous running maxima.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasm, type TensorInfo, wasmKernelBase } from "./kernel_util.ts";
import { maxPoolGradWasm, maxPoolWasm } from "./simd_kernels.ts";

/** Geometry of a (2-D or 3-D) pooling window sweep over an `NDHWC` tensor. */
export interface PoolGeometry {
  /** Input `[N, D, H, W, C]` (a 2-D pool uses `D = 1`). */
  inShape: number[];
  /** Output `[Do, Ho, Wo]`. */
  outSize: number[];
  /** Window `[kd, kh, kw]`. */
  filter: number[];
  /** `[sd, sh, sw]`. */
  strides: number[];
  /** Padding before each axis `[front, top, left]`. */
  padBefore: number[];
}

/**
 * Visits every output position and calls `emit(outBase, argmax)` where `argmax[c]` is the flat
 * input index of the first maximum of channel `c`'s window (-1 when the window has no finite max).
 */
function sweep(
  x: Float32Array,
  g: PoolGeometry,
  best: Float32Array,
  argmax: Int32Array,
  emit: (outBase: number) => void,
): void {
  const [n, d, h, w, c] = g.inShape;
  const [od, oh, ow] = g.outSize;
  const [kd, kh, kw] = g.filter;
  const [sd, sh, sw] = g.strides;
  const [pf, pt, pl] = g.padBefore;
  let outBase = 0;
  for (let b = 0; b < n; b++) {
    for (let oz = 0; oz < od; oz++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          best.fill(-Infinity);
          argmax.fill(-1);
          const z0 = oz * sd - pf, y0 = oy * sh - pt, x0 = ox * sw - pl;
          for (let kz = 0; kz < kd; kz++) {
            const z = z0 + kz;
            if (z < 0 || z >= d) continue;
            for (let ky = 0; ky < kh; ky++) {
              const y = y0 + ky;
              if (y < 0 || y >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const xx = x0 + kx;
                if (xx < 0 || xx >= w) continue;
                const base = (((b * d + z) * h + y) * w + xx) * c;
                for (let ch = 0; ch < c; ch++) {
                  const v = x[base + ch];
                  if (v > best[ch]) {
                    best[ch] = v;
                    argmax[ch] = base + ch;
                  }
                }
              }
            }
          }
          emit(outBase);
          outBase += c;
        }
      }
    }
  }
}

/**
 * Max pooling forward pass on plain arrays.
 *
 * @param x input values, `NDHWC` order
 * @param g window geometry
 * @param out output values `[N, Do, Ho, Wo, C]`, overwritten
 */
export function maxPoolForward(x: Float32Array, g: PoolGeometry, out: Float32Array): void {
  if (maxPoolWasm(x, g, out)) return;
  maxPoolForwardLoops(x, g, out);
}

/** {@link maxPoolForward} in TypeScript (the reference the SIMD kernel is tested against). */
export function maxPoolForwardLoops(x: Float32Array, g: PoolGeometry, out: Float32Array): void {
  const c = g.inShape[4];
  const best = new Float32Array(c), argmax = new Int32Array(c);
  sweep(x, g, best, argmax, (o) => {
    for (let ch = 0; ch < c; ch++) out[o + ch] = best[ch];
  });
}

/**
 * Max pooling backward pass: routes each `dy` element to its window's first maximum.
 *
 * @param x forward input values
 * @param dy output gradient `[N, Do, Ho, Wo, C]`
 * @param g window geometry
 * @param dx input gradient (same size as `x`), overwritten
 */
export function maxPoolBackward(
  x: Float32Array,
  dy: Float32Array,
  g: PoolGeometry,
  dx: Float32Array,
): void {
  if (maxPoolGradWasm(x, dy, g, dx)) return;
  maxPoolBackwardLoops(x, dy, g, dx);
}

/** {@link maxPoolBackward} in TypeScript (the reference the SIMD kernel is tested against). */
export function maxPoolBackwardLoops(
  x: Float32Array,
  dy: Float32Array,
  g: PoolGeometry,
  dx: Float32Array,
): void {
  const c = g.inShape[4];
  dx.fill(0);
  if (isPlain2x2(g)) {
    maxPool2x2Backward(x, dy, g, dx);
    return;
  }
  const best = new Float32Array(c), argmax = new Int32Array(c);
  sweep(x, g, best, argmax, (o) => {
    for (let ch = 0; ch < c; ch++) {
      const i = argmax[ch];
      if (i >= 0) dx[i] += dy[o + ch];
    }
  });
}

/** True for 2-D 2×2 windows with stride 2 and no padding (what CNNs use most). */
function isPlain2x2(g: PoolGeometry): boolean {
  const [, d, h, w] = g.inShape;
  const [od, oh, ow] = g.outSize;
  return d === 1 && od === 1 && g.filter.join() === "1,2,2" && g.strides.join() === "1,2,2" &&
    g.padBefore.join() === "0,0,0" && oh === Math.floor(h / 2) && ow === Math.floor(w / 2);
}

/**
 * {@link maxPoolBackward} for {@link isPlain2x2} windows, without data-dependent branches in the
 * common case: which of two activations is larger is random, so `if (v > best)` mispredicts about
 * half the time. The winner comes from comparisons (`+(b > a)` is 0 or 1): the first maximum in
 * window order, as in the general sweep. Windows with a NaN (or both infinities) take the general
 * rule, and a window whose maximum is -∞ passes no gradient, as there.
 */
function maxPool2x2Backward(
  x: Float32Array,
  dy: Float32Array,
  g: PoolGeometry,
  dx: Float32Array,
): void {
  const [n, , h, w, c] = g.inShape;
  const [, oh, ow] = g.outSize;
  const right = c, down = w * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const corner = ((b * h + 2 * oy) * w + 2 * ox) * c;
        for (let ch = 0; ch < c; ch++, o++) {
          const i = corner + ch;
          const p = x[i], q = x[i + right], r = x[i + down], s = x[i + down + right];
          let at: number;
          if (p + q + r + s === p + q + r + s) {
            const upper = i + right * +(q > p);
            const lower = i + down + right * +(s > r);
            at = upper + +(x[lower] > x[upper]) * (lower - upper);
            if (x[at] === -Infinity) continue;
          } else {
            at = -1;
            let best = -Infinity;
            for (const j of [i, i + right, i + down, i + down + right]) {
              if (x[j] > best) {
                best = x[j];
                at = j;
              }
            }
            if (at < 0) continue;
          }
          dx[at] += dy[o];
        }
      }
    }
  }
}

/** The window of a 2-D max-pool kernel's attributes on an `NHWC` input, as a sweep with `D = 1`. */
function geometry2D(inShape: number[], attrs: unknown): PoolGeometry {
  const a = attrs as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    inShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const [n, h, w, c] = info.inShape;
  return {
    inShape: [n, 1, h, w, c],
    outSize: [1, info.outHeight, info.outWidth],
    filter: [1, info.filterHeight, info.filterWidth],
    strides: [1, info.strideHeight, info.strideWidth],
    padBefore: [0, info.padInfo.top, info.padInfo.left],
  };
}

/** The window of a 3-D max-pool kernel's attributes, on an `NDHWC` input. */
function geometry3D(inShape: number[], attrs: unknown): PoolGeometry {
  const a = attrs as tf.MaxPool3DAttrs;
  const info = tf.backend_util.computePool3DInfo(
    inShape as [number, number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  return {
    inShape: info.inShape.slice(),
    outSize: [info.outDepth, info.outHeight, info.outWidth],
    filter: [info.filterDepth, info.filterHeight, info.filterWidth],
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    padBefore: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
  };
}

function heapF32(backend: unknown, t: TensorInfo): Float32Array {
  return asWasm(backend).typedArrayFromHeap(t) as Float32Array;
}

/** Kernel config replacing the wrong `MaxPool3D` (forward). */
export const maxPool3DConfig: tf.KernelConfig = {
  ...wasmKernelBase("MaxPool3D"),
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as tf.MaxPool3DAttrs;
    if (x.dtype !== "float32") throw new Error("MaxPool3D (lib/tfjs wasm patch): float32 only");
    if (a.dataFormat != null && a.dataFormat !== "NDHWC") {
      throw new Error(`MaxPool3D (lib/tfjs wasm patch) supports only NDHWC, got ${a.dataFormat}`);
    }
    const g = geometry3D(x.shape, a);
    const out = asWasm(backend).makeOutput([g.inShape[0], ...g.outSize, g.inShape[4]], "float32");
    maxPoolForward(heapF32(backend, x), g, heapF32(backend, out));
    return out;
  },
};

/** Kernel config for a max-pool gradient, `MaxPoolGrad` (2-D) or `MaxPool3DGrad` (3-D). */
function maxPoolGradConfigFor(
  kernelName: string,
  geometry: (inShape: number[], attrs: unknown) => PoolGeometry,
): tf.KernelConfig {
  return {
    ...wasmKernelBase(kernelName),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
      const g = geometry(input.shape, attrs);
      const out = asWasm(backend).makeOutput(input.shape, "float32");
      maxPoolBackward(heapF32(backend, input), heapF32(backend, dy), g, heapF32(backend, out));
      return out;
    },
  };
}

/** Kernel config replacing the wrong `MaxPoolGrad`. */
export const maxPoolGradConfig: tf.KernelConfig = maxPoolGradConfigFor("MaxPoolGrad", geometry2D);

/** Kernel config replacing the wrong `MaxPool3DGrad`. */
export const maxPool3DGradConfig: tf.KernelConfig = maxPoolGradConfigFor(
  "MaxPool3DGrad",
  geometry3D,
);
