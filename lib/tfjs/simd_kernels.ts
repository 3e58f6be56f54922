/**
 * WebAssembly SIMD kernels of our own for the wasm backend, where XNNPACK is slow or absent:
 * convolution filter gradients (`Conv2DBackpropFilter`, `Conv3DBackpropFilterV2`,
 * `DepthwiseConv2dNativeBackpropFilter`; see `kernels_conv2d.ts`, `kernels_conv3d.ts`) and max
 * pooling with its gradient (`kernels_pool.ts`).
 *
 * A filter gradient reduces over every output position (batch × space: 10⁴-10⁵ terms) into only a
 * few hundred outputs. XNNPACK, given it as a convolution of the swapped input by `dy`, walks it as
 * many taps of only `N` (batch) channels each, at 1-8 GFLOP/s on our layers. The kernel here
 * streams the positions with a 4×8 tile of the gradient in registers (written in AssemblyScript,
 * `assembly/simd_kernels.ts`, built by `deno task build:wasm` into `simd_kernels_bin.ts` like the
 * engine's gemm: one build with relaxed SIMD's fused multiply-add, one without). Max pooling
 * compares and selects four channels at a time instead of branching on every element. Inputs are
 * copied from the backend's memory into the module's own (the convolution input zero-padded once,
 * so no tap reads outside it); accumulation is in float32 in an order fixed by the shapes, so
 * results are deterministic and independent of `BOOK_THREADS`.
 *
 * @module
 */
import { claimUnit, HelperThread, JOB, serveAsHelper } from "../common/helper_thread.ts";
import { bookThreads } from "../common/threads.ts";
import {
  instantiateBuild,
  instantiateFirst,
  type LoadedModule,
  MAX_MEMORY_BYTES,
  type SimdBuild,
} from "../common/wasm_module.ts";
import { SIMD_KERNELS_WASM_RELAXED_SIMD, SIMD_KERNELS_WASM_SIMD } from "./simd_kernels_bin.ts";

interface SimdKernelsExports {
  padCopy(
    src: number,
    dst: number,
    n: number,
    d: number,
    h: number,
    w: number,
    c: number,
    dp: number,
    hp: number,
    wp: number,
    cp: number,
    pd: number,
    ph: number,
    pw: number,
  ): void;
  positions(
    pos: number,
    n: number,
    od: number,
    oh: number,
    ow: number,
    dp: number,
    hp: number,
    wp: number,
    cp: number,
    sd: number,
    sh: number,
    sw: number,
  ): void;
  filterGradRows(
    x: number,
    dy: number,
    pos: number,
    rowOff: number,
    out: number,
    count: number,
    fp: number,
    chunk: number,
    r0: number,
    r1: number,
  ): void;
  maxPool(
    x: number,
    y: number,
    arg: number,
    n: number,
    d: number,
    h: number,
    w: number,
    c: number,
    od: number,
    oh: number,
    ow: number,
    kd: number,
    kh: number,
    kw: number,
    sd: number,
    sh: number,
    sw: number,
    pf: number,
    pt: number,
    pl: number,
  ): void;
  scatterAdd(dx: number, dxCount: number, dy: number, arg: number, count: number): void;
  depthGather(
    src: number,
    dst: number,
    n: number,
    dp: number,
    plane: number,
    c: number,
    od: number,
    kd: number,
    sd: number,
    dd: number,
  ): void;
  depthwiseFilterGradChannels(
    x: number,
    dy: number,
    pos: number,
    tapOff: number,
    out: number,
    count: number,
    taps: number,
    cp: number,
    chunk: number,
    c0: number,
    c1: number,
  ): void;
}

/** Which build is loaded: with relaxed SIMD (fused multiply-add) or plain SIMD. */
export type SimdKernelsVariant = SimdBuild;

const BUILDS: Record<SimdKernelsVariant, string> = {
  "relaxed-simd": SIMD_KERNELS_WASM_RELAXED_SIMD,
  "simd": SIMD_KERNELS_WASM_SIMD,
};
/** Byte address where our buffers start (AssemblyScript's static data lives below it). */
const BASE = 65536;
/** Bytes of `dy` per chunk of positions (sized for L2 with the input rows it meets). */
const CHUNK_BYTES = 128 * 1024;

type Loaded = LoadedModule<SimdKernelsExports>;
const NAME = "simd_kernels";
let loaded: Loaded | null = null;
let unavailable = false;
let only: SimdKernelsVariant | null = null;
let disabled = false;

