// AssemblyScript source of lib/tfjs's WebAssembly SIMD kernels: convolution filter gradients and
// max pooling (../simd_kernels.ts loads it). Build: `deno task build:wasm` (writes
// ../simd_kernels_bin.ts).
//
// A filter gradient is a matrix product with a very long reduction: for a convolution with
// channels-last input x and output gradient dy,
//   dW[tap, ci, co] = Σ_p x[p + tap, ci] · dy[p, co]
// over every output position p (batch × depth × height × width) — tens of thousands of terms for
// only a few hundred outputs. XNNPACK, asked for it as a convolution, walks it as many short
// 32-channel taps; here the micro-kernel keeps a 4×8 tile of dW (4 (tap, ci) rows × 8 co) in eight
// f32x4 registers and streams the positions, reading x through a table of each position's base
// address (so strides, 2-D and 3-D convolutions are one loop) and a table of each row's offset
// (tap and channel). Positions are taken in chunks that fit the caches; each chunk's sums are added
// to dW in a fixed order, so results are deterministic.
//
// All addresses are byte addresses in the imported memory, set by the caller. x is zero-padded by
// the caller (padCopy) so that no tap reads outside it.

// a·b + c, fused (one rounding) where the build enables relaxed SIMD and the CPU has FMA.
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * Copies `src` [n, d, h, w, c] into `dst` [n, dp, hp, wp, cp] at offset (pd, ph, pw, 0), zeros
 * elsewhere (float32, dp ≥ pd + d, hp ≥ ph + h, wp ≥ pw + w, cp ≥ c).
 */
export function padCopy(src: usize, dst: usize, n: i32, d: i32, h: i32, w: i32, c: i32, dp: i32, hp: i32, wp: i32, cp: i32, pd: i32, ph: i32, pw: i32): void {
  memory.fill(dst, 0, <usize>n * dp * hp * wp * cp * 4);
  const rowBytes = <usize>w * c * 4;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < d; z++) {
      for (let y = 0; y < h; y++) {
        const s = src + (<usize>((b * d + z) * h + y) * w * c << 2);
        const o = dst + (<usize>(((b * dp + z + pd) * hp + y + ph) * wp + pw) * cp << 2);
        if (cp == c) {
          memory.copy(o, s, rowBytes);
        } else {
          for (let x = 0; x < w; x++) {
            memory.copy(o + (<usize>x * cp << 2), s + (<usize>x * c << 2), <usize>c << 2);
          }
        }
      }
    }
  }
}

/**
 * Writes at `pos` the byte offset in x (padded [n, dp, hp, wp, cp]) of every output position
 * (b, z, y, x) of an [n, od, oh, ow] output with strides (sd, sh, sw): one i32 per position.
 */
export function positions(pos: usize, n: i32, od: i32, oh: i32, ow: i32, dp: i32, hp: i32, wp: i32, cp: i32, sd: i32, sh: i32, sw: i32): void {
  let o = pos;
  const step = sw * cp * 4;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < od; z++) {
      for (let y = 0; y < oh; y++) {
        let at = (((b * dp + z * sd) * hp + y * sh) * wp) * cp * 4;
        for (let x = 0; x < ow; x++) {
          store<i32>(o, at);
          o += 4;
          at += step;
        }
      }
    }
  }
}

/**
 * dW[r, co] for rows r = (tap, ci) in [r0, r1) (multiples of 4): `out` [rows, fp] (fp a multiple
 * of 8) = Σ_p x[pos[p] + rowOff[r]] · dy[p, co], with dy [count, fp] and `rowOff` byte offsets
 * (one i32 per row). Positions are summed in chunks of `chunk`. Each row's sums are formed in the
 * same order whatever [r0, r1) is, so threads that split the rows produce the bits one thread does.
 */
