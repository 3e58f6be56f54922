// AssemblyScript source of the WebAssembly fast path of the convolution's data movement
// (../conv_wasm.ts calls it; built into the same module as gemm.ts by `deno task build:wasm`).
// The loops are the ones ../conv.ts teaches — im2col, col2im and the regrouping of a group's GEMM
// output into NCHW — so that a convolution's columns never leave WebAssembly memory: the input is
// copied in once, unrolled here, multiplied by gemm, and only the result is copied out. Pure copies
// and additions: the results are bit-identical to the TypeScript kernels.
//
// All pointers are byte addresses of float32 arrays in the module's memory, laid out as in
// ../conv.ts.

// Copies `count` floats from `src` to `dst` (the ranges do not overlap), four at a time.
// @ts-ignore: decorator
@inline
function copyFloats(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// Sets `count` floats at `dst` to 0.
// @ts-ignore: decorator
@inline
function zeroFloats(dst: usize, count: i32): void {
  if (count > 0) memory.fill(dst, 0, <usize>count << 2);
}

// dst[i] += src[i] for `count` floats, four at a time.
// @ts-ignore: decorator
@inline
function addFloats(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const d = dst + (<usize>i << 2);
    v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>i << 2))));
  }
  for (; i < count; i++) {
    const d = dst + (<usize>i << 2);
    store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>i << 2)));
  }
}

// First output index whose window position o*stride - pad + kOff is >= 0.
function firstValid(kOff: i32, stride: i32, pad: i32): i32 {
  const d = pad - kOff;
  return d <= 0 ? 0 : (d + stride - 1) / stride;
}

// One past the last output index whose window position is < size.
function lastValid(kOff: i32, stride: i32, pad: i32, size: i32, out: i32): i32 {
  const d = size - 1 + pad - kOff;
  if (d < 0) return 0;
  return min(out, d / stride + 1);
}

/**
 * `im2col` of ../conv.ts: the receptive fields of `n` NCHW images at `x` as columns at `out`, for
 * the input channels [c0, c1) (their rows of the columns; threads split the channels).
 */
export function im2col(x: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, stride: i32, pad: i32, oh: i32, ow: i32, out: usize, c0: i32, c1: i32): void {
  const plane = oh * ow;
  const cols = n * plane;
  let row = c0 * kh * kw;
  for (let ch = c0; ch < c1; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      const oyLo = min(oh, firstValid(ki, stride, pad));
      const oyHi = max(oyLo, lastValid(ki, stride, pad, h, oh));
      for (let kj = 0; kj < kw; kj++, row++) {
        const oxLo = min(ow, firstValid(kj, stride, pad));
        const oxHi = max(oxLo, lastValid(kj, stride, pad, w, ow));
        for (let img = 0; img < n; img++) {
          const base = out + ((<usize>row * cols + <usize>img * plane) << 2);
          const xPlane = x + ((<usize>(img * c + ch) * h * w) << 2);
          zeroFloats(base, oyLo * ow);
          zeroFloats(base + (<usize>(oyHi * ow) << 2), (oh - oyHi) * ow);
          for (let oy = oyLo; oy < oyHi; oy++) {
            const o = base + (<usize>(oy * ow) << 2);
            const iy = oy * stride - pad + ki;
            const src = xPlane + (<usize>(iy * w + oxLo * stride - pad + kj) << 2);
            for (let ox = 0; ox < oxLo; ox++) store<f32>(o + (<usize>ox << 2), 0);
            if (stride == 1) {
              copyFloats(o + (<usize>oxLo << 2), src, oxHi - oxLo);
            } else {
              for (let ox = oxLo, s = src; ox < oxHi; ox++, s += <usize>stride << 2) {
                store<f32>(o + (<usize>ox << 2), load<f32>(s));
              }
            }
            for (let ox = oxHi; ox < ow; ox++) store<f32>(o + (<usize>ox << 2), 0);
          }
        }
      }
    }
  }
}

/**
 * `col2im` of ../conv.ts: adds every column entry at `col` back onto the NCHW images at `dx`, for
 * the input channels [c0, c1) (each channel's rows land on its own planes only).
 */
