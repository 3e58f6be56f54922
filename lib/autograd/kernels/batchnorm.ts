/**
 * Batch normalisation kernels on NCHW `Float32Array`s (`[n, c, spatial]`, spatial = h·w, or 1 for
 * `[n, c]` inputs): the loops behind the fused `batchNorm` operation of `functional.ts`.
 *
 * With x̂ = (x − μ)·invStd, invStd = 1/√(σ² + ε), per channel:
 * - forward: y = γ·x̂ + β, with μ and σ² the batch's (training) or given (evaluation);
 * - backward: dβ = Σ g, dγ = Σ g·x̂, and dx = γ·invStd·(g − mean(g) − x̂·mean(g·x̂)) with batch
 *   statistics (their own gradient included), or γ·invStd·g with fixed ones.
 *
 * x̂ is recomputed in the backward pass from x, μ and invStd rather than stored: one array fewer
 * kept per layer. The same loops run in WebAssembly SIMD by default (`kernels_wasm.ts`, from
 * `assembly/batchnorm.ts`); `BOOK_KERNELS=ts` (or `setGemmKernel("ts")`) runs the TypeScript ones
 * below, the reference.
 *
 * @module
 */
import { batchNormBackwardWasm, batchNormForwardWasm } from "./kernels_wasm.ts";
import { gemmKernel, gemmThreads } from "./matmul.ts";

/**
 * Normalises `x` per channel. With `batchStats`, first computes the batch's mean and biased
 * variance into `mean` and `variance` (two passes: the mean, then squared deviations); otherwise
 * reads them from there.
 *
 * @returns the output `out` (shape of `x`) and `invStd` = 1/√(variance + eps) per channel
 */
export function batchNormForward(
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
): { out: Float32Array; invStd: Float32Array } {
  if (gemmKernel() === "wasm") {
    const threads = gemmThreads();
    const r = batchNormForwardWasm(
      x,
      n,
      c,
      spatial,
      gamma,
      beta,
      eps,
      mean,
      variance,
      batchStats,
      threads,
    );
    if (r) return r;
  }
  const count = n * spatial;
  if (batchStats) {
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * spatial;
        for (let i = 0; i < spatial; i++) sum += x[base + i];
      }
      const mu = sum / count;
      let sq = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * spatial;
        for (let i = 0; i < spatial; i++) {
          const d = x[base + i] - mu;
          sq += d * d;
        }
      }
      mean[ch] = mu;
      variance[ch] = sq / count;
    }
  }
  const invStd = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) invStd[ch] = 1 / Math.sqrt(variance[ch] + eps);
  const out = new Float32Array(n * c * spatial);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * spatial;
      const mu = mean[ch], s = invStd[ch], gm = gamma[ch], bt = beta[ch];
      for (let i = 0; i < spatial; i++) out[base + i] = gm * ((x[base + i] - mu) * s) + bt;
    }
  }
  return { out, invStd };
}

/**
 * Gradients of {@link batchNormForward} for the upstream gradient `g`: `dGamma`, `dBeta`, and
 * `dx` when `needDx` (else null). `batchStats` says whether the forward pass used the batch's own
 * statistics (whose gradient then flows into `dx`) or fixed ones.
 */
export function batchNormBackward(
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
): { dx: Float32Array | null; dGamma: Float32Array; dBeta: Float32Array } {
  if (gemmKernel() === "wasm") {
    const threads = gemmThreads();
    const r = batchNormBackwardWasm(
      x,
      g,
      n,
      c,
      spatial,
      mean,
      invStd,
      gamma,
      batchStats,
      needDx,
      threads,
    );
    if (r) return r;
  }
  const count = n * spatial;
  const dGamma = new Float32Array(c);
  const dBeta = new Float32Array(c);
  const dx = needDx ? new Float32Array(n * c * spatial) : null;
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch], s = invStd[ch];
    let sg = 0;
    let sgx = 0;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * spatial;
      for (let i = 0; i < spatial; i++) {
        sg += g[base + i];
        sgx += g[base + i] * ((x[base + i] - mu) * s);
      }
    }
    dBeta[ch] = sg;
    dGamma[ch] = sgx;
    if (dx === null) continue;
    const scale = gamma[ch] * s;
    const meanG = sg / count, meanGx = sgx / count;
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * spatial;
      if (!batchStats) {
        for (let i = 0; i < spatial; i++) dx[base + i] = scale * g[base + i];
        continue;
      }
      for (let i = 0; i < spatial; i++) {
        const xhat = (x[base + i] - mu) * s;
        dx[base + i] = scale * (g[base + i] - meanG - xhat * meanGx);
      }
    }
  }
  return { dx, dGamma, dBeta };
}