export function filterGradRows(x: usize, dy: usize, pos: usize, rowOff: usize, out: usize, count: i32, fp: i32, chunk: i32, r0: i32, r1: i32): void {
  const dyRow = <usize>fp << 2;
  memory.fill(out + <usize>r0 * dyRow, 0, <usize>(r1 - r0) * dyRow);
  for (let p0 = 0; p0 < count; p0 += chunk) {
    const p1 = min(count, p0 + chunk);
    for (let r = r0; r < r1; r += 4) {
      const ro = rowOff + (<usize>r << 2);
      const o0 = <usize>load<i32>(ro), o1 = <usize>load<i32>(ro, 4);
      const o2 = <usize>load<i32>(ro, 8), o3 = <usize>load<i32>(ro, 12);
      for (let cb = 0; cb < fp; cb += 8) {
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
        let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
        let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
        let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
        let d = dy + <usize>p0 * dyRow + (<usize>cb << 2);
        let pp = pos + (<usize>p0 << 2);
        const pEnd = pos + (<usize>p1 << 2);
        while (pp < pEnd) {
          const base = x + <usize>load<i32>(pp);
          const d0 = v128.load(d), d1 = v128.load(d, 16);
          let a = v128.load32_splat(base + o0);
          c00 = madd(a, d0, c00);
          c01 = madd(a, d1, c01);
          a = v128.load32_splat(base + o1);
          c10 = madd(a, d0, c10);
          c11 = madd(a, d1, c11);
          a = v128.load32_splat(base + o2);
          c20 = madd(a, d0, c20);
          c21 = madd(a, d1, c21);
          a = v128.load32_splat(base + o3);
          c30 = madd(a, d0, c30);
          c31 = madd(a, d1, c31);
          pp += 4;
          d += dyRow;
        }
        const t0 = out + ((<usize>r * fp + cb) << 2);
        const t1 = t0 + dyRow, t2 = t1 + dyRow, t3 = t2 + dyRow;
        v128.store(t0, f32x4.add(v128.load(t0), c00));
        v128.store(t0, f32x4.add(v128.load(t0, 16), c01), 16);
        v128.store(t1, f32x4.add(v128.load(t1), c10));
        v128.store(t1, f32x4.add(v128.load(t1, 16), c11), 16);
        v128.store(t2, f32x4.add(v128.load(t2), c20));
        v128.store(t2, f32x4.add(v128.load(t2, 16), c21), 16);
        v128.store(t3, f32x4.add(v128.load(t3), c30));
        v128.store(t3, f32x4.add(v128.load(t3, 16), c31), 16);
      }
    }
  }
}

/**
 * Depthwise filter gradient (one filter per channel) for channels [c0, c1) (multiples of 8):
 * `out` [taps, cp] (cp a multiple of 8) = Σ_p x[pos[p] + tapOff[t] + 4·c] · dy[p, c], with dy
 * [count, cp] and `tapOff` byte offsets (one i32 per tap). Positions are summed in chunks of
 * `chunk`, in the same order whatever [c0, c1) is.
 */
export function depthwiseFilterGradChannels(x: usize, dy: usize, pos: usize, tapOff: usize, out: usize, count: i32, taps: i32, cp: i32, chunk: i32, c0: i32, c1: i32): void {
  const dyRow = <usize>cp << 2;
  for (let t = 0; t < taps; t++) memory.fill(out + <usize>t * dyRow + (<usize>c0 << 2), 0, <usize>(c1 - c0) << 2);
  for (let p0 = 0; p0 < count; p0 += chunk) {
    const p1 = min(count, p0 + chunk);
    for (let cb = c0; cb < c1; cb += 8) {
      const cOff = <usize>cb << 2;
      for (let t = 0; t < taps; t++) {
        const to = <usize>load<i32>(tapOff + (<usize>t << 2)) + cOff;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        let d = dy + <usize>p0 * dyRow + cOff;
        let pp = pos + (<usize>p0 << 2);
        const pEnd = pos + (<usize>p1 << 2);
        while (pp < pEnd) {
          const base = x + <usize>load<i32>(pp) + to;
          a0 = madd(v128.load(base), v128.load(d), a0);
          a1 = madd(v128.load(base, 16), v128.load(d, 16), a1);
          pp += 4;
          d += dyRow;
        }
        const o = out + ((<usize>t * cp) << 2) + cOff;
        v128.store(o, f32x4.add(v128.load(o), a0));
        v128.store(o, f32x4.add(v128.load(o, 16), a1), 16);
      }
    }
  }
}

/**
 * Max pooling over an NDHWC float32 input x [n, d, h, w, c] with windows [kd, kh, kw], strides
 * [sd, sh, sw] and leading padding [pf, pt, pl] (padded positions never win): writes each window's
 * maximum to y (when y ≠ 0) and the flat input index of its first maximum in window order to arg
 * (i32, -1 when no element beats -∞; when arg ≠ 0), both [n, od, oh, ow, c]. Four channels at a
 * time: a lane takes a new value only where it is greater (so NaN never wins), the rule of the
 * TypeScript sweep in ../kernels_pool.ts.
 */
