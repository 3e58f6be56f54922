/**
 * The WebAssembly fast paths of the convolution (`conv.ts`) and batch normalisation
 * (`batchnorm.ts`) kernels: the same loops, compiled from AssemblyScript (`assembly/conv.ts`,
 * `assembly/batchnorm.ts`) into the module that holds the SIMD `gemm` (`gemm_wasm.ts`).
 *
 * Why in WebAssembly, beyond SIMD: a convolution's im2col columns are 9× (for 3×3 kernels) the
 * size of its input. Built in JavaScript, they had to be copied into the module's memory for every
 * `gemm` and its output copied back and regrouped; here the input and the weights are copied in
 * once, im2col, `gemm` and the regrouping all run on the module's memory, and only the result is
 * copied out. Each call lays its arrays out from `heapStart` and keeps nothing after it returns.
 * With two threads, the products and the channel-by-channel kernels are shared with `gemm`'s
 * helper thread (`gemm_wasm.ts`); results are bit-identical to one thread.
 *
 * Each function returns null when WebAssembly SIMD is unavailable or the arrays do not fit in the
 * module's memory; the caller then runs its TypeScript loops.
 *
 * @module
 */
import {
  align16,
  channelsAt,
  gemmAt,
  heapFloats,
  heapStart,
  load,
  type Loaded,
  reserveHeap,
} from "./gemm_wasm.ts";

/** Lays arrays out one after another (16-byte aligned) in the module's memory. */
class Layout {
  #at: number;
  constructor(l: Loaded) {
    this.#at = heapStart(l);
  }
  /** Byte address of a new array of `floats` floats. */
  floats(floats: number): number {
    const at = this.#at;
    this.#at = align16(at + floats * 4);
    return at;
  }
  get end(): number {
    return this.#at;
  }
}

/** Geometry of one convolution, as `conv.ts` computes it. */
export interface ConvSizes {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  stride: number;
  pad: number;
  /** Images per im2col + gemm group. */
  group: number;
}

/** im2col of `gs` images at `xAt` into `colAt` (shared by input channels with two threads). */
function im2colAt(
  l: Loaded,
  s: Omit<ConvSizes, "o" | "group">,
  xAt: number,
  gs: number,
  colAt: number,
  threads: number,
): void {
  const args = [xAt, gs, s.c, s.h, s.w, s.kh, s.kw, s.stride, s.pad, s.oh, s.ow, colAt];
  channelsAt(l, "im2col", args, s.c, s.c * s.kh * s.kw * gs * s.oh * s.ow, threads);
}

/** {@link conv2dForward} (conv.ts) in WebAssembly: `y` (NCHW), or null. */
export function conv2dForwardWasm(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  s: ConvSizes,
  threads: number,
): Float32Array | null {
  const l = load();
  if (l === null) return null;
  const plane = s.oh * s.ow, kk = s.c * s.kh * s.kw;
  const inSize = s.c * s.h * s.w, outSize = s.o * plane;
  const mem = new Layout(l);
  const xAt = mem.floats(s.n * inSize), wAt = mem.floats(s.o * kk);
  const colAt = mem.floats(kk * s.group * plane);
  const tmpAt = s.group > 1 ? mem.floats(s.o * s.group * plane) : 0;
  const yAt = mem.floats(s.n * outSize);
  const biasAt = bias ? mem.floats(s.o) : 0;
  if (!reserveHeap(l, mem.end)) return null;
  heapFloats(l, xAt, s.n * inSize).set(x.subarray(0, s.n * inSize));
  heapFloats(l, wAt, s.o * kk).set(w.subarray(0, s.o * kk));
  if (bias) heapFloats(l, biasAt, s.o).set(bias.subarray(0, s.o));
  for (let i0 = 0; i0 < s.n; i0 += s.group) {
    const gs = Math.min(s.group, s.n - i0);
    const cols = gs * plane;
    const xg = xAt + i0 * inSize * 4, yg = yAt + i0 * outSize * 4;
    im2colAt(l, s, xg, gs, colAt, threads);
    if (s.group === 1) {
      gemmAt(l, false, false, s.o, cols, kk, wAt, colAt, yg, false, threads);
    } else {
      gemmAt(l, false, false, s.o, cols, kk, wAt, colAt, tmpAt, false, threads);
      l.ex.groupToNchw(tmpAt, s.o, gs, plane, yg, biasAt); // + bias on the way
    }
  }
  if (bias && s.group === 1) l.ex.addBias(yAt, s.n, s.o, plane, biasAt);
  return heapFloats(l, yAt, s.n * outSize).slice();
}

