/**
 * Convolution and pooling kernels on NCHW `Float32Array`s.
 *
 * Layouts:
 * - activations are NCHW: `x[((img * C + ch) * H + y) * W + x]`;
 * - convolution weights are `[outC, inC, kh, kw]`.
 *
 * Convolution is computed with **im2col + GEMM**. Images are processed in
 * groups of `gs` (enough images for about 4096 output positions: 5 images of
 * 28x28, 20 of 14x14, all of a small batch). im2col unrolls every receptive
 * field of the group into a column, giving
 *
 *     col[inC*kh*kw, gs*oh*ow]   row (ch*kh + ki)*kw + kj,
 *                                column img*oh*ow + oy*ow + ox
 *
 * (the Caffe layout, with the group's images side by side). Then
 *
 * - forward:  `y_g[outC, gs*oh*ow] = W[outC, inC*kh*kw] · col`  (gemm NN)
 * - backward: `dW += dy_g · colᵀ` (gemm NT) and `dcol = Wᵀ · dy_g`
 *   (gemm TN), then col2im scatters `dcol` back onto `dx`.
 *
 * Why this layout: (a) `W` is used exactly as stored (`[outC, inC*kh*kw]`
 * row-major), with no transposition of the weights or the gradient `dW`;
 * (b) im2col rows are contiguous runs of input rows (a plain copy when
 * `stride === 1`); (c) the GEMM output for one image, `[outC, oh*ow]`, is
 * already NCHW, and for a group it only needs `outC*gs` contiguous row copies
 * of `oh*ow` floats to become NCHW; (d) grouping makes the GEMMs wide
 * (n ≈ 4096) so packing is amortised and the two-thread GEMM has enough work
 * to split, while the column buffer stays a few MiB at most instead of
 * growing with the batch. Scratch buffers are reused across calls.
 *
 * The same loops run in WebAssembly by default (`kernels_wasm.ts`, from `assembly/conv.ts`), where
 * the columns never leave the module's memory between im2col and the GEMMs; `BOOK_KERNELS=ts`
 * (or `setGemmKernel("ts")`) runs the TypeScript ones below, the reference.
 *
 * @module
 */

import { conv2dBackwardWasm, conv2dForwardWasm } from "./kernels_wasm.ts";
import { gemm, gemmKernel, gemmThreads } from "./matmul.ts";

/** Shape of a 4-D NCHW tensor (or an `[outC, inC, kh, kw]` weight). */
export type Shape4 = [number, number, number, number];

function fmtShape(s: ArrayLike<number>): string {
  return `[${Array.from(s).join(", ")}]`;
}

/**
 * Output size of a convolution or pooling window along one spatial axis:
 * `floor((size + 2*pad - k) / stride) + 1`.
 *
 * @param size input height or width
 * @param k kernel size along that axis
 * @param stride window step (integer >= 1)
 * @param pad zero padding added on both sides (integer >= 0)
 * @param op name of the calling op, used in error messages
 * @throws Error naming the op and sizes when the arguments are invalid or the
 *   output would be empty
 */
export function conv2dOutputSize(
  size: number,
  k: number,
  stride: number,
  pad: number,
  op = "conv2d",
): number {
  const desc = `${op}: input size ${size}, kernel ${k}, stride ${stride}, pad ${pad}`;
  if (!Number.isInteger(size) || size < 0) throw new Error(`${desc}: bad input size`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`${desc}: kernel must be an integer >= 1`);
  if (!Number.isInteger(stride) || stride < 1) {
    throw new Error(`${desc}: stride must be an integer >= 1`);
  }
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`${desc}: pad must be an integer >= 0`);
  const span = size + 2 * pad - k;
  if (span < 0) {
    throw new Error(`${desc}: kernel is larger than the padded input, output would be empty`);
  }
  return Math.floor(span / stride) + 1;
}