function load(): Loaded | null {
  if (disabled) return null;
  if (loaded || unavailable) return loaded;
  loaded = instantiateFirst<SimdKernelsExports>(BUILDS, only, NAME);
  if (loaded !== null) return loaded;
  unavailable = true;
  return null;
}

/**
 * Chooses the build (tests check both against float64 references); null restores the default,
 * relaxed SIMD where the runtime has it. `"off"` disables the kernels, so that the kernels fall
 * back to their tfjs-op forms (tests compare the two).
 */
export function selectSimdKernelsVariant(v: SimdKernelsVariant | "off" | null): void {
  disabled = v === "off";
  only = v === "off" ? null : v;
  loaded = null;
  unavailable = false;
  helper.stop();
}

/** The build in use, or null when the kernels are off or WebAssembly SIMD is unavailable. */
export function simdKernelsVariant(): SimdKernelsVariant | null {
  return load()?.variant ?? null;
}

// ------------------------------------------------------------------------------------------------
// Two threads: a helper thread (`lib/common/helper_thread.ts`) instantiates the same build on the
// same shared memory, and both threads claim units of a filter gradient's rows (or a depthwise
// gradient's channels), as the engine's gemm does with columns (`lib/autograd/kernels/
// gemm_wasm.ts`). Every output is summed in the same order whichever thread computes it, so
// results are bit-identical with one or two threads.

const helper = new HelperThread(
  import.meta.url,
  "deep-learning-in-deno/tfjs-simd-kernels-worker",
  () => ({ memory: loaded!.memory, variant: loaded!.variant }),
);
// job slots: kind, units, blocks (of rows or channels), block width, then the kernel's arguments
const J_KIND = JOB, J_UNITS = JOB + 1, J_BLOCKS = JOB + 2, J_WIDTH = JOB + 3, J_ARGS = JOB + 4;
const KIND_FILTER = 1, KIND_DEPTHWISE = 2;
/** Units a split job is cut into (each streams all of dy once: few, but enough to balance). */
const SPLIT_UNITS = 4;
/** Multiply-adds below which sharing a gradient with the helper thread does not pay. */
const PAR_MIN_MACS = 1 << 22;

/**
 * Starts the helper thread now (otherwise the first large two-thread gradient starts it) and
 * resolves to true once it is ready, false when it cannot start.
 */
export async function simdKernelsHelperReady(timeoutMs = 5000): Promise<boolean> {
  return load() !== null && await helper.whenReady(timeoutMs);
}

/** Runs blocks [b0, b1) of the job in `job` (rows of 4 or channels of 8). */
function runBlocks(ex: SimdKernelsExports, job: Int32Array, b0: number, b1: number): void {
  const w = job[J_WIDTH];
  const args = Array.from(job.subarray(J_ARGS, J_ARGS + 9)) as KernelArgs;
  if (job[J_KIND] === KIND_FILTER) {
    ex.filterGradRows(...(args.slice(0, 8) as FilterArgs), b0 * w, b1 * w);
  } else {
    ex.depthwiseFilterGradChannels(...args, b0 * w, b1 * w);
  }
}
type FilterArgs = [number, number, number, number, number, number, number, number];
type KernelArgs = [...FilterArgs, number];

/** Claims units of the job in `ctrl` and computes them until none are left. */
function runUnits(ex: SimdKernelsExports, ctrl: Int32Array): void {
  const units = ctrl[J_UNITS], blocks = ctrl[J_BLOCKS];
  for (let u = claimUnit(ctrl); u >= 0; u = claimUnit(ctrl)) {
    runBlocks(ex, ctrl, Math.floor(u * blocks / units), Math.floor((u + 1) * blocks / units));
  }
}

serveAsHelper(helper.kind, (data) => {
  const build = BUILDS[data.variant as SimdKernelsVariant];
  const ex = instantiateBuild<SimdKernelsExports>(build, data.memory as WebAssembly.Memory, NAME);
  return () => runUnits(ex, data.ctrl);
});

/**
 * Runs a gradient of `blocks` blocks (of `width` rows or channels) in this thread, or in `units`
 * units shared with the helper thread when `threads` ≥ 2 and the work is large enough.
 */
