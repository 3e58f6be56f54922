/**
 * Dense matrix multiplication (GEMM) for row-major `Float32Array`s.
 *
 * This is the hot loop of the whole autograd engine: linear layers call it
 * directly and convolutions call it through im2col. It is written in plain
 * TypeScript (no WebAssembly, no SIMD), so the speed comes from three classic
 * tricks that work just as well in a JIT-compiled language as in C:
 *
 * 1. **Packing.** Before multiplying, a block of `op(A)` is copied into a
 *    scratch buffer as panels of {@link MR} rows, and a block of `op(B)` as
 *    panels of {@link NR} columns, both laid out so the inner loop reads them
 *    strictly sequentially. Transposition is absorbed by the packing routine,
 *    so all four `transA`/`transB` combinations run the same inner kernel at the
 *    same speed. The scratch buffers are `Float64Array`s: V8 does arithmetic in
 *    float64 anyway, and storing doubles avoids a float32 to float64
 *    conversion on every load in the inner loop.
 * 2. **Register blocking.** The micro-kernel computes a 4x4 tile of `C` with 16
 *    local accumulators, so each step of the inner loop performs 16
 *    multiply-adds for 8 loads.
 * 3. **Cache blocking.** The `k` dimension is split into chunks of {@link KC}
 *    and the `m` dimension into chunks of {@link MC} so the packed panels stay
 *    in L1/L2 cache while they are reused.
 *
 * Accumulation happens in float64 inside a `KC` chunk and results are rounded
 * to float32 when stored. The order of operations depends only on the shapes,
 * so results are deterministic.
 *
 * This TypeScript kernel is the reference the chapter teaches. By default
 * {@link gemm} runs the same algorithm compiled to WebAssembly SIMD
 * (`gemm_wasm.ts`, from the AssemblyScript source in `assembly/`; float32
 * accumulation, ~5x faster); `BOOK_KERNELS=ts` or {@link setGemmKernel}`("ts")`
 * selects this one.
 *
 * @module
 */

import { claimUnit, HelperThread, JOB, serveAsHelper } from "../../common/helper_thread.ts";
import { gemmWasm, wasmGemmAvailable, wasmHelperReady } from "./gemm_wasm.ts";
import { bookThreads } from "../../common/threads.ts";

/** Rows of `C` computed per micro-kernel call. */
export const MR = 4;
/** Columns of `C` computed per micro-kernel call. */
export const NR = 4;
/** Depth of one cache block (the `k` chunk a packed panel covers). */
export const KC = 256;
/** Rows of `op(A)` packed per cache block. */
export const MC = 96;
/** Columns of `op(B)` packed per cache block. */
export const NC = 2048;

/** Rows of `op(A)` per block in the two-thread path (sizes the shared buffers). */
const MT = 256;
/** Rows of `C` in one unit of work handed out to a thread. */
const UNIT_ROWS = 4 * MR;
/** Columns of `C` in one unit of work handed out to a thread. */
const UNIT_COLS = 64 * NR;
/** Multiply-adds (m·n·k) below which the two-thread path is not worth its overhead. */
const PAR_MIN_MACS = 1 << 19;

let packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(NC * KC);

function ensureScratch(aSize: number, bSize: number): void {
  if (packedA.length < aSize) packedA = new Float64Array(aSize);
  if (packedB.length < bSize) packedB = new Float64Array(bSize);
}

/**
 * Pack lines `[first, first + count)` (rows of `op(A)` or columns of `op(B)`)
 * over depth `[p0, p0 + kc)` into panels of 4 lines:
 * `out[(panel * kc + p) * 4 + l] = line first + panel*4 + l at depth p0 + p`.
 * Lines past `count` are zero-filled.
 *
 * `src` holds `numLines` lines of `depth` values, stored `[numLines, depth]`
 * when `byLine` and `[depth, numLines]` otherwise. So A is packed with
 * `byLine = !transA` and B (whose lines are the columns of `op(B)`) with
 * `byLine = transB`; one routine serves both because {@link MR} = {@link NR} = 4.
 */
