import { assert, assertEquals, assertThrows } from "../../testing/asserts.ts";
import { Rng } from "../random.ts";
import {
  avgPool2dBackward,
  avgPool2dForward,
  col2im,
  conv2dBackward,
  conv2dForward,
  conv2dOutputSize,
  im2col,
  maxPool2dBackward,
  maxPool2dForward,
} from "./conv.ts";

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assertEquals(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol * Math.max(1, Math.abs(expected[i])))) {
      throw new Error(`${what}: index ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

type S4 = [number, number, number, number];

/** Direct float64 convolution (cross-correlation) with zero padding. */
function refConv(
  x: ArrayLike<number>,
  [n, c, h, w]: S4,
  wt: ArrayLike<number>,
  [o, , kh, kw]: S4,
  stride: number,
  pad: number,
): Float64Array {
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const y = new Float64Array(n * o * oh * ow);
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < o; f++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let s = 0;
          for (let ch = 0; ch < c; ch++) {
            for (let ki = 0; ki < kh; ki++) {
              for (let kj = 0; kj < kw; kj++) {
                const iy = i * stride - pad + ki, ix = j * stride - pad + kj;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                s += x[((b * c + ch) * h + iy) * w + ix] * wt[((f * c + ch) * kh + ki) * kw + kj];
              }
            }
          }
          y[((b * o + f) * oh + i) * ow + j] = s;
        }
      }
    }
  }
  return y;
}

/** Direct float64 gradients of refConv: dx is the transposed convolution of dy. */
function refConvBackward(
  x: ArrayLike<number>,
  [n, c, h, w]: S4,
  wt: ArrayLike<number>,
  [o, , kh, kw]: S4,
  dy: ArrayLike<number>,
  stride: number,
  pad: number,
): { dx: Float64Array; dw: Float64Array } {
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const dx = new Float64Array(n * c * h * w);
  const dw = new Float64Array(o * c * kh * kw);
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < o; f++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const g = dy[((b * o + f) * oh + i) * ow + j];
          for (let ch = 0; ch < c; ch++) {
            for (let ki = 0; ki < kh; ki++) {
              for (let kj = 0; kj < kw; kj++) {
                const iy = i * stride - pad + ki, ix = j * stride - pad + kj;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const xi = ((b * c + ch) * h + iy) * w + ix;
                const wi = ((f * c + ch) * kh + ki) * kw + kj;
                dx[xi] += g * wt[wi];
                dw[wi] += g * x[xi];
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw };
}

interface ConvCase {
  xShape: S4;
  wShape: S4;
  stride: number;
  pad: number;
}

function convCases(): ConvCase[] {
  const cases: ConvCase[] = [];
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      for (const pad of [0, 1, 2]) {
        for (const [n, c, o] of [[1, 1, 1], [2, 3, 4], [3, 2, 5]]) {
          const h = 7 + ((k + stride + pad + c) % 3); // 7..9, mixes odd/even sizes
          const w = 6 + ((k + pad + o) % 4);
          if (h + 2 * pad < k || w + 2 * pad < k) continue;
          cases.push({ xShape: [n, c, h, w], wShape: [o, c, k, k], stride, pad });
        }
      }
    }
  }
  // Non-square kernel and a 1x1-output case.
  cases.push({ xShape: [2, 2, 5, 6], wShape: [3, 2, 3, 1], stride: 1, pad: 1 });
  cases.push({ xShape: [2, 3, 5, 5], wShape: [4, 3, 5, 5], stride: 1, pad: 0 });
  // 28x28 images are processed 5 at a time: 7 images = a full and a partial group.
  cases.push({ xShape: [7, 2, 28, 28], wShape: [3, 2, 3, 3], stride: 1, pad: 1 });
  return cases;
}

Deno.test("conv2dOutputSize formula and errors", () => {
  assertEquals(conv2dOutputSize(28, 3, 1, 1), 28);
  assertEquals(conv2dOutputSize(28, 2, 2, 0), 14);
  assertEquals(conv2dOutputSize(7, 3, 2, 0), 3);
  assertEquals(conv2dOutputSize(1, 3, 1, 1), 1);
  assertThrows(() => conv2dOutputSize(2, 5, 1, 0), Error, [
    "conv2d",
    "input size 2",
    "kernel 5",
    "empty",
  ]);
  assertThrows(() => conv2dOutputSize(8, 3, 0, 0), Error, ["stride"]);
  assertThrows(() => conv2dOutputSize(8, 3, 1, -1), Error, ["pad"]);
});

Deno.test("im2col/col2im: layout and adjointness", () => {
  const rand = new Rng(11);
  // Layout: row (ch*kh+ki)*kw+kj, column img*oh*ow + oy*ow + ox.
  const [n, c, h, w, kh, kw, stride, pad] = [2, 2, 5, 4, 3, 2, 2, 1];
  const oh = conv2dOutputSize(h, kh, stride, pad);
  const ow = conv2dOutputSize(w, kw, stride, pad);
  const x = rand.uniformArray(n * c * h * w);
  const rows = c * kh * kw, cols = n * oh * ow;
  const col = new Float32Array(rows * cols).fill(NaN);
  im2col(x, n, c, h, w, kh, kw, stride, pad, col);
  for (let ch = 0; ch < c; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        for (let img = 0; img < n; img++) {
          for (let oy = 0; oy < oh; oy++) {
            for (let ox = 0; ox < ow; ox++) {
              const iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
              const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
              const expected = inside ? x[((img * c + ch) * h + iy) * w + ix] : 0;
              const got = col[((ch * kh + ki) * kw + kj) * cols + img * oh * ow + oy * ow + ox];
              assertEquals(got, expected);
            }
          }
        }
      }
    }
  }
  // <im2col(x), r> == <x, col2im(r)> for several geometries.
  for (const [k, s, p] of [[3, 1, 1], [5, 2, 2], [1, 1, 0], [3, 2, 0], [5, 1, 2]]) {
    const [nn, cc, hh, ww] = [2, 3, 6, 7];
    const o1 = conv2dOutputSize(hh, k, s, p), o2 = conv2dOutputSize(ww, k, s, p);
    const xx = rand.uniformArray(nn * cc * hh * ww);
    const cl = new Float32Array(cc * k * k * nn * o1 * o2);
    im2col(xx, nn, cc, hh, ww, k, k, s, p, cl);
    const r = rand.uniformArray(cl.length);
    const back = new Float32Array(xx.length);
    col2im(r, nn, cc, hh, ww, k, k, s, p, back);
    const lhs = dot(cl, r), rhs = dot(xx, back);
    assert(Math.abs(lhs - rhs) < 1e-4 * (1 + Math.abs(lhs)), `adjoint k=${k} s=${s} p=${p}`);
  }
  // col2im accumulates.
  const acc = new Float32Array(n * c * h * w).fill(1);
  col2im(new Float32Array(rows * cols), n, c, h, w, kh, kw, stride, pad, acc);
  assert(acc.every((v) => v === 1));
});

Deno.test("im2col handles kernels much larger than the input (padding-only rows)", () => {
  // h = 1, k = 5, pad = 2: most kernel rows lie entirely in the padding.
  const x = new Float32Array([1, 2, 3, 4, 5, 6]); // [2, 1, 1, 3]
  const col = new Float32Array(25 * 2 * 1 * 3).fill(NaN);
  im2col(x, 2, 1, 1, 3, 5, 5, 1, 2, col);
  assert(col.every((v) => !Number.isNaN(v)));
  const { y } = conv2dForward(x, [2, 1, 1, 3], new Float32Array(25).fill(1), [1, 1, 5, 5], 1, 2);
  assertEquals(Array.from(y), [6, 6, 6, 15, 15, 15]);
});

Deno.test("conv2dForward matches float64 reference", () => {
  const rand = new Rng(42);
  for (const { xShape, wShape, stride, pad } of convCases()) {
    const x = rand.uniformArray(xShape.reduce((a, b) => a * b));
    const w = rand.uniformArray(wShape.reduce((a, b) => a * b));
    const { y, yShape } = conv2dForward(x, xShape, w, wShape, stride, pad);
    const oh = conv2dOutputSize(xShape[2], wShape[2], stride, pad);
    const ow = conv2dOutputSize(xShape[3], wShape[3], stride, pad);
    assertEquals(yShape, [xShape[0], wShape[0], oh, ow]);
    const ref = refConv(x, xShape, w, wShape, stride, pad);
    assertClose(y, ref, 1e-5, `forward x${xShape} w${wShape} s${stride} p${pad}`);
  }
});

Deno.test("conv2dBackward matches float64 reference (transposed conv)", () => {
  const rand = new Rng(43);
  for (const { xShape, wShape, stride, pad } of convCases()) {
    const x = rand.uniformArray(xShape.reduce((a, b) => a * b));
    const w = rand.uniformArray(wShape.reduce((a, b) => a * b));
    const oh = conv2dOutputSize(xShape[2], wShape[2], stride, pad);
    const ow = conv2dOutputSize(xShape[3], wShape[3], stride, pad);
    const dy = rand.uniformArray(xShape[0] * wShape[0] * oh * ow);
    const { dx, dw } = conv2dBackward(x, xShape, w, wShape, dy, stride, pad);
    const ref = refConvBackward(x, xShape, w, wShape, dy, stride, pad);
    const what = `x${xShape} w${wShape} s${stride} p${pad}`;
    assert(dx !== null);
    assertClose(dx, ref.dx, 1e-5, `dx ${what}`);
    assertClose(dw, ref.dw, 2e-5, `dw ${what}`);
    const noDx = conv2dBackward(x, xShape, w, wShape, dy, stride, pad, false);
    assertEquals(noDx.dx, null);
    assertClose(noDx.dw, dw, 0, `dw (needDx=false) ${what}`);
  }
});

Deno.test("conv2dBackward matches a numerical directional derivative", () => {
  const rand = new Rng(44);
  const xShape: S4 = [2, 3, 6, 5];
  const wShape: S4 = [4, 3, 3, 3];
  for (const [stride, pad] of [[1, 1], [2, 0], [2, 2]]) {
    const x = rand.uniformArray(2 * 3 * 6 * 5);
    const w = rand.uniformArray(4 * 3 * 3 * 3);
    const { y } = conv2dForward(x, xShape, w, wShape, stride, pad);
    const r = rand.uniformArray(y.length); // loss L = <y, r>, so dL/dy = r
    const vx = rand.uniformArray(x.length);
    const vw = rand.uniformArray(w.length);
    const { dx, dw } = conv2dBackward(x, xShape, w, wShape, r, stride, pad);
    const eps = 1e-3;
    const loss = (xs: ArrayLike<number>, ws: ArrayLike<number>) =>
      dot(refConv(xs, xShape, ws, wShape, stride, pad), r);
    const xp = Float64Array.from(x, (v, i) => v + eps * vx[i]);
    const xm = Float64Array.from(x, (v, i) => v - eps * vx[i]);
    const numX = (loss(xp, w) - loss(xm, w)) / (2 * eps);
    const wp = Float64Array.from(w, (v, i) => v + eps * vw[i]);
    const wm = Float64Array.from(w, (v, i) => v - eps * vw[i]);
    const numW = (loss(x, wp) - loss(x, wm)) / (2 * eps);
    assert(dx !== null);
    const anX = dot(dx, vx), anW = dot(dw, vw);
    assert(Math.abs(anX - numX) < 1e-4 * (1 + Math.abs(numX)), `dx: ${anX} vs ${numX}`);
    assert(Math.abs(anW - numW) < 1e-4 * (1 + Math.abs(numW)), `dw: ${anW} vs ${numW}`);
  }
});

Deno.test("conv2d throws clear errors on bad input", () => {
  const x = new Float32Array(2 * 3 * 5 * 5);
  const w = new Float32Array(4 * 3 * 3 * 3);
  assertThrows(
    () => conv2dForward(x, [2, 3, 5, 5], new Float32Array(4 * 2 * 9), [4, 2, 3, 3], 1, 1),
    Error,
    ["conv2dForward", "3 channels", "[2, 3, 5, 5]", "[4, 2, 3, 3]"],
  );
  assertThrows(
    () => conv2dForward(x.subarray(1), [2, 3, 5, 5], w, [4, 3, 3, 3], 1, 1),
    Error,
    ["conv2dForward", "x has length 149", "[2, 3, 5, 5]"],
  );
  assertThrows(
    () => conv2dForward(x, [2, 3, 5, 5], w.subarray(1), [4, 3, 3, 3], 1, 1),
    Error,
    ["conv2dForward", "w has length"],
  );
  assertThrows(
    () => conv2dForward(x, [2, 3, 5, 5], new Float32Array(4 * 3 * 49), [4, 3, 7, 7], 1, 0),
    Error,
    ["conv2dForward", "[2, 3, 5, 5]", "[4, 3, 7, 7]", "empty"],
  );
  assertThrows(
    () => conv2dBackward(x, [2, 3, 5, 5], w, [4, 3, 3, 3], new Float32Array(3), 1, 1),
    Error,
    ["conv2dBackward", "dy has length 3", "[2, 4, 5, 5]"],
  );
  assertThrows(() => conv2dForward(x, [2, 3, 50], w, [4, 3, 3, 3], 1, 1), Error, ["xShape"]);
});

/** Float64 reference max pooling (padding is -Infinity). */
function refMaxPool(
  x: Float32Array,
  [n, c, h, w]: S4,
  k: number,
  stride: number,
  pad: number,
): { y: number[]; arg: number[] } {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const y: number[] = [], arg: number[] = [];
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let best = -Infinity, idx = -1;
        for (let ki = 0; ki < k; ki++) {
          for (let kj = 0; kj < k; kj++) {
            const iy = i * stride - pad + ki, ix = j * stride - pad + kj;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const at = (p * h + iy) * w + ix;
            if (idx < 0 || x[at] > best) {
              best = x[at];
              idx = at;
            }
          }
        }
        y.push(best);
        arg.push(idx);
      }
    }
  }
  return { y, arg };
}

Deno.test("maxPool2d forward/backward against reference, incl. all-negative windows", () => {
  const rand = new Rng(7);
  for (
    const [k, stride, pad] of [[2, 2, 0], [3, 2, 1], [3, 1, 1], [2, 1, 0], [3, 3, 0], [4, 2, 2]]
  ) {
    const xShape: S4 = [2, 3, 7, 6];
    // Strictly negative values: a 0 from padding would wrongly win.
    const x = Float32Array.from(rand.uniformArray(2 * 3 * 7 * 6), (v) => -1 - Math.abs(v));
    const { y, yShape, argmax } = maxPool2dForward(x, xShape, k, stride, pad);
    const ref = refMaxPool(x, xShape, k, stride, pad);
    assertEquals(Array.from(y), ref.y.map(Math.fround));
    assertEquals(Array.from(argmax), ref.arg);
    assertEquals(yShape, [
      2,
      3,
      conv2dOutputSize(7, k, stride, pad),
      conv2dOutputSize(6, k, stride, pad),
    ]);
    // Backward: scatter-add (overlapping windows accumulate).
    const dy = rand.uniformArray(y.length);
    const dx = maxPool2dBackward(dy, argmax, x.length);
    const expected = new Float64Array(x.length);
    ref.arg.forEach((a, i) => (expected[a] += dy[i]));
    assertClose(dx, expected, 1e-6, `maxpool backward k${k} s${stride} p${pad}`);
  }
});

Deno.test("maxPool2d 2x2 stride 2 (branch-free path): ties, mixed signs, ±Infinity", () => {
  const rand = new Rng(9);
  const xShape: S4 = [2, 3, 8, 7];
  // Few distinct values, so that ties are common; a few infinities of either sign.
  const x = Float32Array.from(
    rand.uniformArray(2 * 3 * 8 * 7),
    (v, i) => (i % 37 === 0 ? Infinity : i % 41 === 0 ? -Infinity : Math.round(v * 3)),
  );
  const { y, argmax } = maxPool2dForward(x, xShape, 2, 2, 0);
  const ref = refMaxPool(x, xShape, 2, 2, 0);
  assertEquals(Array.from(y), ref.y.map(Math.fround));
  assertEquals(Array.from(argmax), ref.arg);
});

Deno.test("maxPool2d: -Infinity inputs, ties and NaN", () => {
  const x = new Float32Array([-Infinity, -Infinity, -Infinity, -Infinity, 5, 5, 5, 5]);
  const r = maxPool2dForward(x, [1, 2, 2, 2], 2, 2);
  assertEquals(Array.from(r.y), [-Infinity, 5]);
  assertEquals(Array.from(r.argmax), [0, 4]); // first element on ties
  const withNaN = new Float32Array([1, NaN, 3, 2]);
  const rn = maxPool2dForward(withNaN, [1, 1, 2, 2], 2, 2);
  assert(Number.isNaN(rn.y[0]));
  assertEquals(Array.from(rn.argmax), [1]);
  assertThrows(() => maxPool2dForward(x, [1, 2, 2, 2], 2, 2, 2), Error, [
    "maxPool2dForward",
    "pad",
  ]);
  assertThrows(() => maxPool2dForward(x, [1, 2, 2, 3], 2, 2), Error, [
    "maxPool2dForward",
    "length 8",
  ]);
  assertThrows(() => maxPool2dForward(x, [1, 2, 2, 2], 3, 1), Error, ["maxPool2dForward", "empty"]);
  assertThrows(() => maxPool2dBackward(new Float32Array(3), r.argmax, 8), Error, [
    "maxPool2dBackward",
  ]);
});

Deno.test("avgPool2d (count_include_pad=false) forward/backward", () => {
  const rand = new Rng(8);
  // Hand-checked corner: 3x3 window, pad 1, top-left output averages 4 real values.
  const x4 = Float32Array.from({ length: 9 }, (_, i) => i + 1); // 3x3: 1..9
  const a = avgPool2dForward(x4, [1, 1, 3, 3], 3, 2, 1);
  assertEquals(a.yShape, [1, 1, 2, 2]);
  assertClose(a.y, [(1 + 2 + 4 + 5) / 4, (2 + 3 + 5 + 6) / 4, (4 + 5 + 7 + 8) / 4, 7], 1e-6, "avg");
  for (const [k, stride, pad] of [[2, 2, 0], [3, 2, 1], [3, 1, 1], [2, 1, 1]]) {
    const xShape: S4 = [2, 2, 6, 5];
    const x = rand.uniformArray(2 * 2 * 6 * 5);
    const { y, yShape } = avgPool2dForward(x, xShape, k, stride, pad);
    // Reference forward.
    const ref: number[] = [];
    for (let p = 0; p < 4; p++) {
      for (let i = 0; i < yShape[2]; i++) {
        for (let j = 0; j < yShape[3]; j++) {
          let s = 0, cnt = 0;
          for (let ki = 0; ki < k; ki++) {
            for (let kj = 0; kj < k; kj++) {
              const iy = i * stride - pad + ki, ix = j * stride - pad + kj;
              if (iy < 0 || iy >= 6 || ix < 0 || ix >= 5) continue;
              s += x[(p * 6 + iy) * 5 + ix];
              cnt++;
            }
          }
          ref.push(s / cnt);
        }
      }
    }
    assertClose(y, ref, 1e-6, `avgpool k${k} s${stride} p${pad}`);
    // Backward is the adjoint of forward: <avg(x), r> == <x, avgBack(r)>.
    const r = rand.uniformArray(y.length);
    const dx = avgPool2dBackward(r, xShape, k, stride, pad);
    assertEquals(dx.length, x.length);
    const lhs = dot(y, r), rhs = dot(x, dx);
    assert(Math.abs(lhs - rhs) < 1e-5 * (1 + Math.abs(lhs)), `adjoint ${lhs} vs ${rhs}`);
  }
  assertThrows(
    () => avgPool2dBackward(new Float32Array(5), [1, 1, 4, 4], 2, 2),
    Error,
    ["avgPool2dBackward", "dy has length 5"],
  );
});