function splitWork(
  l: Loaded,
  kind: number,
  args: number[],
  blocks: number,
  units: number,
  width: number,
  macs: number,
  threads: number,
): void {
  const ctrl = threads >= 2 && units >= 2 && macs >= PAR_MIN_MACS ? helper.ready() : null;
  const job = ctrl ?? new Int32Array(J_ARGS + args.length);
  job.set([kind, units, blocks, width, ...args], J_KIND);
  if (ctrl === null) runBlocks(l.ex, job, 0, blocks);
  else helper.share(ctrl, units, () => runUnits(l.ex, ctrl));
}

/** Geometry of a (2-D or 3-D) channels-last convolution whose filter gradient is wanted. */
export interface ConvGradGeometry {
  /** Forward input `[N, D, H, W, C]` (2-D: `D = 1`). */
  inShape: number[];
  /** Output `[Do, Ho, Wo]`. */
  outSize: number[];
  /** Filter `[kd, kh, kw]`. */
  kernelSize: number[];
  /** `[sd, sh, sw]`. */
  strides: number[];
  /** `[dd, dh, dw]`. */
  dilations: number[];
  /** `[front, top, left]` padding of the forward convolution. */
  padBefore: number[];
}

const align16 = (x: number) => Math.ceil(x / 16) * 16;
const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** A bump allocator over the module's memory for one call. */
class Arena {
  at = BASE;
  constructor(readonly l: Loaded) {}
  /** Reserves `bytes` and returns their byte address. */
  take(bytes: number): number {
    const a = this.at;
    this.at = align16(a + bytes);
    return a;
  }
  /** Grows the memory to everything taken; false when over the module's maximum. */
  commit(): boolean {
    const mem = this.l.memory;
    if (this.at > MAX_MEMORY_BYTES) return false;
    if (this.at > mem.buffer.byteLength) {
      mem.grow(Math.ceil((this.at - mem.buffer.byteLength) / 65536));
    }
    return true;
  }
}

/**
 * Copies `x` into the module's memory zero-padded to `[N, dp, hp, wp, cp]` and writes the table of
 * output positions; returns their addresses and the padded sizes.
 */
function stageInput(arena: Arena, x: Float32Array, g: ConvGradGeometry, cp: number) {
  const [n, d, h, w, c] = g.inShape;
  const [od, oh, ow] = g.outSize;
  const span = (i: number) =>
    (g.outSize[i] - 1) * g.strides[i] + (g.kernelSize[i] - 1) *
      g.dilations[i] +
    1;
  const [pd, ph, pw] = g.padBefore;
  const dp = Math.max(pd + d, span(0)), hp = Math.max(ph + h, span(1));
  const wp = Math.max(pw + w, span(2));
  const count = n * od * oh * ow;
  const direct = pd === 0 && ph === 0 && pw === 0 && dp === d && hp === h && wp === w && cp === c;
  const raw = arena.take(x.length * 4);
  const xp = direct ? raw : arena.take(n * dp * hp * wp * cp * 4);
  const pos = arena.take(count * 4);
  return { raw, xp, pos, dp, hp, wp, count, direct };
}

/**
 * Fills what {@link stageInput} reserved (after `arena.commit()`): `x` copied in, zero-padded to
 * `[N, dp, hp, wp, cp]` unless used in place, and the start offset of every output position.
 */
function fillInput(
  l: Loaded,
  s: ReturnType<typeof stageInput>,
  x: Float32Array,
  g: ConvGradGeometry,
  cp: number,
) {
  new Float32Array(l.memory.buffer, s.raw, x.length).set(x);
  const [n, d, h, w, c] = g.inShape;
  if (!s.direct) {
    const [pd, ph, pw] = g.padBefore;
    l.ex.padCopy(s.raw, s.xp, n, d, h, w, c, s.dp, s.hp, s.wp, cp, pd, ph, pw);
  }
  const [od, oh, ow] = g.outSize;
  const [sd, sh, sw] = g.strides;
  l.ex.positions(s.pos, n, od, oh, ow, s.dp, s.hp, s.wp, cp, sd, sh, sw);
}

/** Copies `dy` `[count, f]` into the module's memory at `at` with rows widened to `fp` floats. */
function stageRows(l: Loaded, at: number, tmp: number, dy: Float32Array, f: number, fp: number) {
  const heap = l.memory.buffer;
  if (fp === f) {
    new Float32Array(heap, at, dy.length).set(dy);
    return;
  }
  new Float32Array(heap, tmp, dy.length).set(dy);
  const count = dy.length / f;
  l.ex.padCopy(tmp, at, count, 1, 1, 1, f, 1, 1, 1, fp, 0, 0, 0);
}

