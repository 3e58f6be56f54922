/**
 * The branch-free 2×2 / stride 2 max-pool gradient against the rule of the general sweep, on
 * ties, NaN, ±∞ and all -∞ windows (patches_test.ts checks both paths against float64
 * references on random data).
 */
import { assertEquals } from "../testing/asserts.ts";
import { maxPoolBackward, type PoolGeometry } from "./kernels_pool.ts";
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
    const dx = new Float32Array(n);
    maxPoolBackward(x, dy, g, dx);
    assertEquals(Array.from(dx), Array.from(expected(x, dy, g)), `${h}x${w}`);
  }
});