/** {@link conv2dBackward} (conv.ts) in WebAssembly: `dx` (or null) and `dw`; null when unavailable. */
export function conv2dBackwardWasm(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  s: ConvSizes,
  needDx: boolean,
  needDb: boolean,
  threads: number,
): { dx: Float32Array | null; dw: Float32Array; db: Float32Array | null } | null {
  const l = load();
  if (l === null) return null;
  const plane = s.oh * s.ow, kk = s.c * s.kh * s.kw;
  const inSize = s.c * s.h * s.w, outSize = s.o * plane;
  const mem = new Layout(l);
  const xAt = mem.floats(s.n * inSize), wAt = mem.floats(s.o * kk);
  const dyAt = mem.floats(s.n * outSize);
  const colAt = mem.floats(kk * s.group * plane);
  const dygAt = s.group > 1 ? mem.floats(s.o * s.group * plane) : 0;
  const dcolAt = needDx ? mem.floats(kk * s.group * plane) : 0;
  // dW's product puts the larger of (output channels, taps) in its columns (the micro-kernel's
  // tile is 4 rows × 8 columns; e.g. the first layer's 16 × 9 becomes 9 × 16, 1.6× faster); the
  // same sums in the same order, so the same bits.
  const transposeDw = s.o > kk;
  const dwAt = mem.floats(s.o * kk);
  const dxAt = needDx ? mem.floats(s.n * inSize) : 0;
  const dbAt = needDb ? mem.floats(s.o) : 0;
  if (!reserveHeap(l, mem.end)) return null;
  heapFloats(l, xAt, s.n * inSize).set(x.subarray(0, s.n * inSize));
  heapFloats(l, wAt, s.o * kk).set(w.subarray(0, s.o * kk));
  heapFloats(l, dyAt, s.n * outSize).set(dy.subarray(0, s.n * outSize));
  if (needDx) heapFloats(l, dxAt, s.n * inSize).fill(0);
  for (let i0 = 0; i0 < s.n; i0 += s.group) {
    const gs = Math.min(s.group, s.n - i0);
    const cols = gs * plane;
    let dyG = dyAt + i0 * outSize * 4;
    if (s.group > 1) {
      l.ex.nchwToGroup(dyG, s.o, gs, plane, dygAt);
      dyG = dygAt;
    }
    const xg = xAt + i0 * inSize * 4;
    im2colAt(l, s, xg, gs, colAt, threads);
    // dW[o, kk] += dy_g[o, cols] · col[kk, cols]ᵀ (or dWᵀ[kk, o] += col · dy_gᵀ)
    if (transposeDw) gemmAt(l, false, true, kk, s.o, cols, colAt, dyG, dwAt, i0 > 0, threads);
    else gemmAt(l, false, true, s.o, kk, cols, dyG, colAt, dwAt, i0 > 0, threads);
    if (needDx) {
      // dcol[kk, cols] = W[o, kk]ᵀ · dy_g[o, cols], scattered back onto dx.
      gemmAt(l, true, false, kk, cols, s.o, wAt, dyG, dcolAt, false, threads);
      const dxg = dxAt + i0 * inSize * 4;
      const args = [dcolAt, gs, s.c, s.h, s.w, s.kh, s.kw, s.stride, s.pad, s.oh, s.ow, dxg];
      channelsAt(l, "col2im", args, s.c, kk * cols, threads);
    }
  }
  if (needDb) l.ex.biasGradient(dyAt, s.n, s.o, plane, dbAt);
  let dw = heapFloats(l, dwAt, s.o * kk).slice();
  if (transposeDw) {
    const dwT = dw;
    dw = new Float32Array(s.o * kk);
    for (let o = 0; o < s.o; o++) for (let j = 0; j < kk; j++) dw[o * kk + j] = dwT[j * s.o + o];
  }
  return {
    dx: needDx ? heapFloats(l, dxAt, s.n * inSize).slice() : null,
    dw,
    db: needDb ? heapFloats(l, dbAt, s.o).slice() : null,
  };
}

/** The module's im2col into `out` (tests compare it with the TypeScript one); false when unavailable. */
export function im2colWasm(
  x: Float32Array,
  s: Omit<ConvSizes, "o" | "group">,
  out: Float32Array,
  threads = 1,
): boolean {
  const l = load();
  if (l === null) return false;
  const kk = s.c * s.kh * s.kw, cols = s.n * s.oh * s.ow, inSize = s.n * s.c * s.h * s.w;
  const mem = new Layout(l);
  const xAt = mem.floats(inSize), colAt = mem.floats(kk * cols);
  if (!reserveHeap(l, mem.end)) return false;
  heapFloats(l, xAt, inSize).set(x.subarray(0, inSize));
  im2colAt(l, s, xAt, s.n, colAt, threads);
  out.set(heapFloats(l, colAt, kk * cols));
  return true;
}

