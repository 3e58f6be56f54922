// AssemblyScript source of the WebAssembly SIMD fast path of `gemm` (../gemm_wasm.ts loads it).
// Build: `deno task build:wasm` (writes ../gemm_wasm_bin.ts). The algorithm is the one
// ../matmul.ts teaches — pack panels of op(A) and op(B), multiply them with a register-blocked
// micro-kernel, block for the caches — with 128-bit SIMD. It is built twice: with relaxed SIMD, whose
// fused multiply-add (~20% faster) rounds once where the CPU has FMA, and without, for runtimes that
// lack relaxed SIMD. With fused multiply-adds the micro-kernel keeps a 6x8 tile of C in twelve f32x4
// registers (with the two vectors of B and one broadcast of A: 15 of x64's 16 vector registers) and
// does 48 multiply-adds per step of k; without, a separate multiply needs one more register, so it
// keeps a 4x8 tile in eight. Accumulation is in float32 in an order fixed by the shapes (the tile's
// height does not change it), so results are deterministic on a machine.
//
// Memory (imported and shared, so that a helper thread's instance works on the same arrays; all
// byte addresses set by the caller): A, B and C as row-major float32 arrays, and per thread a
// scratch area of SCRATCH_FLOATS floats for the packed blocks and the edge tile.

/** Rows of C per micro-kernel call: 6 with fused multiply-adds, 4 without (see above). */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
/** Columns of C per micro-kernel call (two f32x4 vectors). */
const NR: i32 = 8;
/** Depth of one cache block. */
const KC: i32 = 256;
/** Rows of op(A) packed per block (MC·KC floats = 72 KiB, sized for L2; a multiple of 4 and 6). */
const MC: i32 = 72;
/** Columns of op(B) packed per block. */
const NC: i32 = 1024;

/** Floats of scratch memory the caller must provide. */
export const SCRATCH_FLOATS: i32 = MC * KC + MR * NR + KC * NC;

