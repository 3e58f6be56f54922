/**
 * The WebAssembly SIMD fast path of {@link gemm} (see `matmul.ts`): the same packed, blocked
 * algorithm, compiled from AssemblyScript (`assembly/gemm.ts`, built by `deno task build:wasm` into
 * `gemm_wasm_bin.ts`, which is committed: two builds of about 2 KB, one with relaxed SIMD's fused
 * multiply-add, used where the runtime supports it, and one without). Operands are copied into the
 * module's memory and the result copied back; for the sizes our layers use this costs a few
 * percent of the product.
 *
 * With two threads, a helper thread (`lib/common/helper_thread.ts`) instantiates the same build on
 * the same shared memory, and both threads claim units of columns of C from an atomic counter,
 * each packing its own blocks. Every element is computed by the same operations whichever thread
 * computes it, so results are bit-identical with one or two threads. Columns rather than rows:
 * chapter 1's convolution products have as few rows as output channels (16, 32) but thousands of
 * columns (output positions). The same helper also shares the module's other kernels that work
 * channel by channel (im2col, col2im, batch norm: {@link channelsAt}) by units of channels.
 *
 * @module
 */
import { claimUnit, HelperThread, JOB, serveAsHelper } from "../../common/helper_thread.ts";
import {
  instantiateBuild,
  instantiateFirst,
  type LoadedModule,
  MAX_MEMORY_BYTES,
  type SimdBuild,
} from "../../common/wasm_module.ts";
import { GEMM_WASM_RELAXED_SIMD, GEMM_WASM_SIMD } from "./gemm_wasm_bin.ts";

/** What the module exports (its sources: assembly/gemm.ts, conv.ts, batchnorm.ts). */
export interface GemmExports {
  SCRATCH_FLOATS: WebAssembly.Global;
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    accumulate: number,
    scratch: number,
  ): void;
  gemmColumns(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    accumulate: number,
    scratch: number,
    j0: number,
    j1: number,
  ): void;
  // assembly/conv.ts and assembly/batchnorm.ts (used by kernels_wasm.ts through channelsAt; their
  // last two arguments are a range of channels)
  im2col(...args: number[]): void;
  col2im(...args: number[]): void;
  groupToNchw(src: number, o: number, gs: number, plane: number, dst: number, bias: number): void;
  nchwToGroup(src: number, o: number, gs: number, plane: number, dst: number): void;
  addBias(y: number, n: number, o: number, plane: number, bias: number): void;
  biasGradient(dy: number, n: number, o: number, plane: number, db: number): void;
  batchNormStatistics(...args: number[]): void;
  batchNormForward(...args: number[]): void;
  batchNormBackward(...args: number[]): void;
}

/** Which build is loaded: with relaxed SIMD (fused multiply-add) or plain SIMD. */
export type WasmGemmVariant = SimdBuild;

const BUILDS: Record<WasmGemmVariant, string> = {
  "relaxed-simd": GEMM_WASM_RELAXED_SIMD,
  "simd": GEMM_WASM_SIMD,
};
/** Byte address where our buffers start (AssemblyScript's static data lives below it). */
const BASE = 65536;
/** Multiply-adds below which sharing a product with the helper thread does not pay. */
const PAR_MIN_MACS = 1 << 20;
/** Columns of C per unit of a shared product: at least this many. */
const UNIT_MIN_COLS = 64;
/** Units a shared product is cut into: at most this many (a few, for balance). */
const MAX_UNITS = 4;

const NAME = "gemm";

/** The instantiated module. */
export interface Loaded extends LoadedModule<GemmExports> {
  /** Bytes of one thread's scratch area. */
  scratchBytes: number;
}

let loaded: Loaded | null = null;
let unavailable = false;
let only: WasmGemmVariant | null = null;

/** The instantiated module, or null when this runtime cannot run WebAssembly SIMD. */
export function load(): Loaded | null {
  if (loaded || unavailable) return loaded;
  const m = instantiateFirst<GemmExports>(BUILDS, only, NAME);
  if (m !== null) {
    const scratchBytes = Math.ceil((m.ex.SCRATCH_FLOATS.value as number) * 4 / 16) * 16;
    loaded = { ...m, scratchBytes };
    return loaded;
  }
  unavailable = true;
  return null;
}

