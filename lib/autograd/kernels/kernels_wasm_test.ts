/**
 * The WebAssembly convolution and batch-norm kernels (kernels_wasm.ts, from assembly/conv.ts and
 * assembly/batchnorm.ts) against the TypeScript reference loops, in both builds of the module.
 */
import { assert } from "../../testing/asserts.ts";
import { Rng } from "../random.ts";
import { batchNormBackward, batchNormForward } from "./batchnorm.ts";
import { col2im, conv2dBackward, conv2dForward, conv2dOutputSize, im2col } from "./conv.ts";
import {
  selectWasmGemmVariant,
  type WasmGemmVariant,
  wasmGemmVariant,
  wasmHelperReady,
} from "./gemm_wasm.ts";
import {
  batchNormBackwardWasm,
  batchNormForwardWasm,
  col2imWasm,
  conv2dBackwardWasm,
  conv2dForwardWasm,
  im2colWasm,
} from "./kernels_wasm.ts";
import { setGemmKernel } from "./matmul.ts";

const BUILDS: WasmGemmVariant[] = ["relaxed-simd", "simd"];

/** Runs `fn` with only `build` loaded (the test fails when it does not load here). */
function withBuild(build: WasmGemmVariant, fn: () => void): void {
  selectWasmGemmVariant(build);
  try {
    assert(wasmGemmVariant() === build, `the ${build} build does not load here`);
    fn();
  } finally {
    selectWasmGemmVariant(null);
  }
}

