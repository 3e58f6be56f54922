/**
 * Independent float64 reference kernels for testing the patched wasm kernels.
 *
 * Written from the definitions (no tfjs helpers, padding computed here from TensorFlow's rules),
 * one direct loop per operation: a convolution visits every (output, filter tap, channel) triple
 * once, and its two gradients are the same visit accumulating into `dx` and `dw` instead of `y`.
 * 2-D cases are 3-D cases with depth 1.
 *
 * @module
 */
import { Rng } from "../autograd/random.ts";

/** Padding as tfjs accepts it for these ops. */
export type RefPad = "same" | "valid" | number;

const padOf = (pad: RefPad | RefPad[], axis: number): RefPad =>
  Array.isArray(pad) ? pad[axis] : pad;

/** Output size and leading pad of one spatial axis under TensorFlow's padding rules. */
export function axisGeometry(
  size: number,
  k: number,
  stride: number,
  dilation: number,
  pad: RefPad,
): { out: number; before: number } {
  const ek = (k - 1) * dilation + 1;
  if (pad === "same") {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + ek - size, 0);
    return { out, before: Math.floor(total / 2) };
  }
  if (pad === "valid") return { out: Math.ceil((size - ek + 1) / stride), before: 0 };
  return { out: Math.floor((size + 2 * pad - ek) / stride) + 1, before: pad };
}

/** A convolution problem: shapes are `NDHWC` / `[kd, kh, kw, Ci, Co]` (or `[.., Ci, m]`). */
export interface ConvProblem {
  /** `[N, D, H, W, Ci]`. */
  inShape: number[];
  /** `[kd, kh, kw, Ci, Co]`, or `[kd, kh, kw, Ci, m]` when depthwise. */
  filterShape: number[];
  /** `[sd, sh, sw]`. */
  strides: number[];
  /** `[dd, dh, dw]`. */
  dilations: number[];
  /** Padding rule for all axes, or one per spatial axis `[depth, height, width]`. */
  pad: RefPad | RefPad[];
  /** Depthwise: output channel `c*m + j` sees only input channel `c`. */
  depthwise?: boolean;
}

/** Output shape `[N, Do, Ho, Wo, Co]` of a convolution problem. */
export function convOutShape(p: ConvProblem): number[] {
  const [n] = p.inShape;
  const outs = [0, 1, 2].map((i) =>
    axisGeometry(p.inShape[i + 1], p.filterShape[i], p.strides[i], p.dilations[i], padOf(p.pad, i))
      .out
  );
  const co = p.depthwise ? p.inShape[4] * p.filterShape[4] : p.filterShape[4];
  return [n, ...outs, co];
}

