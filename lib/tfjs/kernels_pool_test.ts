/**
 * The max-pool kernels (the WebAssembly SIMD sweep, and the TypeScript branch-free 2×2 / stride 2
 * gradient) against the rule of the general sweep, on ties, NaN, ±∞ and all -∞ windows
 * (patches_test.ts checks the registered kernels against float64 references on random data).
 */
import { assertEquals } from "../testing/asserts.ts";
import {
  maxPoolBackward,
  maxPoolBackwardLoops,
  maxPoolForward,
  maxPoolForwardLoops,
  type PoolGeometry,
} from "./kernels_pool.ts";
import { selectSimdKernelsVariant } from "./simd_kernels.ts";
import { seededValues } from "./reference.ts";

/** The general rule: the first element strictly above all before it, starting from -∞. */
function expected(x: Float32Array, dy: Float32Array, g: PoolGeometry): Float32Array {
  const [n, , h, w, c] = g.inShape, [, oh, ow] = g.outSize;
  const dx = new Float32Array(x.length);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++, o++) {
          let at = -1, best = -Infinity;
          for (const [dy_, dx_] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            const i = ((b * h + 2 * oy + dy_) * w + 2 * ox + dx_) * c + ch;
            if (x[i] > best) [best, at] = [x[i], i];
          }
          if (at >= 0) dx[at] += dy[o];
        }
      }
    }
  }
  return dx;
}

Deno.test("max-pool gradient 2x2 stride 2 (branch-free path): ties, NaN, ±Infinity", () => {
  for (const [h, w] of [[4, 6], [5, 7]]) {
    const g: PoolGeometry = {
      inShape: [2, 1, h, w, 3],
      outSize: [1, Math.floor(h / 2), Math.floor(w / 2)],
      filter: [1, 2, 2],
      strides: [1, 2, 2],
      padBefore: [0, 0, 0],
    };
    const n = 2 * h * w * 3;
    // Rounded values give many ties; then specials in some windows, and one window all -∞.
    const x = Float32Array.from(seededValues(n, h), (v) => Math.round(v * 2) / 2);
    const specials = [NaN, Infinity, -Infinity, NaN, -Infinity];
    specials.forEach((v, k) => (x[(k * 13 + 5) % n] = v));
    for (const [dy_, dx_] of [[0, 0], [0, 1], [1, 0], [1, 1]]) x[(dy_ * w + dx_) * 3] = -Infinity;
    const dy = seededValues(2 * g.outSize[1] * g.outSize[2] * 3, h + 1);
    for (const backward of [maxPoolBackward, maxPoolBackwardLoops]) {
      const dx = new Float32Array(n);
      backward(x, dy, g, dx);
      assertEquals(Array.from(dx), Array.from(expected(x, dy, g)), `${h}x${w} ${backward.name}`);
    }
  }
});

Deno.test("max pooling: the SIMD sweep (both builds) equals the TypeScript sweep bit for bit", () => {
  const geometries: PoolGeometry[] = [
    // Xception's 3x3 / stride 2 / same (overlapping windows, padding), 13 channels (a lane tail).
    {
      inShape: [2, 1, 7, 8, 13],
      outSize: [1, 4, 4],
      filter: [1, 3, 3],
      strides: [1, 2, 2],
      padBefore: [0, 1, 1],
    },
    // 3-D 2x2x2 / stride 2, and an odd 3-D window with padding.
    {
      inShape: [2, 4, 6, 4, 8],
      outSize: [2, 3, 2],
      filter: [2, 2, 2],
      strides: [2, 2, 2],
      padBefore: [0, 0, 0],
    },
    {
      inShape: [1, 5, 4, 5, 3],
      outSize: [3, 2, 3],
      filter: [3, 2, 3],
      strides: [2, 2, 2],
      padBefore: [1, 0, 1],
    },
  ];
  for (const build of ["relaxed-simd", "simd"] as const) {
    selectSimdKernelsVariant(build);
    try {
      for (const [k, g] of geometries.entries()) {
        const n = g.inShape.reduce((a, b) => a * b, 1);
        const x = Float32Array.from(seededValues(n, 40 + k), (v) => Math.round(v * 4) / 4);
        [NaN, Infinity, -Infinity, NaN].forEach((v, j) => (x[(j * 29 + 7) % n] = v));
        for (let ch = 0; ch < g.inShape[4]; ch++) x[ch] = -Infinity; // corner windows' first taps
        const outCount = g.inShape[0] * g.outSize[0] * g.outSize[1] * g.outSize[2] * g.inShape[4];
        const dy = seededValues(outCount, 60 + k);
        const y = new Float32Array(outCount), yRef = new Float32Array(outCount);
        maxPoolForward(x, g, y);
        maxPoolForwardLoops(x, g, yRef);
        assertEquals(Array.from(y), Array.from(yRef), `${build} forward ${g.filter}`);
        const dx = new Float32Array(n), dxRef = new Float32Array(n);
        maxPoolBackward(x, dy, g, dx);
        maxPoolBackwardLoops(x, dy, g, dxRef);
        assertEquals(Array.from(dx), Array.from(dxRef), `${build} backward ${g.filter}`);
      }
    } finally {
      selectSimdKernelsVariant(null);
    }
  }
});