/** `fn` computed by the TypeScript kernels (the reference) and by the default, WebAssembly ones. */
function tsAndWasm<T>(fn: () => T): { ts: T; wasm: T } {
  setGemmKernel("ts");
  let ts: T;
  try {
    ts = fn();
  } finally {
    setGemmKernel("wasm");
  }
  return { ts, wasm: fn() };
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) {
  assert(got.length === want.length, `${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    assert(d <= tol * Math.max(1, Math.abs(want[i])), `${what} [${i}]: ${got[i]} vs ${want[i]}`);
  }
}

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

// [n, c, h, w, k, stride, pad]: odd sizes, padding wider than the kernel's reach, strides 1-3.
const GEOMETRIES: number[][] = [
  [2, 3, 7, 5, 3, 1, 1],
  [3, 2, 9, 11, 3, 2, 1],
  [1, 4, 6, 6, 1, 1, 0],
  [2, 1, 5, 8, 5, 1, 2],
  [2, 2, 10, 7, 3, 3, 0],
  [1, 1, 3, 3, 5, 1, 2],
  [5, 16, 14, 14, 3, 1, 1],
];

for (const build of BUILDS) {
  Deno.test(`im2col/col2im in WebAssembly (${build}) are bit-identical to the TypeScript loops`, () => {
    withBuild(build, () => {
      const rng = new Rng(5);
      for (const [n, c, h, w, k, stride, pad] of GEOMETRIES) {
        const oh = conv2dOutputSize(h, k, stride, pad), ow = conv2dOutputSize(w, k, stride, pad);
        const x = rng.uniformArray(n * c * h * w);
        const size = c * k * k * n * oh * ow;
        // Garbage in the outputs: im2col must overwrite every entry, col2im add onto dx.
        const want = new Float32Array(size).fill(7), got = new Float32Array(size).fill(7);
        im2col(x, n, c, h, w, k, k, stride, pad, want);
        const s = { n, c, h, w, kh: k, kw: k, oh, ow, stride, pad };
        assert(im2colWasm(x, s, got));
        assert(bitsEqual(got, want), `im2col ${[n, c, h, w, k, stride, pad]}`);
        const col = rng.uniformArray(size);
        const dx0 = rng.uniformArray(n * c * h * w);
        const dxWant = dx0.slice(), dxGot = dx0.slice();
        col2im(col, n, c, h, w, k, k, stride, pad, dxWant);
        assert(col2imWasm(col, s, dxGot));
        assert(bitsEqual(dxGot, dxWant), `col2im ${[n, c, h, w, k, stride, pad]}`);
      }
    });
  });

  Deno.test(`conv2d forward/backward in WebAssembly (${build}) match the TypeScript kernels`, () => {
    withBuild(build, () => {
      const rng = new Rng(6);
      // The last geometries are chapter 1's two layers (16 and 32 output channels: the first one's
      // dW product is computed transposed) at a batch of 3 and 21 (groups of 5 and 20).
      const cases: number[][] = [
        ...GEOMETRIES,
        [3, 1, 28, 28, 3, 1, 1, 16],
        [21, 16, 14, 14, 3, 1, 1, 32],
      ];
      for (const [n, c, h, w, k, stride, pad, outChannels] of cases) {
        const o = outChannels ?? 4 + (n % 3);
        const xShape = [n, c, h, w], wShape = [o, c, k, k];
        const x = rng.uniformArray(n * c * h * w), wt = rng.uniformArray(o * c * k * k);
        const bias = n % 2 ? rng.uniformArray(o) : null;
        const fwd = tsAndWasm(() => conv2dForward(x, xShape, wt, wShape, stride, pad, bias));
        const tol = 2e-6 * c * k * k;
        assertClose(fwd.wasm.y, fwd.ts.y, tol, `forward ${xShape} k${k} s${stride} p${pad}`);
        const dy = rng.uniformArray(fwd.ts.y.length);
        for (const needDx of [true, false]) {
          const needDb = needDx === (n % 2 === 1);
          const bwd = tsAndWasm(() =>
            conv2dBackward(x, xShape, wt, wShape, dy, stride, pad, needDx, needDb)
          );
          const what = `backward ${xShape} k${k} s${stride} p${pad} needDx=${needDx}`;
          assertClose(bwd.wasm.dw, bwd.ts.dw, 2e-6 * fwd.ts.y.length / o, `${what} dw`);
          const dbTol = 1e-6 * fwd.ts.y.length / o;
          if (needDb) assertClose(bwd.wasm.db!, bwd.ts.db!, dbTol, `${what} db`);
          else assert(bwd.wasm.db === null && bwd.ts.db === null, `${what}: db should be null`);
          if (needDx) assertClose(bwd.wasm.dx!, bwd.ts.dx!, 2e-6 * o * k * k, `${what} dx`);
          else assert(bwd.wasm.dx === null && bwd.ts.dx === null, `${what}: dx should be null`);
        }
      }
    });
  });

  Deno.test(`batch norm forward/backward in WebAssembly (${build}) match the TypeScript loops`, () => {
    withBuild(build, () => {
      const rng = new Rng(8);
      // spatial 1 ([n, c] inputs), 3 (no full SIMD vector), 6 (a tail), 49 and 196 (chapter 1).
      for (const [n, c, spatial] of [[7, 5, 1], [4, 3, 3], [3, 2, 6], [5, 4, 49], [4, 3, 196]]) {
        const size = n * c * spatial;
        // An offset mean and a scale, as activations have, so the centring is tested.
        const x = rng.uniformArray(size).map((v) => 3 + 2 * v);
        const g = rng.uniformArray(size);
        const gamma = rng.uniformArray(c).map((v) => 1 + v), beta = rng.uniformArray(c);
        for (const batchStats of [true, false]) {
          const given = () => ({
            mean: batchStats ? new Float32Array(c) : Float32Array.from({ length: c }, (_, i) => i),
            variance: batchStats ? new Float32Array(c) : new Float32Array(c).fill(2),
          });
          // Forward then backward, with the kernels `tsAndWasm` selects.
          const run = (needDx: boolean) => {
            const { mean, variance } = given();
            const f = batchNormForward(
              x,
              n,
              c,
              spatial,
              gamma,
              beta,
              1e-5,
              mean,
              variance,
              batchStats,
            );
            const b = batchNormBackward(
              x,
              g,
              n,
              c,
              spatial,
              mean,
              f.invStd,
              gamma,
              batchStats,
              needDx,
            );
            return { mean, variance, ...f, ...b };
          };
          const { ts, wasm } = tsAndWasm(() => run(true));
          const what = `[${n}, ${c}, ${spatial}] batchStats=${batchStats}`;
          assertClose(wasm.mean, ts.mean, 1e-6, `${what} mean`);
          assertClose(wasm.variance, ts.variance, 1e-5, `${what} variance`);
          assertClose(wasm.invStd, ts.invStd, 1e-5, `${what} invStd`);
          assertClose(wasm.out, ts.out, 1e-5, `${what} out`);
          assertClose(wasm.dBeta, ts.dBeta, 1e-5 * n * spatial, `${what} dBeta`);
          assertClose(wasm.dGamma, ts.dGamma, 1e-5 * n * spatial, `${what} dGamma`);
          assertClose(wasm.dx!, ts.dx!, 1e-4, `${what} dx`);
          const noDx = run(false);
          assert(noDx.dx === null, `${what}: dx should be null without needDx`);
          assert(bitsEqual(noDx.dGamma, wasm.dGamma), `${what}: dGamma without dx`);
        }
      }
    });
  });
}

Deno.test("convolution and batch norm in WebAssembly with two threads are bit-identical to one", async () => {
  if (!(await wasmHelperReady())) return; // no helper thread here: nothing to compare
  const rng = new Rng(12);
  const same = (a: Float32Array | null, b: Float32Array | null, what: string) =>
    assert(a !== null && b !== null && bitsEqual(a, b), what);
  // Chapter 1's two layers at a batch of 64 (large enough to be shared), and an odd geometry.
  const cases = [[64, 1, 28, 28, 16, 3, 1, 1], [64, 16, 14, 14, 32, 3, 1, 1], [
    9,
    7,
    33,
    31,
    5,
    5,
    2,
    2,
  ]];
  for (const [n, c, h, w, o, k, stride, pad] of cases) {
    const oh = conv2dOutputSize(h, k, stride, pad), ow = conv2dOutputSize(w, k, stride, pad);
    const sizes = {
      n,
      c,
      h,
      w,
      o,
      kh: k,
      kw: k,
      oh,
      ow,
      stride,
      pad,
      group: Math.ceil(4096 / (oh * ow)),
    };
    const x = rng.uniformArray(n * c * h * w), wt = rng.uniformArray(o * c * k * k);
    const bias = rng.uniformArray(o), dy = rng.uniformArray(n * o * oh * ow);
    const what = `[${n}, ${c}, ${h}, ${w}] → ${o} k${k}`;
    same(conv2dForwardWasm(x, wt, bias, sizes, 2), conv2dForwardWasm(x, wt, bias, sizes, 1), what);
    const two = conv2dBackwardWasm(x, wt, dy, sizes, true, true, 2)!;
    const one = conv2dBackwardWasm(x, wt, dy, sizes, true, true, 1)!;
    same(two.dx, one.dx, `${what} dx`);
    same(two.dw, one.dw, `${what} dw`);
    same(two.db, one.db, `${what} db`);
    const cols = new Float32Array(c * k * k * n * oh * ow), cols1 = cols.slice();
    assert(im2colWasm(x, sizes, cols, 2) && im2colWasm(x, sizes, cols1, 1));
    same(cols, cols1, `${what} im2col`);
    const dx = new Float32Array(x.length), dx1 = dx.slice();
    assert(col2imWasm(cols, sizes, dx, 2) && col2imWasm(cols, sizes, dx1, 1));
    same(dx, dx1, `${what} col2im`);
    // Batch norm of the convolution's output.
    const gm = rng.uniformArray(o), bt = rng.uniformArray(o), plane = oh * ow;
    const g = rng.uniformArray(dy.length);
    const batchNorm = (t: number) => {
      const mean = new Float32Array(o), vr = new Float32Array(o);
      const f = batchNormForwardWasm(dy, n, o, plane, gm, bt, 1e-5, mean, vr, true, t)!;
      const b = batchNormBackwardWasm(dy, g, n, o, plane, mean, f.invStd, gm, true, true, t)!;
      return { variance: vr, ...f, ...b };
    };
    const [bn2, bn1] = [batchNorm(2), batchNorm(1)];
    for (const key of ["variance", "out", "dx", "dGamma", "dBeta"] as const) {
      same(bn2[key], bn1[key], `${what} batch norm ${key}`);
    }
  }
});