// Packs rows [i0, i0+mc) of op(A) over depth [p0, p0+kc) as panels of MR rows:
// out[(panel*kc + p)*MR + l]; rows past mc are zero. Full panels are copied with vectors: when A is
// stored transposed, a panel's MR values per step of k are contiguous; otherwise four steps of k
// at a time, rows 0-3 transposed in registers and rows 4-5 (if MR is 6) interleaved in pairs.
function packA(a: usize, transA: bool, m: i32, k: i32, i0: i32, mc: i32, p0: i32, kc: i32, out: usize): void {
  let o = out;
  for (let ib = 0; ib < mc; ib += MR) {
    const rows = min(MR, mc - ib);
    let p = 0;
    if (rows == MR && transA) {
      // op(A)[i][q] = A[q][i]: the panel's rows are contiguous in each row q of A.
      let s = a + ((<usize>p0 * m + i0 + ib) << 2);
      const stride = <usize>m << 2;
      for (; p < kc; p++) {
        v128.store(o, v128.load(s));
        if (MR == 6) store<i64>(o + 16, load<i64>(s + 16));
        o += MR << 2;
        s += stride;
      }
      continue;
    }
    if (rows == MR) {
      const stride = <usize>k << 2;
      const s0 = a + ((<usize>(i0 + ib) * k + p0) << 2);
      for (; p + 4 <= kc; p += 4) {
        const q = s0 + (<usize>p << 2);
        const r0 = v128.load(q), r1 = v128.load(q + stride);
        const r2 = v128.load(q + 2 * stride), r3 = v128.load(q + 3 * stride);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        const step = <usize>MR << 2;
        v128.store(o, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(o + step, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
        v128.store(o + 2 * step, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
        v128.store(o + 3 * step, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
        if (MR == 6) {
          const r4 = v128.load(q + 4 * stride), r5 = v128.load(q + 5 * stride);
          const u0 = v128.shuffle<f32>(r4, r5, 0, 4, 1, 5), u1 = v128.shuffle<f32>(r4, r5, 2, 6, 3, 7);
          store<i64>(o + 16, i64x2.extract_lane(u0, 0));
          store<i64>(o + step + 16, i64x2.extract_lane(u0, 1));
          store<i64>(o + 2 * step + 16, i64x2.extract_lane(u1, 0));
          store<i64>(o + 3 * step + 16, i64x2.extract_lane(u1, 1));
        }
        o += 4 * step;
      }
    }
    for (; p < kc; p++) {
      for (let l = 0; l < MR; l++) {
        let v: f32 = 0;
        if (l < rows) {
          const i = i0 + ib + l, q = p0 + p;
          v = transA ? load<f32>(a + ((<usize>q * m + i) << 2)) : load<f32>(a + ((<usize>i * k + q) << 2));
        }
        store<f32>(o, v);
        o += 4;
      }
    }
  }
}

// Reads four floats from each of four rows (`src`, row stride `stride` bytes) and writes them
// transposed as four rows of eight floats at `dst` (its first four columns): dst[r*NR + l] =
// row l's float r.
// @ts-ignore: decorator
@inline
function transpose4(dst: usize, src: usize, stride: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + stride);
  const r2 = v128.load(src + 2 * stride), r3 = v128.load(src + 3 * stride);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + (NR << 2), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + (2 * NR << 2), v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + (3 * NR << 2), v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

// Packs columns [j0, j0+nc) of op(B) over depth [p0, p0+kc) as panels of NR columns:
// out[(panel*kc + p)*NR + l]; columns past nc are zero.
function packB(b: usize, transB: bool, n: i32, k: i32, j0: i32, nc: i32, p0: i32, kc: i32, out: usize): void {
  let o = out;
  for (let jb = 0; jb < nc; jb += NR) {
    const cols = min(NR, nc - jb);
    if (!transB && cols == NR) {
      // Eight contiguous floats of a row of B: two vector copies.
      let s = b + ((<usize>p0 * n + j0 + jb) << 2);
      const stride = <usize>n << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(o, v128.load(s));
        v128.store(o + 16, v128.load(s + 16));
        o += 32;
        s += stride;
      }
      continue;
    }
    let p = 0;
    if (transB && cols == NR) {
      // Eight rows of the stored B (columns of op(B)), four floats of each at a time: an 8x4 block
      // transposed in registers (two 4x4 transposes) into four rows of the panel.
      const s = b + ((<usize>(j0 + jb) * k + p0) << 2);
      const stride = <usize>k << 2;
      for (; p + 4 <= kc; p += 4) {
        const q = s + (<usize>p << 2);
        transpose4(o, q, stride);
        transpose4(o + 16, q + 4 * stride, stride);
        o += 128;
      }
    }
    for (; p < kc; p++) {
      for (let l = 0; l < NR; l++) {
        let v: f32 = 0;
        if (l < cols) {
          const j = j0 + jb + l, q = p0 + p;
          v = transB ? load<f32>(b + ((<usize>j * k + q) << 2)) : load<f32>(b + ((<usize>q * n + j) << 2));
        }
        store<f32>(o, v);
        o += 4;
      }
    }
  }
}

// a·b + c, fused (one rounding) where the build enables relaxed SIMD and the CPU has FMA.
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// C tile (rows x cols at address c, row stride ldc floats) (= or +=) packed A panel · packed B panel,
// with `tr` (a constant once inlined: MR, or 4 for a panel of at most four rows) rows of
// accumulators; the panel's stride is MR floats per step of k either way.
// @ts-ignore: decorator
@inline
function microKernel(tr: i32, kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, rows: i32, cols: i32, overwrite: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp + 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap + 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap + 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap + 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (tr == 6) {
      a = v128.load32_splat(ap + 16);
      c40 = madd(a, b0, c40);
      c41 = madd(a, b1, c41);
      a = v128.load32_splat(ap + 20);
      c50 = madd(a, b0, c50);
      c51 = madd(a, b1, c51);
    }
    ap += MR << 2;
    bp += NR << 2;
  }
  const ld = <usize>ldc << 2;
  if (rows == tr && cols == NR) {
    const r1 = c + ld, r2 = r1 + ld, r3 = r2 + ld;
    if (!overwrite) {
      c00 = f32x4.add(c00, v128.load(c));
      c01 = f32x4.add(c01, v128.load(c + 16));
      c10 = f32x4.add(c10, v128.load(r1));
      c11 = f32x4.add(c11, v128.load(r1 + 16));
      c20 = f32x4.add(c20, v128.load(r2));
      c21 = f32x4.add(c21, v128.load(r2 + 16));
      c30 = f32x4.add(c30, v128.load(r3));
      c31 = f32x4.add(c31, v128.load(r3 + 16));
    }
    v128.store(c, c00);
    v128.store(c + 16, c01);
    v128.store(r1, c10);
    v128.store(r1 + 16, c11);
    v128.store(r2, c20);
    v128.store(r2 + 16, c21);
    v128.store(r3, c30);
    v128.store(r3 + 16, c31);
    if (tr == 6) {
      const r4 = r3 + ld, r5 = r4 + ld;
      if (!overwrite) {
        c40 = f32x4.add(c40, v128.load(r4));
        c41 = f32x4.add(c41, v128.load(r4 + 16));
        c50 = f32x4.add(c50, v128.load(r5));
        c51 = f32x4.add(c51, v128.load(r5 + 16));
      }
      v128.store(r4, c40);
      v128.store(r4 + 16, c41);
      v128.store(r5, c50);
      v128.store(r5 + 16, c51);
    }
    return;
  }
  // Edge tile: spill to `tile` (tr x NR floats) and write the valid part.
  v128.store(tile, c00);
  v128.store(tile + 16, c01);
  v128.store(tile + 32, c10);
  v128.store(tile + 48, c11);
  v128.store(tile + 64, c20);
  v128.store(tile + 80, c21);
  v128.store(tile + 96, c30);
  v128.store(tile + 112, c31);
  if (tr == 6) {
    v128.store(tile + 128, c40);
    v128.store(tile + 144, c41);
    v128.store(tile + 160, c50);
    v128.store(tile + 176, c51);
  }
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const dst = c + <usize>r * ld + (<usize>j << 2);
      const v = load<f32>(tile + ((<usize>(r * NR + j)) << 2));
      store<f32>(dst, overwrite ? v : load<f32>(dst) + v);
    }
  }
}