/** Calls `visit(xi, wi, yi)` for every multiply of the convolution. */
function visitConv(p: ConvProblem, visit: (xi: number, wi: number, yi: number) => void): void {
  const [n, d, h, w, ci] = p.inShape;
  const [kd, kh, kw, , last] = p.filterShape;
  const g = [0, 1, 2].map((i) =>
    axisGeometry(p.inShape[i + 1], p.filterShape[i], p.strides[i], p.dilations[i], padOf(p.pad, i))
  );
  const [od, oh, ow] = g.map((a) => a.out);
  const co = p.depthwise ? ci * last : last;
  for (let b = 0; b < n; b++) {
    for (let oz = 0; oz < od; oz++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const yBase = (((b * od + oz) * oh + oy) * ow + ox) * co;
          for (let a = 0; a < kd; a++) {
            const z = oz * p.strides[0] + a * p.dilations[0] - g[0].before;
            if (z < 0 || z >= d) continue;
            for (let c = 0; c < kh; c++) {
              const y = oy * p.strides[1] + c * p.dilations[1] - g[1].before;
              if (y < 0 || y >= h) continue;
              for (let e = 0; e < kw; e++) {
                const x = ox * p.strides[2] + e * p.dilations[2] - g[2].before;
                if (x < 0 || x >= w) continue;
                const xBase = (((b * d + z) * h + y) * w + x) * ci;
                const tap = (a * kh + c) * kw + e;
                for (let i = 0; i < ci; i++) {
                  for (let j = 0; j < last; j++) {
                    const wi = (tap * ci + i) * last + j;
                    const yi = yBase + (p.depthwise ? i * last + j : j);
                    visit(xBase + i, wi, yi);
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Forward convolution `y = conv(x, w)`. */
export function convForwardRef(p: ConvProblem, x: ArrayLike<number>, w: ArrayLike<number>) {
  const y = new Float64Array(size(convOutShape(p)));
  visitConv(p, (xi, wi, yi) => {
    y[yi] += x[xi] * w[wi];
  });
  return y;
}

/** Input gradient `dx = ∂(Σ y·dy)/∂x`. */
export function convInputGradRef(p: ConvProblem, dy: ArrayLike<number>, w: ArrayLike<number>) {
  const dx = new Float64Array(size(p.inShape));
  visitConv(p, (xi, wi, yi) => {
    dx[xi] += dy[yi] * w[wi];
  });
  return dx;
}

/** Filter gradient `dw = ∂(Σ y·dy)/∂w`. */
export function convFilterGradRef(p: ConvProblem, x: ArrayLike<number>, dy: ArrayLike<number>) {
  const dw = new Float64Array(size(p.filterShape));
  visitConv(p, (xi, wi, yi) => {
    dw[wi] += x[xi] * dy[yi];
  });
  return dw;
}

/** A max-pooling problem over `NDHWC` data. */
export interface PoolProblem {
  /** `[N, D, H, W, C]`. */
  inShape: number[];
  /** `[kd, kh, kw]`. */
  filter: number[];
  /** `[sd, sh, sw]`. */
  strides: number[];
  /** Padding rule for all axes, or one per spatial axis `[depth, height, width]`. */
  pad: RefPad | RefPad[];
}

/** Output shape of a pooling problem. */
export function poolOutShape(p: PoolProblem): number[] {
  const outs = [0, 1, 2].map((i) =>
    axisGeometry(p.inShape[i + 1], p.filter[i], p.strides[i], 1, padOf(p.pad, i)).out
  );
  return [p.inShape[0], ...outs, p.inShape[4]];
}

/** For each output element, the flat input index of its window's first maximum. */
export function maxPoolArgmaxRef(p: PoolProblem, x: ArrayLike<number>): number[] {
  const [n, d, h, w, c] = p.inShape;
  const g = [0, 1, 2].map((i) =>
    axisGeometry(p.inShape[i + 1], p.filter[i], p.strides[i], 1, padOf(p.pad, i))
  );
  const [, od, oh, ow] = poolOutShape(p);
  const result: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let oz = 0; oz < od; oz++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ch = 0; ch < c; ch++) {
            const window: number[] = [];
            for (let a = 0; a < p.filter[0]; a++) {
              for (let e = 0; e < p.filter[1]; e++) {
                for (let f = 0; f < p.filter[2]; f++) {
                  const z = oz * p.strides[0] + a - g[0].before;
                  const y = oy * p.strides[1] + e - g[1].before;
                  const xx = ox * p.strides[2] + f - g[2].before;
                  if (z < 0 || z >= d || y < 0 || y >= h || xx < 0 || xx >= w) continue;
                  window.push((((b * d + z) * h + y) * w + xx) * c + ch);
                }
              }
            }
            result.push(window.reduce((best, i) => (x[i] > x[best] ? i : best), window[0]));
          }
        }
      }
    }
  }
  return result;
}

/** Max-pooling forward pass. */
export function maxPoolRef(p: PoolProblem, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(maxPoolArgmaxRef(p, x), (i) => x[i]);
}

/** Max-pooling gradient: each `dy` element goes to its window's first maximum. */
export function maxPoolGradRef(
  p: PoolProblem,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
): Float64Array {
  const dx = new Float64Array(size(p.inShape));
  maxPoolArgmaxRef(p, x).forEach((i, o) => {
    dx[i] += dy[o];
  });
  return dx;
}

/** `op(a) · op(b)` for row-major matrices, `op` optionally transposing. */
export function matMulRef(
  a: ArrayLike<number>,
  aShape: [number, number],
  b: ArrayLike<number>,
  bShape: [number, number],
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const [m, k] = transposeA ? [aShape[1], aShape[0]] : aShape;
  const n = transposeB ? bShape[0] : bShape[1];
  const at = (i: number, j: number) => (transposeA ? a[j * aShape[1] + i] : a[i * aShape[1] + j]);
  const bt = (i: number, j: number) => (transposeB ? b[j * bShape[1] + i] : b[i * bShape[1] + j]);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += at(i, t) * bt(t, j);
      out[i * n + j] = s;
    }
  }
  return out;
}

/**
 * Deterministic pseudo-random values in `[lo, hi)` (the library's seeded `Rng`), for test inputs.
 *
 * @param count how many values
 * @param seed any 32-bit integer
 */
export function seededValues(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  return new Rng(seed).uniformArray(count, lo, hi);
}