/**
 * `dW[kd, kh, kw, C, F]` of a convolution with input `x` (`g.inShape`) and output gradient `dy`
 * `[N, Do, Ho, Wo, F]`, or null when the kernel is unavailable (the caller falls back).
 */
export function convFilterGradWasm(
  x: Float32Array,
  dy: Float32Array,
  g: ConvGradGeometry,
  threads = bookThreads(2),
): Float32Array | null {
  const l = load();
  if (l === null) return null;
  const c = g.inShape[4];
  const [kd, kh, kw] = g.kernelSize;
  const count = g.inShape[0] * g.outSize[0] * g.outSize[1] * g.outSize[2];
  const f = dy.length / count;
  const fp = roundUp(f, 8);
  const rows = kd * kh * kw * c, rowsP = roundUp(rows, 4);
  const arena = new Arena(l);
  const s = stageInput(arena, x, g, c);
  const dyAt = arena.take(count * fp * 4);
  const tmp = fp === f ? 0 : arena.take(dy.length * 4);
  const rowOff = arena.take(rowsP * 4);
  const out = arena.take(rowsP * fp * 4);
  if (!arena.commit()) return null;
  const heap = l.memory.buffer;
  fillInput(l, s, x, g, c);
  stageRows(l, dyAt, tmp, dy, f, fp);
  const offs = new Int32Array(heap, rowOff, rowsP);
  const [dd, dh, dw] = g.dilations;
  let r = 0;
  for (let z = 0; z < kd; z++) {
    for (let y = 0; y < kh; y++) {
      for (let xx = 0; xx < kw; xx++) {
        const tap = ((z * dd * s.hp + y * dh) * s.wp + xx * dw) * c;
        for (let ci = 0; ci < c; ci++) offs[r++] = (tap + ci) * 4;
      }
    }
  }
  offs.fill(0, rows);
  const chunk = Math.max(64, Math.floor(CHUNK_BYTES / (fp * 4)));
  const args = [s.xp, dyAt, s.pos, rowOff, out, count, fp, chunk];
  const units = Math.min(SPLIT_UNITS, rowsP / 4);
  splitWork(l, KIND_FILTER, args, rowsP / 4, units, 4, count * rowsP * fp, threads);
  const o = new Float32Array(heap, out, rowsP * fp);
  const result = new Float32Array(rows * f);
  if (fp === f) result.set(o.subarray(0, rows * f));
  else for (let i = 0; i < rows; i++) result.set(o.subarray(i * fp, i * fp + f), i * f);
  return result;
}

/**
 * `dW[kh, kw, C, 1]` of a depthwise 2-D convolution (channel multiplier 1) with input `x`
 * (`g.inShape`, `D = 1`, `kd = 1`) and output gradient `dy` `[N, 1, Ho, Wo, C]`, or null when the
 * kernel is unavailable.
 */
export function depthwiseFilterGradWasm(
  x: Float32Array,
  dy: Float32Array,
  g: ConvGradGeometry,
  threads = bookThreads(2),
): Float32Array | null {
  const l = load();
  if (l === null) return null;
  const c = g.inShape[4];
  const [, kh, kw] = g.kernelSize;
  const cp = roundUp(c, 8);
  const taps = kh * kw;
  const arena = new Arena(l);
  const s = stageInput(arena, x, g, cp);
  const dyAt = arena.take(s.count * cp * 4);
  const tmp = cp === c ? 0 : arena.take(dy.length * 4);
  const tapOff = arena.take(taps * 4);
  const out = arena.take(taps * cp * 4);
  if (!arena.commit()) return null;
  const heap = l.memory.buffer;
  fillInput(l, s, x, g, cp);
  stageRows(l, dyAt, tmp, dy, c, cp);
  const offs = new Int32Array(heap, tapOff, taps);
  const [, dh, dw] = g.dilations;
  for (let y = 0; y < kh; y++) {
    for (let xx = 0; xx < kw; xx++) offs[y * kw + xx] = (y * dh * s.wp + xx * dw) * cp * 4;
  }
  const chunk = Math.max(64, Math.floor(CHUNK_BYTES / (cp * 4)));
  const args = [s.xp, dyAt, s.pos, tapOff, out, s.count, taps, cp, chunk];
  const units = Math.min(SPLIT_UNITS, cp / 8);
  splitWork(l, KIND_DEPTHWISE, args, cp / 8, units, 8, s.count * taps * cp, threads);
  const o = new Float32Array(heap, out, taps * cp);
  const result = new Float32Array(taps * c);
  for (let t = 0; t < taps; t++) result.set(o.subarray(t * cp, t * cp + c), t * c);
  return result;
}

