/**
 * The WebAssembly SIMD gemm called directly (below `gemm`'s size threshold too) against the
 * TypeScript reference kernel, and the committed module against a fresh build of its source.
 */
import { assert } from "../../testing/asserts.ts";
import { Rng } from "../random.ts";
import {
  gemmWasm,
  selectWasmGemmVariant,
  type WasmGemmVariant,
  wasmGemmVariant,
  wasmHelperReady,
} from "./gemm_wasm.ts";
import { gemm, setGemmKernel } from "./matmul.ts";
import { buildModule } from "../../../tools/build_wasm.ts";

for (const build of ["relaxed-simd", "simd"] as WasmGemmVariant[]) {
  Deno.test(`gemmWasm (${build} build) equals the TypeScript gemm on small sizes, all transposes, +=`, () => {
    selectWasmGemmVariant(build);
    try {
      assert(wasmGemmVariant() === build, `the ${build} build does not load here`);
      compareWithTs();
    } finally {
      selectWasmGemmVariant(null);
    }
  });
}

function compareWithTs() {
  const rand = new Rng(3);
  setGemmKernel("ts");
  try {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      for (let m = 1; m <= 10; m++) {
        for (let n = 1; n <= 18; n++) {
          for (const k of [1, 3, 8, 17]) {
            const a = rand.uniformArray(m * k), b = rand.uniformArray(k * n);
            const c0 = rand.uniformArray(m * n + 2);
            for (const acc of [false, true]) {
              const want = c0.slice(), got = c0.slice();
              gemm(ta, tb, m, n, k, a, b, want, acc);
              gemmWasm(ta, tb, m, n, k, a, b, got, acc);
              for (let i = 0; i < got.length; i++) {
                const tol = 1e-6 * (k + 1) * Math.max(1, Math.abs(want[i]));
                assert(
                  Math.abs(got[i] - want[i]) <= tol,
                  `ta=${ta} tb=${tb} ${m}x${n}x${k} acc=${acc} [${i}]: ${got[i]} vs ${want[i]}`,
                );
              }
            }
          }
        }
      }
    }
  } finally {
    setGemmKernel("wasm");
  }
}

Deno.test("gemm_wasm_bin.ts is the build of assembly/{gemm,conv,batchnorm}.ts (deno task build:wasm)", async () => {
  const fresh = await buildModule("autograd/kernels/gemm_wasm_bin.ts");
  const committed = await Deno.readTextFile(new URL("./gemm_wasm_bin.ts", import.meta.url));
  assert(fresh === committed, "gemm_wasm_bin.ts is stale: run `deno task build:wasm`");
});

Deno.test("gemmWasm with two threads is bit-identical to one thread", async () => {
  if (!(await wasmHelperReady())) return; // no helper thread here: nothing to compare
  const rand = new Rng(78);
  // Column counts around the units the threads share (multiples of 8, at least 64 columns), sizes
  // past the 64 / 1024 / 256 blocks, and chapter 1's convolution products (few rows, many columns).
  const cases: [number, number, number][] = [
    [200, 70, 300],
    [129, 1030, 33],
    [64, 300, 257],
    [16, 3920, 144],
    [32, 144, 700],
    [3, 2001, 300],
  ];
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    for (const [m, n, k] of cases) {
      const a = rand.uniformArray(m * k), b = rand.uniformArray(k * n);
      const c0 = rand.uniformArray(m * n);
      for (const acc of [false, true]) {
        const two = c0.slice(), one = c0.slice();
        assert(gemmWasm(ta, tb, m, n, k, a, b, two, acc, 2));
        assert(gemmWasm(ta, tb, m, n, k, a, b, one, acc, 1));
        assert(
          two.every((v, i) => Object.is(v, one[i])),
          `ta=${ta} tb=${tb} ${m}x${n}x${k} acc=${acc}`,
        );
      }
    }
  }
});