/**
 * Loads only the given build from now on (tests check both builds against the TypeScript gemm);
 * null restores the default, relaxed SIMD where the runtime has it.
 */
export function selectWasmGemmVariant(v: WasmGemmVariant | null): void {
  only = v;
  loaded = null;
  unavailable = false;
  helper.stop();
}

/** The build in use, or null when WebAssembly SIMD is unavailable. */
export function wasmGemmVariant(): WasmGemmVariant | null {
  return load()?.variant ?? null;
}

/** True when the WebAssembly SIMD kernel can run here. */
export function wasmGemmAvailable(): boolean {
  return load() !== null;
}

// ------------------------------------------------------------------------------------------------
// The helper thread: it instantiates the loaded build on the module's shared memory.

const helper = new HelperThread(
  import.meta.url,
  "deep-learning-in-deno/gemm-wasm-worker",
  () => ({ memory: loaded!.memory, variant: loaded!.variant }),
);

/**
 * Starts the helper thread now (otherwise the first large two-thread product starts it) and
 * resolves to true once it is ready, false when it cannot start.
 */
export async function wasmHelperReady(timeoutMs = 5000): Promise<boolean> {
  return load() !== null && await helper.whenReady(timeoutMs);
}

/** The kernels of conv.ts and batchnorm.ts whose last two arguments are a range of channels. */
export type ChannelKernel =
  | "im2col"
  | "col2im"
  | "batchNormStatistics"
  | "batchNormForward"
  | "batchNormBackward";
const CHANNEL_KERNELS: ChannelKernel[] = [
  "im2col",
  "col2im",
  "batchNormStatistics",
  "batchNormForward",
  "batchNormBackward",
];
/**
 * Floats a channel kernel touches below which sharing it with the helper does not pay (jobs of
 * ~0.1 ms, where waking the helper costs about what it saves).
 */
const PAR_MIN_FLOATS = 1 << 19;

// A job's slots: its kind (a product, or 1 + a channel kernel's index) and the helper's scratch
// area; then a product's arguments and unit width, or a channel kernel's channels and arguments.
const J_KIND = JOB, J_SCRATCH = JOB + 1, J_ARGS = JOB + 2, J_WIDTH = J_ARGS + 9;
const J_CHANNELS = J_ARGS, J_COUNT = J_ARGS + 1, J_KERNEL_ARGS = J_ARGS + 2;
const KIND_GEMM = 0;

/** Claims units of the job in `ctrl` and computes them until none are left. */
function runUnits(ex: GemmExports, ctrl: Int32Array, scratch: number): void {
  if (ctrl[J_KIND] === KIND_GEMM) {
    const [ta, tb, m, n, k, a, b, c, acc] = ctrl.subarray(J_ARGS, J_ARGS + 9);
    const width = ctrl[J_WIDTH];
    for (let u = claimUnit(ctrl); u >= 0; u = claimUnit(ctrl)) {
      ex.gemmColumns(
        ta,
        tb,
        m,
        n,
        k,
        a,
        b,
        c,
        acc,
        scratch,
        u * width,
        Math.min(n, (u + 1) * width),
      );
    }
    return;
  }
  const kernel = ex[CHANNEL_KERNELS[ctrl[J_KIND] - 1]];
  const args = Array.from(ctrl.subarray(J_KERNEL_ARGS, J_KERNEL_ARGS + ctrl[J_COUNT]));
  const channels = ctrl[J_CHANNELS], units = Math.min(MAX_UNITS, channels);
  for (let u = claimUnit(ctrl); u >= 0; u = claimUnit(ctrl)) {
    kernel(...args, Math.floor(u * channels / units), Math.floor((u + 1) * channels / units));
  }
}

serveAsHelper(helper.kind, (data) => {
  const memory = data.memory as WebAssembly.Memory;
  const ex = instantiateBuild<GemmExports>(BUILDS[data.variant as WasmGemmVariant], memory, NAME);
  return () => runUnits(ex, data.ctrl, data.ctrl[J_SCRATCH]);
});

/**
 * Runs `kernel(...args, c0, c1)` over the channels [0, channels) on the module's memory; with
 * `threads` ≥ 2 and at least {@link PAR_MIN_FLOATS} floats to touch, shared with the helper thread
 * by units of channels (the same bits: each channel is computed alone).
 */
