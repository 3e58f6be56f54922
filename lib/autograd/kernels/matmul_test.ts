import { assert, assertEquals, assertThrows } from "../../testing/asserts.ts";
import { Rng } from "../random.ts";
import {
  gemm,
  type GemmKernel,
  gemmKernel,
  gemmThreads,
  gemmWorkerReady,
  KC,
  MC,
  NC,
  setGemmKernel,
  setGemmThreads,
} from "./matmul.ts";
import { wasmGemmAvailable } from "./gemm_wasm.ts";

/** Naive float64 reference: returns op(A)·op(B) (+ c0 when given). */
function refGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c0?: Float32Array,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j] : 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

function assertClose(actual: Float32Array, expected: Float64Array, k: number, what: string) {
  assertEquals(actual.length >= expected.length, true);
  // Inputs are in [-1, 1]; float32 rounding of the result plus accumulation error.
  const tol = 1e-5 * (k + 1) + 1e-6;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol * Math.max(1, Math.abs(expected[i])))) {
      throw new Error(`${what}: index ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

const combos: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

/**
 * Registers `fn` as one test per implementation behind `gemm`: the TypeScript reference kernel
 * and the WebAssembly SIMD one (whose block sizes, 64 x 256 x 1024, the sizes below also cross).
 */
function testBothKernels(name: string, fn: () => void) {
  for (const kernel of ["ts", "wasm"] as GemmKernel[]) {
    Deno.test(`${name} [${kernel}]`, () => {
      const saved = gemmKernel();
      setGemmKernel(kernel);
      try {
        assertEquals(gemmKernel(), kernel);
        fn();
      } finally {
        setGemmKernel(saved);
      }
    });
  }
}

Deno.test("the WebAssembly SIMD gemm loads here (Deno has wasm SIMD)", () => {
  assert(wasmGemmAvailable());
});

testBothKernels("gemm matches float64 reference for odd sizes, all transpose combos", () => {
  const rand = new Rng(1234);
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 37];
  for (const [ta, tb] of combos) {
    for (let trial = 0; trial < 40; trial++) {
      const m = sizes[rand.int(sizes.length)];
      const n = sizes[rand.int(sizes.length)];
      const k = sizes[rand.int(sizes.length)];
      const a = rand.uniformArray(m * k);
      const b = rand.uniformArray(k * n);
      const c = new Float32Array(m * n).fill(NaN); // overwritten, NaN must not leak
      gemm(ta, tb, m, n, k, a, b, c);
      assertClose(c, refGemm(ta, tb, m, n, k, a, b), k, `ta=${ta} tb=${tb} ${m}x${n}x${k}`);
    }
  }
});

testBothKernels("gemm exhaustive small sizes 1..9", () => {
  const rand = new Rng(99);
  for (const [ta, tb] of combos) {
    for (let m = 1; m <= 9; m++) {
      for (let n = 1; n <= 9; n++) {
        for (const k of [1, 2, 5, 9]) {
          const a = rand.uniformArray(m * k);
          const b = rand.uniformArray(k * n);
          const c = new Float32Array(m * n);
          gemm(ta, tb, m, n, k, a, b, c);
          assertClose(c, refGemm(ta, tb, m, n, k, a, b), k, `ta=${ta} tb=${tb} ${m}x${n}x${k}`);
        }
      }
    }
  }
});

testBothKernels("gemm accumulate adds into C", () => {
  const rand = new Rng(7);
  for (const [ta, tb] of combos) {
    const m = 11, n = 23, k = 19;
    const a = rand.uniformArray(m * k);
    const b = rand.uniformArray(k * n);
    const c0 = rand.uniformArray(m * n);
    const c = c0.slice();
    gemm(ta, tb, m, n, k, a, b, c, true);
    assertClose(c, refGemm(ta, tb, m, n, k, a, b, c0), k, `accumulate ta=${ta} tb=${tb}`);
  }
});

testBothKernels("gemm crosses every cache-block boundary (m > MC, n > NC, k > KC)", () => {
  const rand = new Rng(2024);
  const cases: [number, number, number][] = [
    [MC + 3, 5, KC + 7],
    [6, NC + 5, 3],
    [MC + 1, 9, 2 * KC + 1],
    [65, 1030, 257], // the wasm kernel's MC, NC and KC
  ];
  for (const [ta, tb] of combos) {
    for (const [m, n, k] of cases) {
      const a = rand.uniformArray(m * k);
      const b = rand.uniformArray(k * n);
      const c0 = rand.uniformArray(m * n);
      const c = c0.slice();
      gemm(ta, tb, m, n, k, a, b, c, true);
      assertClose(c, refGemm(ta, tb, m, n, k, a, b, c0), k, `ta=${ta} tb=${tb} ${m}x${n}x${k}`);
      gemm(ta, tb, m, n, k, a, b, c, false);
      assertClose(c, refGemm(ta, tb, m, n, k, a, b), k, `ta=${ta} tb=${tb} ${m}x${n}x${k}`);
    }
  }
});

testBothKernels("gemm leaves elements past m*n untouched and handles k = 0", () => {
  const a = new Float32Array([1, 2, 3, 4]);
  const b = new Float32Array([5, 6, 7, 8]);
  const c = new Float32Array(5).fill(-1);
  gemm(false, false, 2, 2, 2, a, b, c);
  assertEquals(Array.from(c), [19, 22, 43, 50, -1]);
  const z = new Float32Array(6).fill(3);
  gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), z);
  assertEquals(Array.from(z), [0, 0, 0, 0, 0, 0]);
  gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), z.fill(3), true);
  assertEquals(Array.from(z), [3, 3, 3, 3, 3, 3]);
});

testBothKernels("gemm is deterministic", () => {
  const rand = new Rng(5);
  const m = 70, n = 90, k = 300;
  const a = rand.uniformArray(m * k);
  const b = rand.uniformArray(k * n);
  const c1 = new Float32Array(m * n);
  const c2 = new Float32Array(m * n);
  gemm(false, true, m, n, k, a, b, c1);
  gemm(false, true, m, n, k, a, b, c2);
  assert(c1.every((v, i) => Object.is(v, c2[i])));
});

testBothKernels("gemm throws clear errors on bad sizes", () => {
  const e = assertThrows(
    () =>
      gemm(false, false, 2, 2, 3, new Float32Array(5), new Float32Array(6), new Float32Array(4)),
    Error,
  );
  assert(e.message.includes("gemm") && e.message.includes("m=2"), e.message);
  assertThrows(
    () =>
      gemm(false, false, 2, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(3)),
    Error,
    "c needs",
  );
  assertThrows(
    () =>
      gemm(false, false, -1, 2, 3, new Float32Array(6), new Float32Array(6), new Float32Array(3)),
    Error,
    "non-negative",
  );
});

Deno.test("gemm two-thread path is bit-identical to the single-thread path [ts]", async () => {
  const saved = gemmThreads(), savedKernel = gemmKernel();
  setGemmKernel("ts");
  setGemmThreads(2);
  try {
    const ready = await gemmWorkerReady();
    if (!ready) return; // threads unavailable here: nothing to compare
    const rand = new Rng(77);
    // Odd sizes crossing the two-thread row block (256), NC and KC boundaries.
    const cases: [number, number, number][] = [[261, 70, 300], [40, NC + 9, 33], [129, 300, 97]];
    for (const [ta, tb] of combos) {
      for (const [m, n, k] of cases) {
        const a = rand.uniformArray(m * k);
        const b = rand.uniformArray(k * n);
        const c0 = rand.uniformArray(m * n);
        for (const acc of [false, true]) {
          setGemmThreads(2);
          const par = c0.slice();
          gemm(ta, tb, m, n, k, a, b, par, acc);
          setGemmThreads(1);
          const ser = c0.slice();
          gemm(ta, tb, m, n, k, a, b, ser, acc);
          const what = `ta=${ta} tb=${tb} ${m}x${n}x${k} acc=${acc}`;
          assert(par.every((v, i) => Object.is(v, ser[i])), what);
          assertClose(ser, refGemm(ta, tb, m, n, k, a, b, acc ? c0 : undefined), k, what);
        }
      }
    }
  } finally {
    setGemmThreads(saved);
    setGemmKernel(savedKernel);
  }
});
