/**
 * Benchmarks for the autograd kernels. Run with
 * `deno bench --allow-all lib/autograd/kernels`.
 *
 * GFLOP/s = 2·m·n·k / time; e.g. 512³ at 50 ms/iter is 5.4 GFLOP/s.
 *
 * Benches run with the default settings (the WebAssembly SIMD gemm; two
 * threads on 2+ cores, else one; `BOOK_THREADS` overrides), except the "ts" /
 * "wasm" and the "1 thread" / "2 threads" pairs, which force each setting.
 * Both helper threads are started before any bench, so no timed iteration
 * includes a start-up.
 */
import { Rng } from "../random.ts";
import {
  gemm,
  type GemmKernel,
  gemmKernel,
  gemmThreads,
  gemmWorkerReady,
  setGemmKernel,
  setGemmThreads,
} from "./matmul.ts";
import { conv2dBackward, conv2dForward } from "./conv.ts";

const rand = new Rng(1);
/** Textbook i-k-j triple loop, the baseline the packed kernel is compared to. */
function naiveMatmul(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
) {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      const bo = p * n, co = i * n;
      for (let j = 0; j < n; j++) c[co + j] += av * b[bo + j];
    }
  }
}

// Start the helper thread up front (even when the default is one thread), so
// that the "2 threads" benches never time its start-up.
const defaultThreads = gemmThreads();
const defaultKernel = gemmKernel();
setGemmThreads(2);
for (const kernel of ["ts", "wasm"] as const) {
  setGemmKernel(kernel);
  await gemmWorkerReady();
}
setGemmKernel(defaultKernel);
setGemmThreads(defaultThreads);

/** Run `fn` with `kernel` behind gemm, then restore the default. */
function withKernel(kernel: GemmKernel, fn: () => void): void {
  setGemmKernel(kernel);
  try {
    fn();
  } finally {
    setGemmKernel(defaultKernel);
  }
}

/** Run `fn` with `threads` threads, then restore the default. */
function withThreads(threads: number, fn: () => void): void {
  setGemmThreads(threads);
  try {
    fn();
  } finally {
    setGemmThreads(defaultThreads);
  }
}

const N = 512;
const a512 = rand.uniformArray(N * N),
  b512 = rand.uniformArray(N * N),
  c512 = new Float32Array(N * N);

Deno.bench("naive i-k-j matmul 512x512x512", { group: "gemm512", baseline: true }, () => {
  naiveMatmul(N, N, N, a512, b512, c512);
});
for (const kernel of ["ts", "wasm"] as const) {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const name = `gemm 512x512x512 ${ta ? "T" : "N"}${tb ? "T" : "N"} (${kernel})`;
    Deno.bench(name, { group: "gemm512" }, () => {
      withKernel(kernel, () => gemm(ta, tb, N, N, N, a512, b512, c512));
    });
  }
}

for (const threads of [1, 2]) {
  const name = `gemm 512x512x512 NN (ts), ${threads} thread${threads > 1 ? "s" : ""}`;
  Deno.bench(name, { group: "threads" }, () => {
    withKernel(
      "ts",
      () => withThreads(threads, () => gemm(false, false, N, N, N, a512, b512, c512)),
    );
  });
}

// MLP-sized: batch 128, 784 -> 256 forward, and the two backward products.
const x = rand.uniformArray(128 * 784),
  w1 = rand.uniformArray(784 * 256),
  h = new Float32Array(128 * 256);
const dh = rand.uniformArray(128 * 256),
  dw1 = new Float32Array(784 * 256),
  dx = new Float32Array(128 * 784);
Deno.bench("gemm 128x784x256 NN (m=128, k=784, n=256: x·W)", { group: "mlp" }, () => {
  gemm(false, false, 128, 256, 784, x, w1, h);
});
Deno.bench("gemm TN 784x256 over k=128 (dW = xᵀ·dh)", { group: "mlp" }, () => {
  gemm(true, false, 784, 256, 128, x, dh, dw1);
});
Deno.bench("gemm NT 128x784 over k=256 (dx = dh·Wᵀ)", { group: "mlp" }, () => {
  gemm(false, true, 128, 784, 256, dh, w1, dx);
});

// MNIST CNN layers, batch 64.
const B = 64;
const cx1 = rand.uniformArray(B * 28 * 28), cw1 = rand.uniformArray(16 * 9);
const c1 = conv2dForward(cx1, [B, 1, 28, 28], cw1, [16, 1, 3, 3], 1, 1);
const cdy1 = rand.uniformArray(c1.y.length);
const cx2 = rand.uniformArray(B * 16 * 14 * 14), cw2 = rand.uniformArray(32 * 16 * 9);
const c2 = conv2dForward(cx2, [B, 16, 14, 14], cw2, [32, 16, 3, 3], 1, 1);
const cdy2 = rand.uniformArray(c2.y.length);

Deno.bench("conv2dForward b64 1x28x28 -> 16 (3x3 pad 1)", { group: "conv1" }, () => {
  conv2dForward(cx1, [B, 1, 28, 28], cw1, [16, 1, 3, 3], 1, 1);
});
Deno.bench("conv2dBackward b64 1x28x28 -> 16 (3x3 pad 1, no dx)", { group: "conv1" }, () => {
  conv2dBackward(cx1, [B, 1, 28, 28], cw1, [16, 1, 3, 3], cdy1, 1, 1, false);
});
Deno.bench("conv2dForward b64 16x14x14 -> 32 (3x3 pad 1)", { group: "conv2" }, () => {
  conv2dForward(cx2, [B, 16, 14, 14], cw2, [32, 16, 3, 3], 1, 1);
});
Deno.bench("conv2dBackward b64 16x14x14 -> 32 (3x3 pad 1)", { group: "conv2" }, () => {
  conv2dBackward(cx2, [B, 16, 14, 14], cw2, [32, 16, 3, 3], cdy2, 1, 1);
});
for (const threads of [1, 2]) {
  const name = `conv2dBackward b64 16x14x14 -> 32, ${threads} thread${threads > 1 ? "s" : ""}`;
  Deno.bench(name, { group: "threads" }, () => {
    withThreads(
      threads,
      () => conv2dBackward(cx2, [B, 16, 14, 14], cw2, [32, 16, 3, 3], cdy2, 1, 1),
    );
  });
}