// Rows of one (j0, p0) block: packs op(A) block by block into `scratch` (MC·KC floats, then an
// MR·NR-float edge tile) and multiplies it by the packed B block at `bp` into C (`overwrite` for the
// first depth block of a non-accumulating product).
function blockRows(transA: bool, m: i32, n: i32, k: i32, a: usize, c: usize, j0: i32, nc: i32, p0: i32, kc: i32, overwrite: bool, bp: usize, scratch: usize): void {
  const ap = scratch, tile = scratch + (<usize>(MC * KC) << 2);
  for (let i0 = 0; i0 < m; i0 += MC) {
    const mc = min(MC, m - i0);
    packA(a, transA, m, k, i0, mc, p0, kc, ap);
    for (let jb = 0; jb < nc; jb += NR) {
      const cols = min(NR, nc - jb);
      const bo = bp + (<usize>(jb * kc) << 2);
      for (let ib = 0; ib < mc; ib += MR) {
        const rows = min(MR, mc - ib);
        const cAddr = c + ((<usize>(i0 + ib) * n + j0 + jb) << 2);
        const panel = ap + (<usize>(ib * kc) << 2);
        // A last panel of at most four rows (e.g. 16 or 32 channels in 6-row panels) takes the
        // 4-row tile: two thirds of the multiply-adds, and no spill when it has exactly four.
        if (MR == 6 && rows <= 4) microKernel(4, kc, panel, bo, cAddr, n, rows, cols, overwrite, tile);
        else microKernel(MR, kc, panel, bo, cAddr, n, rows, cols, overwrite, tile);
      }
    }
  }
}

/**
 * Columns [j0, j1) of C[m,n] (= or +=) op(A)[m,k] · op(B)[k,n] on row-major float32 arrays at byte
 * addresses a, b, c; `scratch` holds SCRATCH_FLOATS floats (16-byte aligned), one
 * area per thread. Each element is computed by the same operations whichever columns are asked
 * for, so two threads that split the columns produce the bits one thread does.
 */
export function gemmColumns(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize, accumulate: bool, scratch: usize, j0: i32, j1: i32): void {
  const bp = scratch + (<usize>(MC * KC + MR * NR) << 2);
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      packB(b, transB, n, k, jc, nc, p0, kc, bp);
      blockRows(transA, m, n, k, a, c, jc, nc, p0, kc, !accumulate && p0 == 0, bp, scratch);
    }
  }
}

/** C[m,n] (= or +=) op(A)[m,k] · op(B)[k,n] in this thread: {@link gemmColumns} of every column. */
export function gemm(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize, accumulate: bool, scratch: usize): void {
  gemmColumns(transA, transB, m, n, k, a, b, c, accumulate, scratch, 0, n);
}