function checkShape4(op: string, name: string, shape: readonly number[]): void {
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${name} must be 4 non-negative integers, got ${fmtShape(shape)}`);
  }
}

function checkLength(
  op: string,
  name: string,
  arr: ArrayLike<number>,
  shape: readonly number[],
): void {
  const size = shape.reduce((p, d) => p * d, 1);
  if (arr.length !== size) {
    throw new Error(
      `${op}: ${name} has length ${arr.length} but shape ${fmtShape(shape)} needs ${size}`,
    );
  }
}

/** First output index along one axis whose window start `o*stride - pad + kOff` is >= 0. */
function firstValid(kOff: number, stride: number, pad: number): number {
  const d = pad - kOff;
  return d <= 0 ? 0 : Math.ceil(d / stride);
}

/** One past the last output index whose window position is < size. */
function lastValid(kOff: number, stride: number, pad: number, size: number, out: number): number {
  const d = size - 1 + pad - kOff;
  if (d < 0) return 0;
  return Math.min(out, Math.floor(d / stride) + 1);
}

/**
 * Unroll the receptive fields of `n` NCHW images into columns.
 *
 * Layout of `out` (must hold at least `c*kh*kw * n*oh*ow` floats):
 * `out[row * (n*oh*ow) + img*oh*ow + oy*ow + ox]` with
 * `row = (ch*kh + ki)*kw + kj`, holding `x[img, ch, oy*stride - pad + ki,
 * ox*stride - pad + kj]` (0 in the padding). With `n = 1` this is the
 * `[c*kh*kw, oh*ow]` matrix the convolution GEMMs consume.
 *
 * @param x input, NCHW `[n, c, h, w]`
 * @param n batch size
 * @param c channels
 * @param h height
 * @param w width
 * @param kh kernel height
 * @param kw kernel width
 * @param stride window step (both axes)
 * @param pad zero padding (both axes, both sides)
 * @param out destination buffer
 */
export function im2col(
  x: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  kh: number,
  kw: number,
  stride: number,
  pad: number,
  out: Float32Array,
): void {
  const oh = conv2dOutputSize(h, kh, stride, pad, "im2col");
  const ow = conv2dOutputSize(w, kw, stride, pad, "im2col");
  const plane = oh * ow;
  const cols = n * plane;
  if (x.length < n * c * h * w) {
    throw new Error(`im2col: x has length ${x.length}, shape [${n}, ${c}, ${h}, ${w}] needs more`);
  }
  if (out.length < c * kh * kw * cols) {
    throw new Error(`im2col: out has length ${out.length}, needs ${c * kh * kw * cols}`);
  }
  // Same loop nest as col2im, kept separate so each inner loop stays a plain copy (here) or add
  // (there): this is the hot loop of every convolution.
  let row = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      const oyLo = Math.min(oh, firstValid(ki, stride, pad));
      const oyHi = Math.max(oyLo, lastValid(ki, stride, pad, h, oh));
      for (let kj = 0; kj < kw; kj++, row++) {
        const oxLo = Math.min(ow, firstValid(kj, stride, pad));
        const oxHi = Math.max(oxLo, lastValid(kj, stride, pad, w, ow));
        for (let img = 0; img < n; img++) {
          const base = row * cols + img * plane;
          const xPlane = (img * c + ch) * h * w;
          if (oyLo > 0) out.fill(0, base, base + oyLo * ow);
          if (oyHi < oh) out.fill(0, base + oyHi * ow, base + plane);
          for (let oy = oyLo; oy < oyHi; oy++) {
            const o = base + oy * ow;
            const iy = oy * stride - pad + ki;
            let src = xPlane + iy * w + oxLo * stride - pad + kj;
            for (let ox = 0; ox < oxLo; ox++) out[o + ox] = 0;
            if (stride === 1) {
              for (let ox = oxLo; ox < oxHi; ox++) out[o + ox] = x[src++];
            } else {
              for (let ox = oxLo; ox < oxHi; ox++, src += stride) out[o + ox] = x[src];
            }
            for (let ox = oxHi; ox < ow; ox++) out[o + ox] = 0;
          }
        }
      }
    }
  }
}

/**
 * Inverse scatter of {@link im2col}: **adds** every column entry back onto the
 * input position it was copied from (entries that came from padding are
 * dropped). `dx` is accumulated into, not overwritten, so zero it first if
 * needed. `col` has the layout documented on {@link im2col}.
 *
 * @param col columns, `[c*kh*kw, n*oh*ow]`
 * @param n batch size
 * @param c channels
 * @param h height
 * @param w width
 * @param kh kernel height
 * @param kw kernel width
 * @param stride window step
 * @param pad zero padding
 * @param dx NCHW `[n, c, h, w]` buffer to accumulate into
 */
export function col2im(
  col: Float32Array,
  n: number,
  c: number,
  h: number,
  w: number,
  kh: number,
  kw: number,
  stride: number,
  pad: number,
  dx: Float32Array,
): void {
  const oh = conv2dOutputSize(h, kh, stride, pad, "col2im");
  const ow = conv2dOutputSize(w, kw, stride, pad, "col2im");
  const plane = oh * ow;
  const cols = n * plane;
  if (dx.length < n * c * h * w) {
    throw new Error(
      `col2im: dx has length ${dx.length}, shape [${n}, ${c}, ${h}, ${w}] needs more`,
    );
  }
  if (col.length < c * kh * kw * cols) {
    throw new Error(`col2im: col has length ${col.length}, needs ${c * kh * kw * cols}`);
  }
  let row = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      const oyLo = Math.min(oh, firstValid(ki, stride, pad));
      const oyHi = Math.max(oyLo, lastValid(ki, stride, pad, h, oh));
      for (let kj = 0; kj < kw; kj++, row++) {
        const oxLo = Math.min(ow, firstValid(kj, stride, pad));
        const oxHi = Math.max(oxLo, lastValid(kj, stride, pad, w, ow));
        for (let img = 0; img < n; img++) {
          const base = row * cols + img * plane;
          const xPlane = (img * c + ch) * h * w;
          for (let oy = oyLo; oy < oyHi; oy++) {
            const o = base + oy * ow;
            const iy = oy * stride - pad + ki;
            let dst = xPlane + iy * w + oxLo * stride - pad + kj;
            if (stride === 1) {
              for (let ox = oxLo; ox < oxHi; ox++) dx[dst++] += col[o + ox];
            } else {
              for (let ox = oxLo; ox < oxHi; ox++, dst += stride) dx[dst] += col[o + ox];
            }
          }
        }
      }
    }
  }
}

/**
 * Images per im2col/GEMM group: enough that the GEMM has about
 * {@link GROUP_COLS} columns (big GEMMs amortise packing and let the helper
 * thread share the work) while the column buffer stays small.
 */
function groupSize(n: number, plane: number): number {
  return Math.max(1, Math.min(n, Math.floor(GROUP_COLS / Math.max(1, plane))));
}

/** Target number of GEMM columns (output positions) per group of images. */
const GROUP_COLS = 4096;

const scratchBufs: Float32Array[] = [new Float32Array(0), new Float32Array(0), new Float32Array(0)];

/** Reusable scratch buffer number `slot`, grown to at least `size` floats. */
function scratch(slot: number, size: number): Float32Array {
  if (scratchBufs[slot].length < size) scratchBufs[slot] = new Float32Array(size);
  return scratchBufs[slot];
}

/** `src[o, gs*plane]` (group-major columns) -> `dst[off + (img*o + f)*plane + p]`. */
function groupToNchw(
  src: Float32Array,
  o: number,
  gs: number,
  plane: number,
  dst: Float32Array,
  off: number,
): void {
  const cols = gs * plane;
  for (let f = 0; f < o; f++) {
    for (let img = 0; img < gs; img++) {
      const s0 = f * cols + img * plane;
      dst.set(src.subarray(s0, s0 + plane), off + (img * o + f) * plane);
    }
  }
}

/** Inverse of {@link groupToNchw}: NCHW `src` (from `off`) -> `dst[o, gs*plane]`. */
function nchwToGroup(
  src: Float32Array,
  off: number,
  o: number,
  gs: number,
  plane: number,
  dst: Float32Array,
): void {
  const cols = gs * plane;
  for (let f = 0; f < o; f++) {
    for (let img = 0; img < gs; img++) {
      const s0 = off + (img * o + f) * plane;
      dst.set(src.subarray(s0, s0 + plane), f * cols + img * plane);
    }
  }
}

interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
}

function convGeometry(
  op: string,
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  wShape: readonly number[],
  stride: number,
  pad: number,
): ConvGeometry {
  checkShape4(op, "xShape", xShape);
  checkShape4(op, "wShape", wShape);
  checkLength(op, "x", x, xShape);
  checkLength(op, "w", w, wShape);
  const [n, c, h, wd] = xShape;
  const [o, wc, kh, kw] = wShape;
  if (wc !== c) {
    throw new Error(
      `${op}: input has ${c} channels (xShape ${fmtShape(xShape)}) but weights expect ${wc} ` +
        `(wShape ${fmtShape(wShape)})`,
    );
  }
  const opDesc = `${op} (xShape ${fmtShape(xShape)}, wShape ${fmtShape(wShape)})`;
  const oh = conv2dOutputSize(h, kh, stride, pad, opDesc);
  const ow = conv2dOutputSize(wd, kw, stride, pad, opDesc);
  return { n, c, h, w: wd, o, kh, kw, oh, ow };
}

/**
 * 2-D convolution (really cross-correlation, as in every DL framework), no
 * bias: `y[b, o, i, j] = Σ_{c,ki,kj} x[b, c, i*stride - pad + ki, j*stride -
 * pad + kj] · w[o, c, ki, kj]`, with zeros outside the input.
 *
 * @param x input, NCHW
 * @param xShape `[n, c, h, w]`
 * @param w weights
 * @param wShape `[outC, c, kh, kw]`
 * @param stride window step (both axes)
 * @param pad zero padding (both axes, both sides)
 * @param bias optional `[outC]`, added to every output of its channel
 * @returns a fresh output `y` of shape `[n, outC, oh, ow]`
 * @throws Error naming the op and shapes on length or channel mismatch, or an
 *   empty output
 */
export function conv2dForward(
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  wShape: readonly number[],
  stride: number,
  pad: number,
  bias: Float32Array | null = null,
): { y: Float32Array; yShape: Shape4 } {
  const g = convGeometry("conv2dForward", x, xShape, w, wShape, stride, pad);
  if (bias !== null) checkLength("conv2dForward", "bias", bias, [g.o]);
  const plane = g.oh * g.ow;
  const kk = g.c * g.kh * g.kw;
  const inSize = g.c * g.h * g.w;
  const outSize = g.o * plane;
  const group = groupSize(g.n, plane);
  if (gemmKernel() === "wasm") {
    // The same loops in WebAssembly, the columns kept in its memory (kernels_wasm.ts).
    const y = conv2dForwardWasm(x, w, bias, { ...g, stride, pad, group }, gemmThreads());
    if (y) return { y, yShape: [g.n, g.o, g.oh, g.ow] };
  }
  const y = new Float32Array(g.n * outSize);
  const col = scratch(0, kk * group * plane);
  const tmp = group > 1 ? scratch(1, g.o * group * plane) : null;
  for (let i0 = 0; i0 < g.n; i0 += group) {
    const gs = Math.min(group, g.n - i0);
    const cols = gs * plane;
    im2col(x.subarray(i0 * inSize), gs, g.c, g.h, g.w, g.kh, g.kw, stride, pad, col);
    if (tmp === null) {
      // One image: the GEMM output [o, plane] already is NCHW.
      gemm(false, false, g.o, cols, kk, w, col, y.subarray(i0 * outSize, (i0 + 1) * outSize));
    } else {
      // tmp[o, gs*plane] = W · col, then scatter rows into y[img, o, plane].
      gemm(false, false, g.o, cols, kk, w, col, tmp);
      groupToNchw(tmp, g.o, gs, plane, y, i0 * outSize);
    }
  }
  if (bias !== null) addChannelBias(y, g.n, g.o, plane, bias);
  return { y, yShape: [g.n, g.o, g.oh, g.ow] };
}

/** Adds `bias[f]` to every element of channel `f` of the NCHW array `y` (`[n, o, plane]`). */
function addChannelBias(y: Float32Array, n: number, o: number, plane: number, bias: Float32Array) {
  for (let img = 0; img < n; img++) {
    for (let f = 0; f < o; f++) {
      const base = (img * o + f) * plane;
      const b = bias[f];
      for (let i = 0; i < plane; i++) y[base + i] += b;
    }
  }
}

/** The bias gradient: the sum of each channel of the NCHW gradient `dy` (`[n, o, plane]`). */
function channelSums(dy: Float32Array, n: number, o: number, plane: number): Float32Array {
  const db = new Float32Array(o);
  for (let img = 0; img < n; img++) {
    for (let f = 0; f < o; f++) {
      const base = (img * o + f) * plane;
      let sum = 0;
      for (let i = 0; i < plane; i++) sum += dy[base + i];
      db[f] += sum;
    }
  }
  return db;
}

/**
 * Gradients of {@link conv2dForward}.
 *
 * @param x forward input, NCHW
 * @param xShape `[n, c, h, w]`
 * @param w weights
 * @param wShape `[outC, c, kh, kw]`
 * @param dy upstream gradient, shape `[n, outC, oh, ow]`
 * @param stride forward stride
 * @param pad forward padding
 * @param needDx compute `dx` (false for a first layer saves about a third of
 *   the work)
 * @param needDb compute the bias gradient `db` (the sum of each channel of `dy`)
 * @returns fresh `dx` (shape of `x`, or null when `needDx` is false), `dw`
 *   (shape of `w`) and `db` (`[outC]`, or null when `needDb` is false)
 * @throws Error naming the op and shapes on length or channel mismatch
 */
export function conv2dBackward(
  x: Float32Array,
  xShape: readonly number[],
  w: Float32Array,
  wShape: readonly number[],
  dy: Float32Array,
  stride: number,
  pad: number,
  needDx = true,
  needDb = false,
): { dx: Float32Array | null; dw: Float32Array; db: Float32Array | null } {
  const g = convGeometry("conv2dBackward", x, xShape, w, wShape, stride, pad);
  checkLength("conv2dBackward", "dy", dy, [g.n, g.o, g.oh, g.ow]);
  const plane = g.oh * g.ow;
  const kk = g.c * g.kh * g.kw;
  const inSize = g.c * g.h * g.w;
  const outSize = g.o * plane;
  const group = groupSize(g.n, plane);
  if (gemmKernel() === "wasm") {
    const sizes = { ...g, stride, pad, group };
    const grads = conv2dBackwardWasm(x, w, dy, sizes, needDx, needDb, gemmThreads());
    if (grads) return grads;
  }
  const dw = new Float32Array(g.o * kk);
  const dx = needDx ? new Float32Array(g.n * inSize) : null;
  const col = scratch(0, kk * group * plane);
  const dyg = group > 1 ? scratch(1, g.o * group * plane) : null;
  const dcol = needDx ? scratch(2, kk * group * plane) : null;
  for (let i0 = 0; i0 < g.n; i0 += group) {
    const gs = Math.min(group, g.n - i0);
    const cols = gs * plane;
    let dyG: Float32Array;
    if (dyg === null) {
      dyG = dy.subarray(i0 * outSize, (i0 + 1) * outSize);
    } else {
      nchwToGroup(dy, i0 * outSize, g.o, gs, plane, dyg);
      dyG = dyg;
    }
    im2col(x.subarray(i0 * inSize), gs, g.c, g.h, g.w, g.kh, g.kw, stride, pad, col);
    // dW[o, kk] += dy_g[o, cols] · col[kk, cols]ᵀ
    gemm(false, true, g.o, kk, cols, dyG, col, dw, i0 > 0);
    if (dx && dcol) {
      // dcol[kk, cols] = W[o, kk]ᵀ · dy_g[o, cols], scattered back onto dx.
      gemm(true, false, kk, cols, g.o, w, dyG, dcol);
      col2im(dcol, gs, g.c, g.h, g.w, g.kh, g.kw, stride, pad, dx.subarray(i0 * inSize));
    }
  }
  return { dx, dw, db: needDb ? channelSums(dy, g.n, g.o, plane) : null };
}

function poolGeometry(
  op: string,
  x: ArrayLike<number>,
  xShape: readonly number[],
  k: number,
  stride: number,
  pad: number,
): { n: number; c: number; h: number; w: number; oh: number; ow: number } {
  checkShape4(op, "xShape", xShape);
  checkLength(op, "x", x, xShape);
  const desc = `${op} (xShape ${fmtShape(xShape)}, k ${k}, stride ${stride}, pad ${pad})`;
  if (Number.isInteger(pad) && Number.isInteger(k) && pad * 2 > k) {
    throw new Error(`${desc}: pad must be at most half the kernel size`);
  }
  const [n, c, h, w] = xShape;
  const oh = conv2dOutputSize(h, k, stride, pad, desc);
  const ow = conv2dOutputSize(w, k, stride, pad, desc);
  return { n, c, h, w, oh, ow };
}

/**
 * Max pooling over `k x k` windows. Padding counts as `-Infinity`, so it never
 * wins; every window contains at least one real element because
 * `pad <= k / 2` is required. NaN propagates (a window containing NaN outputs
 * NaN, and its argmax points at the first NaN).
 *
 * @param x input, NCHW
 * @param xShape `[n, c, h, w]`
 * @param k window size
 * @param stride window step
 * @param pad implicit `-Infinity` padding, at most `k / 2`
 * @returns `y` of shape `[n, c, oh, ow]` and `argmax`, the flat index into `x`
 *   of the element each output was taken from (first one on ties)
 * @throws Error naming the op and shapes on a length mismatch or bad window
 */
export function maxPool2dForward(
  x: Float32Array,
  xShape: readonly number[],
  k: number,
  stride: number,
  pad = 0,
): { y: Float32Array; yShape: Shape4; argmax: Int32Array } {
  const { n, c, h, w, oh, ow } = poolGeometry("maxPool2dForward", x, xShape, k, stride, pad);
  const y = new Float32Array(n * c * oh * ow);
  const argmax = new Int32Array(y.length);
  if (k === 2 && stride === 2 && pad === 0) {
    maxPool2x2(x, n * c, h, w, oh, ow, y, argmax);
    return { y, yShape: [n, c, oh, ow], argmax };
  }
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * stride - pad;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(h, y0 + k);
      for (let ox = 0; ox < ow; ox++, o++) {
        const x0 = ox * stride - pad;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(w, x0 + k);
        let best = x[base + yLo * w + xLo];
        let bestIdx = base + yLo * w + xLo;
        for (let iy = yLo; iy < yHi; iy++) {
          const rowOff = base + iy * w;
          for (let ix = xLo; ix < xHi; ix++) {
            const v = x[rowOff + ix];
            // `v !== v` is NaN: take the first NaN and keep it.
            if (v > best || (v !== v && best === best)) {
              best = v;
              bestIdx = rowOff + ix;
            }
          }
        }
        y[o] = best;
        argmax[o] = bestIdx;
      }
    }
  }
  return { y, yShape: [n, c, oh, ow], argmax };
}

/**
 * {@link maxPool2dForward} for 2x2 windows with stride 2 and no padding (what CNNs use most),
 * without data-dependent branches: which of two values is larger is random in a network's
 * activations, so `if (v > best)` mispredicts about half the time. The winner's index is computed
 * from comparisons (`+(b > a)` is 0 or 1) and its value loaded by that index; ties keep the first
 * element in row-major order, as in the general loop, which also takes windows with a NaN.
 */
function maxPool2x2(
  x: Float32Array,
  planes: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  y: Float32Array,
  argmax: Int32Array,
): void {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const top = base + 2 * oy * w;
      for (let ox = 0; ox < ow; ox++, o++) {
        const i = top + 2 * ox;
        const a = x[i], b = x[i + 1], c = x[i + w], d = x[i + w + 1];
        const sum = a + b + c + d;
        let at: number;
        if (sum === sum) {
          const upper = i + +(b > a);
          const lower = i + w + +(d > c);
          at = upper + +(x[lower] > x[upper]) * (lower - upper);
        } else {
          // A NaN (or +∞ and -∞) in the window: the first NaN wins, else the first maximum.
          at = i;
          for (const j of [i + 1, i + w, i + w + 1]) {
            const v = x[j], best = x[at];
            if (v > best || (v !== v && best === best)) at = j;
          }
        }
        y[o] = x[at];
        argmax[o] = at;
      }
    }
  }
}

/**
 * Gradient of {@link maxPool2dForward}: routes each `dy` to the input element
 * recorded in `argmax` (adding when windows overlap).
 *
 * @param dy upstream gradient, same length as `argmax`
 * @param argmax from the forward pass
 * @param xSize number of elements of the forward input
 * @returns a fresh `dx` of length `xSize`
 * @throws Error on a length mismatch or an out-of-range argmax entry
 */
export function maxPool2dBackward(
  dy: Float32Array,
  argmax: Int32Array,
  xSize: number,
): Float32Array {
  if (dy.length !== argmax.length) {
    throw new Error(
      `maxPool2dBackward: dy has length ${dy.length} but argmax has length ${argmax.length}`,
    );
  }
  const dx = new Float32Array(xSize);
  for (let i = 0; i < dy.length; i++) {
    const j = argmax[i];
    if (j < 0 || j >= xSize) {
      throw new Error(`maxPool2dBackward: argmax[${i}] = ${j} is outside x of size ${xSize}`);
    }
    dx[j] += dy[i];
  }
  return dx;
}

/**
 * Average pooling over `k x k` windows with `count_include_pad = false`
 * semantics: padded positions are ignored and each output is the mean of the
 * real input elements in its window (so border outputs divide by fewer than
 * `k*k`). This is PyTorch's `AvgPool2d(..., count_include_pad=False)`; with
 * `pad = 0` there is no difference.
 *
 * @param x input, NCHW
 * @param xShape `[n, c, h, w]`
 * @param k window size
 * @param stride window step
 * @param pad padding, at most `k / 2`
 * @returns `y` of shape `[n, c, oh, ow]`
 * @throws Error naming the op and shapes on a length mismatch or bad window
 */
export function avgPool2dForward(
  x: Float32Array,
  xShape: readonly number[],
  k: number,
  stride: number,
  pad = 0,
): { y: Float32Array; yShape: Shape4 } {
  const { n, c, h, w, oh, ow } = poolGeometry("avgPool2dForward", x, xShape, k, stride, pad);
  const y = new Float32Array(n * c * oh * ow);
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const yLo = Math.max(0, oy * stride - pad);
      const yHi = Math.min(h, oy * stride - pad + k);
      for (let ox = 0; ox < ow; ox++, o++) {
        const xLo = Math.max(0, ox * stride - pad);
        const xHi = Math.min(w, ox * stride - pad + k);
        let s = 0;
        for (let iy = yLo; iy < yHi; iy++) {
          const rowOff = base + iy * w;
          for (let ix = xLo; ix < xHi; ix++) s += x[rowOff + ix];
        }
        y[o] = s / ((yHi - yLo) * (xHi - xLo));
      }
    }
  }
  return { y, yShape: [n, c, oh, ow] };
}

/**
 * Gradient of {@link avgPool2dForward} (same `count_include_pad = false`
 * semantics): each `dy` is spread evenly over the real input elements of its
 * window.
 *
 * @param dy upstream gradient, shape `[n, c, oh, ow]`
 * @param xShape forward input shape `[n, c, h, w]`
 * @param k window size
 * @param stride window step
 * @param pad padding
 * @returns a fresh `dx` with shape `xShape`
 * @throws Error naming the op and shapes on a length mismatch or bad window
 */
export function avgPool2dBackward(
  dy: Float32Array,
  xShape: readonly number[],
  k: number,
  stride: number,
  pad = 0,
): Float32Array {
  checkShape4("avgPool2dBackward", "xShape", xShape);
  const size = xShape[0] * xShape[1] * xShape[2] * xShape[3];
  const { n, c, h, w, oh, ow } = poolGeometry(
    "avgPool2dBackward",
    { length: size },
    xShape,
    k,
    stride,
    pad,
  );
  checkLength("avgPool2dBackward", "dy", dy, [n, c, oh, ow]);
  const dx = new Float32Array(size);
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const yLo = Math.max(0, oy * stride - pad);
      const yHi = Math.min(h, oy * stride - pad + k);
      for (let ox = 0; ox < ow; ox++, o++) {
        const xLo = Math.max(0, ox * stride - pad);
        const xHi = Math.min(w, ox * stride - pad + k);
        const g = dy[o] / ((yHi - yLo) * (xHi - xLo));
        for (let iy = yLo; iy < yHi; iy++) {
          const rowOff = base + iy * w;
          for (let ix = xLo; ix < xHi; ix++) dx[rowOff + ix] += g;
        }
      }
    }
  }
  return dx;
}
