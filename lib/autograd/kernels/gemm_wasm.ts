/**
 * The WebAssembly SIMD fast path of {@link gemm} (see `matmul.ts`): the same packed, blocked
 * algorithm, compiled from AssemblyScript (`assembly/gemm.ts`, built by `deno task build:wasm` into
 * `gemm_wasm_bin.ts`, which is committed: two builds of about 2 KB, one with relaxed SIMD's fused
 * multiply-add, used where the runtime supports it, and one without). Operands are copied into the
 * module's memory and the result copied back; for the sizes our layers use this costs a few
 * percent of the product.
 *
 * With two threads, a helper thread (a `node:worker_threads` Worker running this module, unref'd)
 * instantiates the same build on the same shared memory, and both threads claim blocks of
 * 64 rows of each cache block of C from an atomic counter. The calling thread never waits for the
 * helper to start (on a busy machine it may not join at all); it waits only for a block the helper
 * has claimed. Every element is computed by the same operations whichever thread computes it, so
 * results are bit-identical with one or two threads.
 *
 * @module
 */
import { isMainThread, Worker as NodeWorker, workerData } from "node:worker_threads";
import { canLoadModule } from "../../common/threads.ts";
import { GEMM_WASM_RELAXED_SIMD, GEMM_WASM_SIMD } from "./gemm_wasm_bin.ts";

/** What the module exports (its sources: assembly/gemm.ts, conv.ts, batchnorm.ts). */
export interface GemmExports {
  SCRATCH_FLOATS: WebAssembly.Global;
  BLOCK_ROWS: WebAssembly.Global;
  BLOCK_DEPTH: WebAssembly.Global;
  BLOCK_COLS: WebAssembly.Global;
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
  packBlockB(
    b: number,
    transB: number,
    n: number,
    k: number,
    j0: number,
    nc: number,
    p0: number,
    kc: number,
    bp: number,
  ): void;
  blockRows(
    transA: number,
    m: number,
    n: number,
    k: number,
    a: number,
    c: number,
    j0: number,
    nc: number,
    p0: number,
    kc: number,
    overwrite: number,
    bp: number,
    scratch: number,
    r0: number,
    r1: number,
  ): void;
  // assembly/conv.ts and assembly/batchnorm.ts (used by conv_wasm.ts)
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
export type WasmGemmVariant = "relaxed-simd" | "simd";

const BUILDS: Record<WasmGemmVariant, string> = {
  "relaxed-simd": GEMM_WASM_RELAXED_SIMD,
  "simd": GEMM_WASM_SIMD,
};
/** Pages (64 KiB) of the shared memory: initial, and the most the builds declare (1 GiB). */
const INITIAL_PAGES = 32, MAX_PAGES = 16384;
/** Byte address where our buffers start (AssemblyScript's static data lives below it). */
const BASE = 65536;
/** Multiply-adds below which sharing a product with the helper thread does not pay. */
const PAR_MIN_MACS = 1 << 20;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function instantiate(v: WasmGemmVariant, memory: WebAssembly.Memory): GemmExports {
  const module = new WebAssembly.Module(decodeBase64(BUILDS[v]) as BufferSource);
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error("gemm (wasm): abort");
      },
    },
  });
  return instance.exports as unknown as GemmExports;
}

/** The instantiated module. */
export interface Loaded {
  ex: GemmExports;
  memory: WebAssembly.Memory;
  variant: WasmGemmVariant;
  /** Bytes of one thread's scratch area. */
  scratchBytes: number;
  /** The kernel's cache blocks: rows of A (one unit of work), depth, columns of B. */
  mc: number;
  kc: number;
  nc: number;
}

let loaded: Loaded | null = null;
let unavailable = false;
let only: WasmGemmVariant | null = null;