export function channelsAt(
  l: Loaded,
  kernel: ChannelKernel,
  args: number[],
  channels: number,
  floats: number,
  threads: number,
): void {
  const units = Math.min(MAX_UNITS, channels);
  const ctrl = threads >= 2 && units >= 2 && floats >= PAR_MIN_FLOATS ? helper.ready() : null;
  if (ctrl === null) {
    l.ex[kernel](...args, 0, channels);
    return;
  }
  const kind = 1 + CHANNEL_KERNELS.indexOf(kernel);
  ctrl.set([kind, BASE + l.scratchBytes, channels, args.length, ...args], J_KIND);
  helper.share(ctrl, units, () => runUnits(l.ex, ctrl, BASE));
}

// ------------------------------------------------------------------------------------------------

/**
 * Byte address of the first byte callers may use for their arrays: past both threads' scratch
 * areas. Every user of the module's memory lays its arrays out from here for the length of one
 * synchronous call (nothing in it outlives the call).
 */
export function heapStart(l: Loaded): number {
  return BASE + 2 * l.scratchBytes;
}

/** Grows the memory so that bytes `[0, end)` exist; false when that is past its maximum. */
export function reserveHeap(l: Loaded, end: number): boolean {
  if (end > MAX_MEMORY_BYTES) return false;
  const have = l.memory.buffer.byteLength;
  if (end > have) l.memory.grow(Math.ceil((end - have) / 65536));
  return true;
}

/** A float32 view of `length` floats at byte address `at` of the module's memory (fresh). */
export function heapFloats(l: Loaded, at: number, length: number): Float32Array {
  return new Float32Array(l.memory.buffer, at, length);
}

/** Rounds a byte address up to a multiple of 16 (SIMD-aligned arrays). */
export const align16 = (x: number) => Math.ceil(x / 16) * 16;

/**
 * `C = op(A)·op(B)` (or `C +=`) on arrays already in the module's memory, at byte addresses
 * `aAt`, `bAt`, `cAt` (past {@link heapStart}); with `threads` ≥ 2 large products are shared with
 * the helper thread.
 */
export function gemmAt(
  l: Loaded,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  aAt: number,
  bAt: number,
  cAt: number,
  accumulate: boolean,
  threads = 1,
): void {
  const ta = transA ? 1 : 0, tb = transB ? 1 : 0, acc = accumulate ? 1 : 0;
  // About MAX_UNITS units of at least UNIT_MIN_COLS columns, a multiple of the micro-kernel's 8.
  const units = Math.min(MAX_UNITS, Math.floor(n / UNIT_MIN_COLS));
  const ctrl = threads >= 2 && units >= 2 && m * n * k >= PAR_MIN_MACS ? helper.ready() : null;
  if (ctrl === null) {
    l.ex.gemm(ta, tb, m, n, k, aAt, bAt, cAt, acc, BASE);
    return;
  }
  const width = Math.ceil(n / units / 8) * 8;
  ctrl.set([KIND_GEMM, BASE + l.scratchBytes, ta, tb, m, n, k, aAt, bAt, cAt, acc, width], J_KIND);
  helper.share(ctrl, Math.ceil(n / width), () => runUnits(l.ex, ctrl, BASE));
}

/**
 * `C = op(A)·op(B)` (or `C +=` when `accumulate`) in WebAssembly; same contract as `gemm`, which
 * checks the arguments before calling it.
 *
 * @param threads 2 to share large products with the helper thread, 1 for this thread only
 * @returns false (computing nothing) when WebAssembly SIMD is unavailable or the operands do not
 *   fit in the module's memory; the caller then uses the TypeScript kernel
 */
export function gemmWasm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
  threads = 1,
): boolean {
  const l = load();
  if (l === null) return false;
  const aAt = heapStart(l);
  const bAt = align16(aAt + m * k * 4);
  const cAt = align16(bAt + k * n * 4);
  if (!reserveHeap(l, cAt + m * n * 4)) return false;
  heapFloats(l, aAt, m * k).set(a.subarray(0, m * k));
  heapFloats(l, bAt, k * n).set(b.subarray(0, k * n));
  const cView = heapFloats(l, cAt, m * n);
  if (accumulate) cView.set(c.subarray(0, m * n));
  gemmAt(l, transA, transB, m, n, k, aAt, bAt, cAt, accumulate, threads);
  c.set(cView);
  return true;
}