export function col2im(col: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, stride: i32, pad: i32, oh: i32, ow: i32, dx: usize, c0: i32, c1: i32): void {
  const plane = oh * ow;
  const cols = n * plane;
  let row = c0 * kh * kw;
  for (let ch = c0; ch < c1; ch++) {
    for (let ki = 0; ki < kh; ki++) {
      const oyLo = min(oh, firstValid(ki, stride, pad));
      const oyHi = max(oyLo, lastValid(ki, stride, pad, h, oh));
      for (let kj = 0; kj < kw; kj++, row++) {
        const oxLo = min(ow, firstValid(kj, stride, pad));
        const oxHi = max(oxLo, lastValid(kj, stride, pad, w, ow));
        for (let img = 0; img < n; img++) {
          const base = col + ((<usize>row * cols + <usize>img * plane) << 2);
          const xPlane = dx + ((<usize>(img * c + ch) * h * w) << 2);
          for (let oy = oyLo; oy < oyHi; oy++) {
            const o = base + (<usize>(oy * ow) << 2);
            const iy = oy * stride - pad + ki;
            const dst = xPlane + (<usize>(iy * w + oxLo * stride - pad + kj) << 2);
            if (stride == 1) {
              addFloats(dst, o + (<usize>oxLo << 2), oxHi - oxLo);
            } else {
              for (let ox = oxLo, d = dst; ox < oxHi; ox++, d += <usize>stride << 2) {
                store<f32>(d, load<f32>(d) + load<f32>(o + (<usize>ox << 2)));
              }
            }
          }
        }
      }
    }
  }
}

/**
 * `groupToNchw` of ../conv.ts: `src[o, gs*plane]` → `dst[(img*o + f)*plane + p]`, adding
 * `bias[f]` on the way when `bias` is not 0 (one pass over the output instead of two).
 */
export function groupToNchw(src: usize, o: i32, gs: i32, plane: i32, dst: usize, bias: usize): void {
  const cols = gs * plane;
  const vec = plane & ~3;
  for (let f = 0; f < o; f++) {
    for (let img = 0; img < gs; img++) {
      const d = dst + (<usize>((img * o + f) * plane) << 2), s = src + (<usize>(f * cols + img * plane) << 2);
      if (bias == 0) {
        copyFloats(d, s, plane);
        continue;
      }
      const b = load<f32>(bias + (<usize>f << 2));
      const bV = f32x4.splat(b);
      let i = 0;
      for (; i < vec; i += 4) v128.store(d + (<usize>i << 2), f32x4.add(v128.load(s + (<usize>i << 2)), bV));
      for (; i < plane; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)) + b);
    }
  }
}

/** `nchwToGroup` of ../conv.ts: NCHW `src` → `dst[o, gs*plane]`. */
export function nchwToGroup(src: usize, o: i32, gs: i32, plane: i32, dst: usize): void {
  const cols = gs * plane;
  for (let f = 0; f < o; f++) {
    for (let img = 0; img < gs; img++) {
      copyFloats(dst + (<usize>(f * cols + img * plane) << 2), src + (<usize>((img * o + f) * plane) << 2), plane);
    }
  }
}

/** Adds `bias[f]` to every element of channel f of the NCHW array `y` ([n, o, plane]). */
export function addBias(y: usize, n: i32, o: i32, plane: i32, bias: usize): void {
  const vec = plane & ~3;
  for (let img = 0; img < n; img++) {
    for (let f = 0; f < o; f++) {
      const b = load<f32>(bias + (<usize>f << 2));
      const bV = f32x4.splat(b);
      const p = y + (<usize>((img * o + f) * plane) << 2);
      let i = 0;
      for (; i < vec; i += 4) v128.store(p + (<usize>i << 2), f32x4.add(v128.load(p + (<usize>i << 2)), bV));
      for (; i < plane; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) + b);
    }
  }
}

/**
 * The bias gradient: `db[f] = Σ_img Σ_p dy[img, f, p]`, each image's plane summed (four lanes in
 * float32, then in float64) and added to `db[f]` in float32, image by image, as ../conv.ts does.
 */
export function biasGradient(dy: usize, n: i32, o: i32, plane: i32, db: usize): void {
  const vec = plane & ~3;
  for (let f = 0; f < o; f++) store<f32>(db + (<usize>f << 2), 0);
  for (let img = 0; img < n; img++) {
    for (let f = 0; f < o; f++) {
      const p = dy + (<usize>((img * o + f) * plane) << 2);
      let acc = f32x4.splat(0);
      let i = 0;
      for (; i < vec; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
      let sum: f64 = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
        (<f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3));
      for (; i < plane; i++) sum += <f64>load<f32>(p + (<usize>i << 2));
      const d = db + (<usize>f << 2);
      store<f32>(d, <f32>(<f64>load<f32>(d) + sum));
    }
  }
}