/** Geometry of a (2-D or 3-D) max pooling over an `NDHWC` input (as `kernels_pool.ts`'s). */
export interface PoolWindow {
  /** Input `[N, D, H, W, C]`. */
  inShape: number[];
  /** Output `[Do, Ho, Wo]`. */
  outSize: number[];
  /** Window `[kd, kh, kw]`. */
  filter: number[];
  /** `[sd, sh, sw]`. */
  strides: number[];
  /** `[front, top, left]`. */
  padBefore: number[];
}

/** Stages `x` and runs the SIMD window sweep; returns the output and argmax addresses. */
function poolSweep(l: Loaded, x: Float32Array, g: PoolWindow, wantMax: boolean, extra: number) {
  const [n, d, h, w, c] = g.inShape;
  const count = n * g.outSize[0] * g.outSize[1] * g.outSize[2] * c;
  const arena = new Arena(l);
  const xAt = arena.take(x.length * 4);
  const yAt = wantMax ? arena.take(count * 4) : 0;
  const argAt = wantMax ? 0 : arena.take(count * 4);
  const extraAt = arena.take(extra * 4);
  if (!arena.commit()) return null;
  new Float32Array(l.memory.buffer, xAt, x.length).set(x);
  const [od, oh, ow] = g.outSize, [kd, kh, kw] = g.filter, [sd, sh, sw] = g.strides;
  const [pf, pt, pl] = g.padBefore;
  l.ex.maxPool(xAt, yAt, argAt, n, d, h, w, c, od, oh, ow, kd, kh, kw, sd, sh, sw, pf, pt, pl);
  return { yAt, argAt, extraAt, count };
}

/**
 * Max pooling forward pass into `out` `[N, Do, Ho, Wo, C]`; false (nothing written) when the
 * kernel is unavailable.
 */
export function maxPoolWasm(x: Float32Array, g: PoolWindow, out: Float32Array): boolean {
  const l = load();
  if (l === null) return false;
  const s = poolSweep(l, x, g, true, 0);
  if (s === null) return false;
  out.set(new Float32Array(l.memory.buffer, s.yAt, s.count));
  return true;
}

/**
 * Max pooling backward pass: `dx` (overwritten) gets each `dy` element at its window's first
 * maximum; false (nothing written) when the kernel is unavailable.
 */
export function maxPoolGradWasm(
  x: Float32Array,
  dy: Float32Array,
  g: PoolWindow,
  dx: Float32Array,
): boolean {
  const l = load();
  if (l === null) return false;
  // extra: dy, then dx.
  const s = poolSweep(l, x, g, false, dy.length + 4 + x.length);
  if (s === null) return false;
  const heap = l.memory.buffer;
  const dyAt = s.extraAt, dxAt = align16(dyAt + dy.length * 4);
  new Float32Array(heap, dyAt, dy.length).set(dy);
  l.ex.scatterAdd(dxAt, x.length, dyAt, s.argAt, s.count);
  dx.set(new Float32Array(heap, dxAt, x.length));
  return true;
}

/**
 * The `kd` depth taps of a 3-D convolution gathered into channels: `x` `[N, Dp, H·W, C]` (depth
 * already padded) → `[N, Do, H·W, kd, C]` with `out[b, z, p, kz, c] = x[b, z·sd + kz·dd, p, c]`;
 * null when the kernel is unavailable.
 */
export function depthGatherWasm(
  x: Float32Array,
  shape: number[],
  outDepth: number,
  kd: number,
  strideDepth: number,
  dilationDepth: number,
): Float32Array | null {
  const l = load();
  if (l === null) return null;
  const [n, dp, plane, c] = shape;
  const count = n * outDepth * plane * kd * c;
  const arena = new Arena(l);
  const src = arena.take(x.length * 4), dst = arena.take(count * 4);
  if (!arena.commit()) return null;
  new Float32Array(l.memory.buffer, src, x.length).set(x);
  l.ex.depthGather(src, dst, n, dp, plane, c, outDepth, kd, strideDepth, dilationDepth);
  return new Float32Array(l.memory.buffer, dst, count).slice();
}