/** The module's col2im, adding into `dx` as the TypeScript one does; false when unavailable. */
export function col2imWasm(
  col: Float32Array,
  s: Omit<ConvSizes, "o" | "group">,
  dx: Float32Array,
  threads = 1,
): boolean {
  const l = load();
  if (l === null) return false;
  const kk = s.c * s.kh * s.kw, cols = s.n * s.oh * s.ow, inSize = s.n * s.c * s.h * s.w;
  const mem = new Layout(l);
  const colAt = mem.floats(kk * cols), dxAt = mem.floats(inSize);
  if (!reserveHeap(l, mem.end)) return false;
  heapFloats(l, colAt, kk * cols).set(col.subarray(0, kk * cols));
  heapFloats(l, dxAt, inSize).set(dx.subarray(0, inSize));
  const args = [colAt, s.n, s.c, s.h, s.w, s.kh, s.kw, s.stride, s.pad, s.oh, s.ow, dxAt];
  channelsAt(l, "col2im", args, s.c, kk * cols, threads);
  dx.set(heapFloats(l, dxAt, inSize));
  return true;
}

/**
 * {@link batchNormForward} (batchnorm.ts) in WebAssembly: fills `mean`/`variance` from the batch
 * when `batchStats`, else reads them, and returns the output and `invStd`; null when unavailable.
 */
export function batchNormForwardWasm(
  x: Float32Array,
  n: number,
  c: number,
  spatial: number,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  mean: Float32Array,
  variance: Float32Array,
  batchStats: boolean,
  threads = 1,
): { out: Float32Array; invStd: Float32Array } | null {
  const l = load();
  if (l === null) return null;
  const size = n * c * spatial;
  const mem = new Layout(l);
  const xAt = mem.floats(size), outAt = mem.floats(size);
  const meanAt = mem.floats(c), varAt = mem.floats(c), invAt = mem.floats(c);
  const gammaAt = mem.floats(c), betaAt = mem.floats(c);
  if (!reserveHeap(l, mem.end)) return null;
  heapFloats(l, xAt, size).set(x.subarray(0, size));
  if (batchStats) {
    channelsAt(l, "batchNormStatistics", [xAt, n, c, spatial, meanAt, varAt], c, size, threads);
    mean.set(heapFloats(l, meanAt, c));
    variance.set(heapFloats(l, varAt, c));
  } else {
    heapFloats(l, meanAt, c).set(mean);
  }
  const invStd = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) invStd[ch] = 1 / Math.sqrt(variance[ch] + eps);
  heapFloats(l, invAt, c).set(invStd);
  heapFloats(l, gammaAt, c).set(gamma);
  heapFloats(l, betaAt, c).set(beta);
  const args = [xAt, n, c, spatial, meanAt, invAt, gammaAt, betaAt, outAt];
  channelsAt(l, "batchNormForward", args, c, size, threads);
  return { out: heapFloats(l, outAt, size).slice(), invStd };
}

/** {@link batchNormBackward} (batchnorm.ts) in WebAssembly, or null when unavailable. */
export function batchNormBackwardWasm(
  x: Float32Array,
  g: Float32Array,
  n: number,
  c: number,
  spatial: number,
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  batchStats: boolean,
  needDx: boolean,
  threads = 1,
): { dx: Float32Array | null; dGamma: Float32Array; dBeta: Float32Array } | null {
  const l = load();
  if (l === null) return null;
  const size = n * c * spatial;
  const mem = new Layout(l);
  const xAt = mem.floats(size), gAt = mem.floats(size), dxAt = needDx ? mem.floats(size) : 0;
  const meanAt = mem.floats(c), invAt = mem.floats(c), gammaAt = mem.floats(c);
  const dGammaAt = mem.floats(c), dBetaAt = mem.floats(c);
  if (!reserveHeap(l, mem.end)) return null;
  heapFloats(l, xAt, size).set(x.subarray(0, size));
  heapFloats(l, gAt, size).set(g.subarray(0, size));
  heapFloats(l, meanAt, c).set(mean);
  heapFloats(l, invAt, c).set(invStd);
  heapFloats(l, gammaAt, c).set(gamma);
  const args = [xAt, gAt, n, c, spatial, meanAt, invAt, gammaAt, batchStats ? 1 : 0];
  args.push(dGammaAt, dBetaAt, dxAt);
  channelsAt(l, "batchNormBackward", args, c, 2 * size, threads);
  return {
    dx: needDx ? heapFloats(l, dxAt, size).slice() : null,
    dGamma: heapFloats(l, dGammaAt, c).slice(),
    dBeta: heapFloats(l, dBetaAt, c).slice(),
  };
}