function packPanels(
  src: Float32Array,
  byLine: boolean,
  numLines: number,
  depth: number,
  first: number,
  count: number,
  p0: number,
  kc: number,
  out: Float64Array,
): void {
  const lineStride = byLine ? depth : 1;
  const depthStride = byLine ? 1 : numLines;
  const l1 = lineStride, l2 = 2 * lineStride, l3 = 3 * lineStride;
  let o = 0;
  for (let lb = 0; lb < count; lb += 4) {
    const width = Math.min(4, count - lb);
    let s = (first + lb) * lineStride + p0 * depthStride;
    if (width === 4) {
      // Unrolled: this copy runs once per element of every packed block.
      for (let p = 0; p < kc; p++) {
        out[o] = src[s];
        out[o + 1] = src[s + l1];
        out[o + 2] = src[s + l2];
        out[o + 3] = src[s + l3];
        o += 4;
        s += depthStride;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let l = 0; l < 4; l++) out[o + l] = l < width ? src[s + l * lineStride] : 0;
        o += 4;
        s += depthStride;
      }
    }
  }
}

/**
 * 4x4 micro-kernel: tile of C (rows `rows <= 4`, cols `cols <= 4`, starting at
 * flat offset `co`, row stride `ldc`) (=|+=) packed A panel · packed B panel.
 */
function microKernel(
  kc: number,
  ap: Float64Array,
  ao: number,
  bp: Float64Array,
  bo: number,
  c: Float32Array,
  co: number,
  ldc: number,
  rows: number,
  cols: number,
  overwrite: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[ao], a1 = ap[ao + 1], a2 = ap[ao + 2], a3 = ap[ao + 3];
    let b = bp[bo];
    c00 += a0 * b;
    c10 += a1 * b;
    c20 += a2 * b;
    c30 += a3 * b;
    b = bp[bo + 1];
    c01 += a0 * b;
    c11 += a1 * b;
    c21 += a2 * b;
    c31 += a3 * b;
    b = bp[bo + 2];
    c02 += a0 * b;
    c12 += a1 * b;
    c22 += a2 * b;
    c32 += a3 * b;
    b = bp[bo + 3];
    c03 += a0 * b;
    c13 += a1 * b;
    c23 += a2 * b;
    c33 += a3 * b;
    ao += 4;
    bo += 4;
  }
  if (rows === 4 && cols === 4) {
    const r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
    if (overwrite) {
      c[co] = c00;
      c[co + 1] = c01;
      c[co + 2] = c02;
      c[co + 3] = c03;
      c[r1] = c10;
      c[r1 + 1] = c11;
      c[r1 + 2] = c12;
      c[r1 + 3] = c13;
      c[r2] = c20;
      c[r2 + 1] = c21;
      c[r2 + 2] = c22;
      c[r2 + 3] = c23;
      c[r3] = c30;
      c[r3 + 1] = c31;
      c[r3 + 2] = c32;
      c[r3 + 3] = c33;
    } else {
      c[co] += c00;
      c[co + 1] += c01;
      c[co + 2] += c02;
      c[co + 3] += c03;
      c[r1] += c10;
      c[r1 + 1] += c11;
      c[r1 + 2] += c12;
      c[r1 + 3] += c13;
      c[r2] += c20;
      c[r2 + 1] += c21;
      c[r2 + 2] += c22;
      c[r2 + 3] += c23;
      c[r3] += c30;
      c[r3 + 1] += c31;
      c[r3 + 2] += c32;
      c[r3 + 3] += c33;
    }
    return;
  }
  // Edge tile: write only the valid part.
  edgeTile[0] = c00;
  edgeTile[1] = c01;
  edgeTile[2] = c02;
  edgeTile[3] = c03;
  edgeTile[4] = c10;
  edgeTile[5] = c11;
  edgeTile[6] = c12;
  edgeTile[7] = c13;
  edgeTile[8] = c20;
  edgeTile[9] = c21;
  edgeTile[10] = c22;
  edgeTile[11] = c23;
  edgeTile[12] = c30;
  edgeTile[13] = c31;
  edgeTile[14] = c32;
  edgeTile[15] = c33;
  for (let r = 0; r < rows; r++) {
    const dst = co + r * ldc;
    for (let j = 0; j < cols; j++) {
      if (overwrite) c[dst + j] = edgeTile[r * 4 + j];
      else c[dst + j] += edgeTile[r * 4 + j];
    }
  }
}
const edgeTile = new Float64Array(16);