export function maxPool(x: usize, y: usize, arg: usize, n: i32, d: i32, h: i32, w: i32, c: i32, od: i32, oh: i32, ow: i32, kd: i32, kh: i32, kw: i32, sd: i32, sh: i32, sw: i32, pf: i32, pt: i32, pl: i32): void {
  const c4 = c & ~3;
  const lanes = i32x4(0, 1, 2, 3);
  const minusInf = f32x4.splat(-Infinity);
  const none = i32x4.splat(-1);
  let o: usize = 0;
  for (let b = 0; b < n; b++) {
    for (let oz = 0; oz < od; oz++) {
      const z0 = oz * sd - pf;
      const za = max(z0, 0), zb = min(z0 + kd, d);
      for (let oy = 0; oy < oh; oy++) {
        const y0 = oy * sh - pt;
        const ya = max(y0, 0), yb = min(y0 + kh, h);
        for (let ox = 0; ox < ow; ox++) {
          const x0 = ox * sw - pl;
          const xa = max(x0, 0), xb = min(x0 + kw, w);
          for (let cb = 0; cb < c4; cb += 4) {
            let best = minusInf, idx = none;
            for (let z = za; z < zb; z++) {
              for (let yy = ya; yy < yb; yy++) {
                for (let xx = xa; xx < xb; xx++) {
                  const i = (((b * d + z) * h + yy) * w + xx) * c + cb;
                  const v = v128.load(x + (<usize>i << 2));
                  const m = f32x4.gt(v, best);
                  best = v128.bitselect(v, best, m);
                  idx = v128.bitselect(i32x4.add(i32x4.splat(i), lanes), idx, m);
                }
              }
            }
            const at = (o + <usize>cb) << 2;
            if (y) v128.store(y + at, best);
            if (arg) v128.store(arg + at, idx);
          }
          for (let ch = c4; ch < c; ch++) {
            let best: f32 = -Infinity, idx: i32 = -1;
            for (let z = za; z < zb; z++) {
              for (let yy = ya; yy < yb; yy++) {
                for (let xx = xa; xx < xb; xx++) {
                  const i = (((b * d + z) * h + yy) * w + xx) * c + ch;
                  const v = load<f32>(x + (<usize>i << 2));
                  if (v > best) {
                    best = v;
                    idx = i;
                  }
                }
              }
            }
            const at = (o + <usize>ch) << 2;
            if (y) store<f32>(y + at, best);
            if (arg) store<i32>(arg + at, idx);
          }
          o += <usize>c;
        }
      }
    }
  }
}

/** dx (count floats, zeroed here) += dy routed by arg: dx[arg[i]] += dy[i] in order of i (arg -1: none). */
export function scatterAdd(dx: usize, dxCount: i32, dy: usize, arg: usize, count: i32): void {
  memory.fill(dx, 0, <usize>dxCount << 2);
  for (let i = 0; i < count; i++) {
    const j = load<i32>(arg + (<usize>i << 2));
    if (j >= 0) {
      const at = dx + (<usize>j << 2);
      store<f32>(at, load<f32>(at) + load<f32>(dy + (<usize>i << 2)));
    }
  }
}

/**
 * Gathers the kd depth taps of a 3-D convolution into channels: src [n, dp, plane, c] (depth
 * already padded; plane = H·W) → dst [n, od, plane, kd, c] with
 * dst[b, z, p, kz, ch] = src[b, z·sd + kz·dd, p, ch]. A 3-D convolution of src is then one 2-D
 * convolution of dst (kd·c input channels) by the filter with its depth taps moved beside its input
 * channels.
 */
export function depthGather(src: usize, dst: usize, n: i32, dp: i32, plane: i32, c: i32, od: i32, kd: i32, sd: i32, dd: i32): void {
  const row = <usize>kd * c << 2;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < od; z++) {
      const out = dst + (<usize>(b * od + z) * plane * row);
      for (let kz = 0; kz < kd; kz++) {
        let s = src + (<usize>((b * dp + z * sd + kz * dd) * plane * c) << 2);
        let o = out + (<usize>(kz * c) << 2);
        if (c == 1) {
          for (let p = 0; p < plane; p++) {
            store<f32>(o, load<f32>(s));
            s += 4;
            o += row;
          }
        } else if ((c & 3) == 0) {
          for (let p = 0; p < plane; p++) {
            for (let ch = 0; ch < c; ch += 4) v128.store(o + (<usize>ch << 2), v128.load(s + (<usize>ch << 2)));
            s += <usize>c << 2;
            o += row;
          }
        } else {
          for (let p = 0; p < plane; p++) {
            for (let ch = 0; ch < c; ch++) store<f32>(o + (<usize>ch << 2), load<f32>(s + (<usize>ch << 2)));
            s += <usize>c << 2;
            o += row;
          }
        }
      }
    }
  }
}