/** The instantiated module, or null when this runtime cannot run WebAssembly SIMD. */
export function load(): Loaded | null {
  if (loaded || unavailable) return loaded;
  for (const variant of ["relaxed-simd", "simd"] as WasmGemmVariant[]) {
    if (only !== null && variant !== only) continue;
    try {
      const memory = new WebAssembly.Memory({
        initial: INITIAL_PAGES,
        maximum: MAX_PAGES,
        shared: true,
      });
      const ex = instantiate(variant, memory);
      const scratchBytes = Math.ceil(((ex.SCRATCH_FLOATS.value as number) * 4 + 128) / 16) * 16;
      loaded = {
        ex,
        memory,
        variant,
        scratchBytes,
        mc: ex.BLOCK_ROWS.value as number,
        kc: ex.BLOCK_DEPTH.value as number,
        nc: ex.BLOCK_COLS.value as number,
      };
      return loaded;
    } catch {
      // This runtime lacks the features of this build: try the next one.
    }
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
  stopHelper();
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
// The helper thread.

const WORKER_KIND = "deep-learning-in-deno/gemm-wasm-worker";
// ctrl slots
const STATE = 0, NEXT = 1, READY = 2;
// parameters of one block: transA, m, n, k, a, c, j0, nc, p0, kc, overwrite, bp, scratch, units,
// rows per unit
const P = 8;
// job states (0 = idle)
const S_OPEN = 1, S_JOINED = 2, S_CLOSED = 3, S_DONE = 4;

interface Helper {
  ctrl: Int32Array;
  worker: { unref(): void; terminate(): unknown };
  failed: boolean;
}
let helper: Helper | null = null;

function startHelper(l: Loaded): Helper | null {
  if (helper) return helper.failed ? null : helper;
  if (!canLoadModule(import.meta.url)) return null;
  try {
    const ctrl = new Int32Array(new SharedArrayBuffer(32 * 4));
    const worker = new NodeWorker(new URL(import.meta.url), {
      workerData: { kind: WORKER_KIND, ctrl, memory: l.memory, variant: l.variant },
    });
    worker.unref();
    const h: Helper = { ctrl, worker, failed: false };
    worker.on("error", () => {
      h.failed = true;
    });
    helper = h;
    return h;
  } catch {
    return null;
  }
}

function stopHelper(): void {
  if (helper) helper.worker.terminate();
  helper = null;
}

/**
 * Starts the helper thread now (otherwise the first large two-thread product starts it) and
 * resolves to true once it is ready, false when it cannot start.
 */
export async function wasmHelperReady(timeoutMs = 5000): Promise<boolean> {
  const l = load();
  if (!l) return false;
  const h = startHelper(l);
  const t0 = Date.now();
  while (h && !h.failed && Date.now() - t0 < timeoutMs) {
    if (Atomics.load(h.ctrl, READY) === 1) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

/** Claims row blocks of the job in `ctrl` and computes them with `ex` until none are left. */
function runUnits(ex: GemmExports, ctrl: Int32Array, scratch: number): void {
  const units = ctrl[P + 13], rows = ctrl[P + 14], m = ctrl[P + 1];
  for (;;) {
    const u = Atomics.add(ctrl, NEXT, 1);
    if (u >= units) return;
    ex.blockRows(
      ctrl[P],
      m,
      ctrl[P + 2],
      ctrl[P + 3],
      ctrl[P + 4],
      ctrl[P + 5],
      ctrl[P + 6],
      ctrl[P + 7],
      ctrl[P + 8],
      ctrl[P + 9],
      ctrl[P + 10],
      ctrl[P + 11],
      scratch,
      u * rows,
      Math.min(m, (u + 1) * rows),
    );
  }
}

function helperLoop(data: { ctrl: Int32Array; memory: WebAssembly.Memory; variant: string }) {
  const { ctrl } = data;
  const ex = instantiate(data.variant as WasmGemmVariant, data.memory);
  Atomics.store(ctrl, READY, 1);
  for (;;) {
    const s = Atomics.load(ctrl, STATE);
    if (s !== S_OPEN) {
      Atomics.wait(ctrl, STATE, s);
      continue;
    }
    if (Atomics.compareExchange(ctrl, STATE, S_OPEN, S_JOINED) !== S_OPEN) continue;
    runUnits(ex, ctrl, ctrl[P + 12]);
    Atomics.store(ctrl, STATE, S_DONE);
    Atomics.notify(ctrl, STATE);
  }
}

// ------------------------------------------------------------------------------------------------

/** Waits until the helper has finished the row blocks it claimed. */
function waitForHelper(h: Helper): void {
  const t0 = Date.now();
  while (Atomics.load(h.ctrl, STATE) === S_JOINED) {
    Atomics.wait(h.ctrl, STATE, S_JOINED, 1000);
    if (Date.now() - t0 > 60_000) {
      h.failed = true;
      throw new Error("gemm (wasm): helper thread stopped responding (BOOK_THREADS=1)");
    }
  }
}

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
  if (end > MAX_PAGES * 65536) return false;
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
  const scratch0 = BASE, scratch1 = BASE + l.scratchBytes;
  const ta = transA ? 1 : 0, tb = transB ? 1 : 0, acc = accumulate ? 1 : 0;
  const units = Math.ceil(m / l.mc);
  const h = threads >= 2 && units >= 2 && m * n * k >= PAR_MIN_MACS ? startHelper(l) : null;
  if (h && !h.failed && Atomics.load(h.ctrl, READY) === 1) {
    // Block by block as in the kernel's own gemm: this thread packs the B block, then both threads
    // claim row blocks of it.
    const ctrl = h.ctrl;
    const bp = scratch0 + l.mc * l.kc * 4 + 128;
    for (let j0 = 0; j0 < n; j0 += l.nc) {
      const nc = Math.min(l.nc, n - j0);
      for (let p0 = 0; p0 < k; p0 += l.kc) {
        const kc = Math.min(l.kc, k - p0);
        l.ex.packBlockB(bAt, tb, n, k, j0, nc, p0, kc, bp);
        const overwrite = !accumulate && p0 === 0 ? 1 : 0;
        ctrl.set([ta, m, n, k, aAt, cAt, j0, nc, p0, kc, overwrite, bp, scratch1, units, l.mc], P);
        Atomics.store(ctrl, NEXT, 0);
        Atomics.store(ctrl, STATE, S_OPEN);
        Atomics.notify(ctrl, STATE, 1);
        runUnits(l.ex, ctrl, scratch0);
        if (Atomics.compareExchange(ctrl, STATE, S_OPEN, S_CLOSED) !== S_OPEN) waitForHelper(h);
      }
    }
  } else {
    l.ex.gemm(ta, tb, m, n, k, aAt, bAt, cAt, acc, scratch0);
  }
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

// When this module is loaded as the helper thread, serve jobs forever (after evaluation ends).
if (!isMainThread && (workerData as { kind?: string } | null)?.kind === WORKER_KIND) {
  const wd = workerData as { ctrl: Int32Array; memory: WebAssembly.Memory; variant: string };
  setTimeout(() => helperLoop(wd), 0);
}