function checkGemmArgs(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  const desc = () =>
    `gemm(transA=${transA}, transB=${transB}, m=${m}, n=${n}, k=${k}; ` +
    `a.length=${a.length}, b.length=${b.length}, c.length=${c.length})`;
  for (const [name, v] of [["m", m], ["n", n], ["k", k]] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`${desc()}: ${name} must be a non-negative integer`);
    }
  }
  if (a.length < m * k) throw new Error(`${desc()}: a needs at least m*k=${m * k} elements`);
  if (b.length < k * n) throw new Error(`${desc()}: b needs at least k*n=${k * n} elements`);
  if (c.length < m * n) throw new Error(`${desc()}: c needs at least m*n=${m * n} elements`);
}

/**
 * Multiply the packed block `ap` (`mc x kc`, panels of MR rows) by the packed
 * block `bp` (`kc x nc`, panels of NR columns) for C rows `[r0, r1)` and
 * columns `[c0, c1)` of the block (`r0`, `c0` multiples of MR/NR), into `c` at
 * flat offset `cOff` with row stride `ldc`.
 */
function computeBlock(
  ap: Float64Array,
  bp: Float64Array,
  c: Float32Array,
  cOff: number,
  ldc: number,
  mc: number,
  nc: number,
  kc: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  overwrite: boolean,
): void {
  for (let jb = c0; jb < c1; jb += NR) {
    const cols = Math.min(NR, nc - jb);
    const bo = (jb / NR) * kc * NR;
    for (let ib = r0; ib < r1; ib += MR) {
      const rows = Math.min(MR, mc - ib);
      microKernel(
        kc,
        ap,
        (ib / MR) * kc * MR,
        bp,
        bo,
        c,
        cOff + ib * ldc + jb,
        ldc,
        rows,
        cols,
        overwrite,
      );
    }
  }
}

