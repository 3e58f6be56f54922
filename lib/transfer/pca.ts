/**
 * Principal component analysis for plotting features in 2-D: the top `k` eigenvectors of the
 * covariance matrix by power iteration with deflation (seeded start vectors), in plain float64
 * JavaScript — enough for a few thousand points of a few hundred dimensions.
 *
 * @module
 */
import { Rng } from "../autograd/random.ts";

/** Projects the rows of `x` (`n × d`, row-major) onto their top `k` principal components. */
export function pca(x: ArrayLike<number>, n: number, d: number, k = 2, seed = 1): {
  /** `n × k` coordinates, row-major. */
  projected: Float64Array;
  /** The `k` eigenvalues (variances along the components), largest first. */
  variances: number[];
} {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = 0; b < d; b++) cov[a * d + b] += (ra * row[b]) / Math.max(1, n - 1);
    }
  }
  const rng = new Rng(seed);
  const components: Float64Array[] = [];
  const variances: number[] = [];
  for (let c = 0; c < k; c++) {
    let v = Float64Array.from({ length: d }, () => rng.next() - 0.5);
    let lambda = 0;
    for (let it = 0; it < 200; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += cov[a * d + b] * v[b];
        w[a] = s;
      }
      for (const u of components) { // deflate: stay orthogonal to the components found
        const dot = w.reduce((s, wi, i) => s + wi * u[i], 0);
        for (let i = 0; i < d; i++) w[i] -= dot * u[i];
      }
      const norm = Math.sqrt(w.reduce((s, wi) => s + wi * wi, 0)) || 1;
      lambda = norm;
      v = w.map((wi) => wi / norm);
    }
    components.push(v);
    variances.push(lambda);
  }
  const projected = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - mean[j]) * components[c][j];
      projected[i * k + c] = s;
    }
  }
  return { projected, variances };
}