function gemmSerial(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
): void {
  const kcMax = Math.min(KC, k);
  const ncMax = Math.min(NC, roundUp(n, NR));
  const mcMax = Math.min(MC, roundUp(m, MR));
  ensureScratch(mcMax * kcMax, ncMax * kcMax);
  const ap = packedA;
  const bp = packedB;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      const overwrite = !accumulate && p0 === 0;
      packPanels(b, transB, n, k, j0, nc, p0, kc, bp);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packPanels(a, !transA, m, k, i0, mc, p0, kc, ap);
        computeBlock(ap, bp, c, i0 * n + j0, n, mc, nc, kc, 0, mc, 0, nc, overwrite);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Two-thread path.
//
// One helper thread (`lib/common/helper_thread.ts`: a worker running this
// very module) shares fixed-size buffers with the main thread: packed A and B
// blocks and a C tile. The main thread packs, publishes a job, and then both
// threads claim units (UNIT_ROWS x UNIT_COLS tiles of C) from an atomic
// counter. Every C element is computed by exactly the same sequence of float
// operations as in the serial path, whichever thread computes it, so results
// are bit-identical with or without threads.
// ---------------------------------------------------------------------------

// job slots
const P_MC = JOB, P_NC = JOB + 1, P_KC = JOB + 2, P_OVERWRITE = JOB + 3, P_ROW_UNITS = JOB + 4;

/** The packed blocks and C tile both threads work on (shared memory). */
interface Shared {
  sa: Float64Array;
  sb: Float64Array;
  sc: Float32Array;
}

let shared: Shared | null = null;
const helper = new HelperThread(import.meta.url, "deep-learning-in-deno/gemm-worker", () => {
  shared ??= {
    sa: new Float64Array(new SharedArrayBuffer(MT * KC * 8)),
    sb: new Float64Array(new SharedArrayBuffer(KC * NC * 8)),
    sc: new Float32Array(new SharedArrayBuffer(MT * NC * 4)),
  };
  return { ...shared };
});

/** Run claimed units of the job currently described in `ctrl`. */
function runUnits(ctrl: Int32Array, sh: Shared): void {
  const mc = ctrl[P_MC], nc = ctrl[P_NC], kc = ctrl[P_KC];
  const overwrite = ctrl[P_OVERWRITE] === 1;
  const rowUnits = ctrl[P_ROW_UNITS];
  for (let u = claimUnit(ctrl); u >= 0; u = claimUnit(ctrl)) {
    const ru = u % rowUnits, cu = (u - ru) / rowUnits;
    const r0 = ru * UNIT_ROWS, c0 = cu * UNIT_COLS;
    computeBlock(
      sh.sa,
      sh.sb,
      sh.sc,
      0,
      nc,
      mc,
      nc,
      kc,
      r0,
      Math.min(mc, r0 + UNIT_ROWS),
      c0,
      Math.min(nc, c0 + UNIT_COLS),
      overwrite,
    );
  }
}

serveAsHelper(helper.kind, (data) => () => runUnits(data.ctrl, data as unknown as Shared));

let threadsSetting: number | null = null;

/**
 * Number of threads `gemm` may use: 1 or 2. `BOOK_THREADS=1` forces one
 * thread and `BOOK_THREADS=2` (or more) allows two; unset, the default is
 * two threads on machines with 2 or more cores and one on a single core.
 * Machines with a single core always use one. Results are bit-identical
 * either way.
 */
export function gemmThreads(): number {
  if (threadsSetting === null) {
    threadsSetting = bookThreads(2);
  }
  return threadsSetting;
}

/**
 * Override the number of threads `gemm` uses (1 or 2), e.g. for benchmarks.
 * Results are bit-identical either way; only speed changes.
 *
 * @param threads 1 for single-threaded, 2 to allow the helper thread
 */
export function setGemmThreads(threads: number): void {
  threadsSetting = threads >= 2 ? 2 : 1;
}

/**
 * Start the helper thread now (it is otherwise started lazily by the first
 * large `gemm`) and resolve once it is ready. Resolves to false when threads
 * are disabled or unavailable. Never needed for correctness.
 *
 * @param timeoutMs give up waiting after this long
 */
export async function gemmWorkerReady(timeoutMs = 5000): Promise<boolean> {
  if (gemmThreads() < 2) return false;
  if (gemmKernel() === "wasm") return await wasmHelperReady(timeoutMs);
  return await helper.whenReady(timeoutMs);
}

function gemmParallel(
  ctrl: Int32Array,
  sh: Shared,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
): void {
  const { sa, sb, sc } = sh;
  for (let i0 = 0; i0 < m; i0 += MT) {
    const mc = Math.min(MT, m - i0);
    for (let j0 = 0; j0 < n; j0 += NC) {
      const nc = Math.min(NC, n - j0);
      if (accumulate) copyTile(c, i0 * n + j0, n, sc, 0, nc, mc, nc);
      const rowUnits = Math.ceil(mc / UNIT_ROWS);
      const units = rowUnits * Math.ceil(nc / UNIT_COLS);
      for (let p0 = 0; p0 < k; p0 += KC) {
        const kc = Math.min(KC, k - p0);
        packPanels(a, !transA, m, k, i0, mc, p0, kc, sa);
        packPanels(b, transB, n, k, j0, nc, p0, kc, sb);
        ctrl[P_MC] = mc;
        ctrl[P_NC] = nc;
        ctrl[P_KC] = kc;
        ctrl[P_OVERWRITE] = !accumulate && p0 === 0 ? 1 : 0;
        ctrl[P_ROW_UNITS] = rowUnits;
        helper.share(ctrl, units, () => runUnits(ctrl, sh));
      }
      copyTile(sc, 0, nc, c, i0 * n + j0, n, mc, nc);
    }
  }
}

/** Copy a `rows x cols` tile between row-major buffers with the given row strides. */
function copyTile(
  src: Float32Array,
  srcOff: number,
  srcLd: number,
  dst: Float32Array,
  dstOff: number,
  dstLd: number,
  rows: number,
  cols: number,
): void {
  if (srcLd === cols && dstLd === cols) {
    dst.set(src.subarray(srcOff, srcOff + rows * cols), dstOff);
    return;
  }
  for (let r = 0; r < rows; r++) {
    dst.set(src.subarray(srcOff + r * srcLd, srcOff + r * srcLd + cols), dstOff + r * dstLd);
  }
}

/** Which implementation {@link gemm} runs: the WebAssembly SIMD kernel or this TypeScript one. */
export type GemmKernel = "wasm" | "ts";

let kernelSetting: GemmKernel | null = null;
/** Multiply-adds below which copying operands into WebAssembly memory does not pay. */
const WASM_MIN_MACS = 2048;

/**
 * The kernel {@link gemm} uses: `"wasm"` unless `BOOK_KERNELS=ts` is set, {@link setGemmKernel}
 * chose `"ts"`, or this runtime lacks WebAssembly SIMD.
 */
export function gemmKernel(): GemmKernel {
  if (kernelSetting === null) {
    let env: string | undefined;
    try {
      const st = Deno.permissions.querySync({ name: "env", variable: "BOOK_KERNELS" });
      if (st.state === "granted") env = Deno.env.get("BOOK_KERNELS");
    } catch {
      env = undefined;
    }
    kernelSetting = env === "ts" ? "ts" : "wasm";
  }
  return kernelSetting === "wasm" && wasmGemmAvailable() ? "wasm" : "ts";
}

/**
 * Selects the implementation behind {@link gemm} (tests and benchmarks compare them).
 *
 * @param kernel `"wasm"` (default) or `"ts"`
 */
export function setGemmKernel(kernel: GemmKernel): void {
  kernelSetting = kernel;
}

/**
 * General matrix multiply on row-major float32 matrices:
 * `C[m,n] = op(A)[m,k] · op(B)[k,n]`, or `C += ...` when `accumulate` is true.
 *
 * - `A` is stored `[m, k]`, or `[k, m]` when `transA` (so `op(A) = Aᵀ`).
 * - `B` is stored `[k, n]`, or `[n, k]` when `transB` (so `op(B) = Bᵀ`).
 * - `C` is stored `[m, n]`. Only the first `m*n` elements are touched.
 *
 * When `accumulate` is false, `C` is overwritten (its old contents, even NaN,
 * are ignored). When `k === 0` the product is all zeros.
 *
 * Large products are split between the calling thread and one helper thread
 * (see {@link gemmThreads}); results are bit-identical either way.
 *
 * `c` must not alias `a` or `b`.
 *
 * @param transA use `Aᵀ` (A stored `[k, m]`)
 * @param transB use `Bᵀ` (B stored `[n, k]`)
 * @param m rows of `op(A)` and `C`
 * @param n columns of `op(B)` and `C`
 * @param k inner dimension
 * @param a left operand
 * @param b right operand
 * @param c output, length at least `m*n`
 * @param accumulate add into `C` instead of overwriting it (default false)
 * @throws Error naming the shapes when a buffer is too short or a size is invalid
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate = false,
): void {
  checkGemmArgs(transA, transB, m, n, k, a, b, c);
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, 0, m * n);
    return;
  }
  if (
    m * n * k >= WASM_MIN_MACS && gemmKernel() === "wasm" &&
    gemmWasm(transA, transB, m, n, k, a, b, c, accumulate, gemmThreads())
  ) {
    return;
  }
  if (m * n * k >= PAR_MIN_MACS && (m > UNIT_ROWS || n > UNIT_COLS) && gemmThreads() >= 2) {
    const ctrl = helper.ready();
    if (ctrl !== null && shared !== null) {
      gemmParallel(ctrl, shared, transA, transB, m, n, k, a, b, c, accumulate);
      return;
    }
  }
  gemmSerial(transA, transB, m, n, k, a, b, c, accumulate);
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
