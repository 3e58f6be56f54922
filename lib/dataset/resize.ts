/**
 * The dataset's resize, in plain TypeScript: what sharp (libvips) does for
 * `resize(size, size, { fit: "cover" | "contain", position: "centre" })` with its default
 * Lanczos-3 kernel, re-implemented so that a page in a browser (the classifier demo) prepares a
 * photo the way `lib/dataset` and `deno task predict` do, with no native code.
 *
 * The steps (sharp 0.35 / libvips 8.18, found by reading sharp's pipeline and comparing outputs):
 * 1. one shrink factor for both axes (`cover`: the smaller of width/size and height/size, so the
 *    image covers the square; `contain`: the larger, so it fits inside);
 * 2. for a JPEG, libjpeg's shrink-on-load (decode at 1/2, 1/4 or 1/8) — emulated by a box average
 *    of the full decode, the least exact step;
 * 3. per axis, vertical first: an integer box shrink that leaves a factor of 2 to 4 to the kernel
 *    (libvips' `gap`), then Lanczos-3 with libvips' 12-bit fixed-point coefficients, its 1/64-pixel
 *    phase table and repeated edge pixels; enlarging uses Catmull-Rom bicubic interpolation;
 * 4. the EXIF orientation applied (sharp resizes a photo as stored, then turns it upright);
 * 5. centre crop (`cover`) or centred on black (`contain`).
 *
 * Measured against sharp (`resize_test.ts`, 2026-11-29): downsizing a PNG, every byte within 2
 * grey levels (mean 0.05-0.6), and the same for enlarging one smaller than the square; a JPEG
 * within 16 (mean under 2; the shrink-on-load). libvips' exact intermediate rounding is not
 * reproduced: depending on the size, 5% to 70% of the bytes differ, by 1 or 2 levels. A 12-megapixel
 * photo takes about 0.3 s.
 *
 * Written here because no browser library reproduces libvips' resize; the canvas's own resampling,
 * which the classifier demo used before, is a different filter (not measured against sharp).
 *
 * @module
 */

/** An interleaved 8-bit image. */
export interface PixelImage {
  /** `height · width · channels` bytes, row-major. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Channels per pixel (3 for RGB). */
  channels: number;
}

/** Options of {@link fitSquare}. */
export interface FitOptions {
  /** `cover`: fill the square and cut the centre; `contain`: fit inside, black borders. */
  fit: "cover" | "contain";
  /** The source was a JPEG: emulate sharp's shrink-on-load (default false). */
  jpeg?: boolean;
  /**
   * The image is given as stored, with this EXIF orientation (1-8, default 1): like sharp's
   * `rotate()`, it is resized as stored and turned upright before the crop or padding.
   */
  orientation?: number;
}

/** Fixed-point precision of libvips' interpolation coefficients (12 bits). */
const COEFF_SHIFT = 12;
const COEFF_SCALE = 1 << COEFF_SHIFT;
/** libvips precomputes the kernel at 1/64-pixel phases. */
const PHASES = 64;

/**
 * The image resized into a `size × size` square as sharp's `resize(size, size, { fit })` does
 * (Lanczos-3), centre-cropped or centred on black.
 */
export function fitSquare(image: PixelImage, size: number, options: FitOptions): PixelImage {
  checkImage(image);
  if (!(Number.isInteger(size) && size > 0)) throw new Error(`fitSquare: bad size ${size}`);
  let img = image;
  const pick = (h: number, v: number) => options.fit === "cover" ? Math.min(h, v) : Math.max(h, v);
  let shrink = pick(img.width / size, img.height / size);
  if (options.jpeg) {
    // sharp: shrink-on-load by 8, 4 or 2 when the shrink allows, one step less when the shrink
    // is exactly that integer (libjpeg rounding).
    let onLoad = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1;
    if (onLoad > 1 && Math.trunc(shrink) === onLoad) onLoad /= 2;
    if (onLoad > 1) {
      // libvips keeps floor(size / shrink) pixels of libjpeg's scaled decode.
      img = cropTo(
        boxShrink(img, onLoad, onLoad),
        Math.max(1, Math.floor(image.width / onLoad)),
        Math.max(1, Math.floor(image.height / onLoad)),
      );
      shrink = pick(img.width / size, img.height / size);
    }
  }
  if (shrink !== 1) img = resize(img, 1 / shrink, 1 / shrink);
  img = orient(img, options.orientation ?? 1);
  return options.fit === "cover" ? cropCentre(img, size) : embedCentre(img, size);
}

/**
 * The image as displayed for an EXIF orientation (1-8): 2 mirrors, 3 turns by 180°, 4 flips, 5
 * transposes, 6 turns 90° clockwise, 7 transverses, 8 turns 90° anticlockwise (what sharp's
 * `rotate()` does).
 */
export function orient(img: PixelImage, orientation: number): PixelImage {
  if (orientation === 1) return img;
  if (!(Number.isInteger(orientation) && orientation >= 2 && orientation <= 8)) {
    throw new Error(`EXIF orientation must be 1-8, got ${orientation}`);
  }
  const { width: w, height: h, channels: c, data } = img;
  const swap = orientation >= 5;
  const outW = swap ? h : w, outH = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      // The stored pixel shown at (x, y).
      const [sx, sy] = orientation === 2
        ? [w - 1 - x, y]
        : orientation === 3
        ? [w - 1 - x, h - 1 - y]
        : orientation === 4
        ? [x, h - 1 - y]
        : orientation === 5
        ? [y, x]
        : orientation === 6
        ? [y, h - 1 - x]
        : orientation === 7
        ? [w - 1 - y, h - 1 - x]
        : [w - 1 - y, x];
      const from = (sy * w + sx) * c, to = (y * outW + x) * c;
      for (let k = 0; k < c; k++) out[to + k] = data[from + k];
    }
  }
  return { data: out, width: outW, height: outH, channels: c };
}

/** The stored image back from its displayed form: the inverse of {@link orient}. */
export function unorient(img: PixelImage, orientation: number): PixelImage {
  return orient(img, orientation === 6 ? 8 : orientation === 8 ? 6 : orientation);
}

function checkImage(img: PixelImage): void {
  if (
    img.data.length !== img.width * img.height * img.channels || img.width < 1 || img.height < 1
  ) {
    throw new Error(
      `not a ${img.width}x${img.height}x${img.channels} image: ${img.data.length} bytes`,
    );
  }
}

/**
 * libvips' `resize` by `hscale × vscale`: an axis that shrinks gets an integer box shrink and
 * Lanczos-3 (vertical first); an axis that grows gets bicubic interpolation.
 */
export function resize(img: PixelImage, hscale: number, vscale: number): PixelImage {
  if (vscale < 1) img = reduceAxis(img, 1 / vscale, "v");
  if (hscale < 1) img = reduceAxis(img, 1 / hscale, "h");
  if (vscale > 1) img = enlargeAxis(img, vscale, "v");
  if (hscale > 1) img = enlargeAxis(img, hscale, "h");
  return img;
}

/**
 * One axis reduced by `shrink` (> 1) to `round(length / shrink)` pixels: first a box shrink by
 * the integer part that leaves at least 2 to the kernel (libvips' `gap`), then Lanczos-3. The
 * offset that centres the output is computed on the original length.
 */
function reduceAxis(img: PixelImage, shrink: number, axis: "h" | "v"): PixelImage {
  const inLen = axis === "h" ? img.width : img.height;
  const outLen = Math.max(1, Math.round(inLen / shrink));
  let extra = outLen * shrink - inLen;
  const box = Math.max(1, Math.floor(inLen / outLen / 2));
  if (box > 1) {
    img = shrinkAxis(img, box, axis);
    shrink /= box;
    extra /= box;
  }
  return lanczosAxis(img, shrink, axis, outLen, extra);
}

/** Box average over `h × v` blocks, vertical then horizontal (see {@link shrinkAxis}). */
export function boxShrink(img: PixelImage, h: number, v: number): PixelImage {
  if (v > 1) img = shrinkAxis(img, v, "v");
  if (h > 1) img = shrinkAxis(img, h, "h");
  return img;
}

/**
 * Mean of each run of `factor` pixels along one axis, rounded to the nearest integer; the output
 * length is rounded up, the missing pixels of the last run repeat the edge (libvips `shrink`
 * with `ceil`).
 */
function shrinkAxis(img: PixelImage, factor: number, axis: "h" | "v"): PixelImage {
  const { width, height, channels: c, data } = img;
  const outW = axis === "h" ? Math.ceil(width / factor) : width;
  const outH = axis === "v" ? Math.ceil(height / factor) : height;
  const out = new Uint8Array(outW * outH * c);
  const half = Math.floor(factor / 2);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let i = 0; i < factor; i++) {
          const sx = axis === "h" ? Math.min(x * factor + i, width - 1) : x;
          const sy = axis === "v" ? Math.min(y * factor + i, height - 1) : y;
          sum += data[(sy * width + sx) * c + k];
        }
        out[(y * outW + x) * c + k] = Math.floor((sum + half) / factor);
      }
    }
  }
  return { data: out, width: outW, height: outH, channels: c };
}

function lanczos3(x: number): number {
  if (x === 0) return 1;
  if (x < -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
}

/** Rounds float coefficients to integers summing to round(sum · scale), as libvips does. */
export function toFixedPoint(coeffs: number[], scale = COEFF_SCALE): number[] {
  const n = coeffs.length;
  const target = Math.round(coeffs.reduce((a, b) => a + b, 0) * scale);
  let high = scale + Math.floor((n + 1) / 2);
  let low = scale - Math.floor((n + 1) / 2);
  let out: number[] = [];
  let sum = 0;
  do {
    const guess = (high + low) / 2;
    out = coeffs.map((c) => rint(c * guess));
    sum = out.reduce((a, b) => a + b, 0);
    if (sum === target) break;
    if (sum < target) low = guess;
    else high = guess;
  } while (high - low > 0.01);
  if (sum !== target) {
    const each = Math.trunc((target - sum) / n);
    const extra = (target - sum) % n;
    const dir = extra > 0 ? 1 : -1;
    for (let i = 0; i < n; i++) out[i] += each;
    for (let i = 0; i < Math.abs(extra); i++) out[i] += dir;
  }
  return out;
}

/** C's rint: round half to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The Lanczos-3 coefficients at each of the 65 phases, for a reduction by `shrink`. */
function kernelTable(shrink: number): { points: number; table: Int32Array[] } {
  const points = 2 * rint(3 * shrink) + 1;
  const table: Int32Array[] = [];
  for (let p = 0; p <= PHASES; p++) {
    const half = p / PHASES + points / 2 - 1;
    const c: number[] = [];
    let sum = 0;
    for (let i = 0; i < points; i++) {
      const v = lanczos3((i - half) / shrink);
      c.push(v);
      sum += v;
    }
    table.push(Int32Array.from(toFixedPoint(c.map((v) => v / sum))));
  }
  return { points, table };
}

/** libvips `reducev` / `reduceh` on 8-bit data: Lanczos-3, fixed point, edges repeated. */
function lanczosAxis(
  img: PixelImage,
  shrink: number,
  axis: "h" | "v",
  outLen: number,
  extra: number,
): PixelImage {
  const { width, height, channels: c, data } = img;
  const inLen = axis === "h" ? width : height;
  const offset = (1 + extra) / 2 - 1;
  const { points, table } = kernelTable(shrink);
  const pad = Math.ceil(points / 2) - 1;
  const outW = axis === "h" ? outLen : width;
  const outH = axis === "v" ? outLen : height;
  const out = new Uint8Array(outW * outH * c);
  const round = 1 << (COEFF_SHIFT - 1);
  const lines = axis === "h" ? height : width;
  const idx = new Int32Array(points);
  for (let o = 0; o < outLen; o++) {
    const pos = (o + 0.5) * shrink - 0.5 - offset; // in the input padded by `pad` pixels
    const start = Math.trunc(pos);
    const phase = ((Math.trunc(pos * PHASES * 2) & (PHASES * 2 - 1)) + 1) >> 1;
    const k = table[phase];
    for (let i = 0; i < points; i++) idx[i] = Math.min(inLen - 1, Math.max(0, start + i - pad));
    for (let l = 0; l < lines; l++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let i = 0; i < points; i++) {
          const src = axis === "h" ? (l * width + idx[i]) * c + ch : (idx[i] * width + l) * c + ch;
          sum += k[i] * data[src];
        }
        const v = (sum + round) >> COEFF_SHIFT;
        const dst = axis === "h" ? (l * outW + o) * c + ch : (o * outW + l) * c + ch;
        out[dst] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { data: out, width: outW, height: outH, channels: c };
}

/** Catmull-Rom cubic weight (libvips' bicubic interpolator). */
function cubic(x: number): number {
  x = Math.abs(x);
  if (x < 1) return 1.5 * x * x * x - 2.5 * x * x + 1;
  if (x < 2) return -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2;
  return 0;
}

/**
 * One axis enlarged by `scale` (> 1) with bicubic interpolation. Output pixel `o` samples the input
 * at `o / scale - 0.5` (libvips' affine with its input offset; measured: centre alignment is off by
 * tens of grey levels, this is within 2).
 */
function enlargeAxis(img: PixelImage, scale: number, axis: "h" | "v"): PixelImage {
  const { width, height, channels: c, data } = img;
  const inLen = axis === "h" ? width : height;
  const outLen = Math.round(inLen * scale);
  const outW = axis === "h" ? outLen : width;
  const outH = axis === "v" ? outLen : height;
  const out = new Uint8Array(outW * outH * c);
  const lines = axis === "h" ? height : width;
  for (let o = 0; o < outLen; o++) {
    const pos = o / scale - 0.5;
    const base = Math.floor(pos);
    const w = [-1, 0, 1, 2].map((d) => cubic(pos - (base + d)));
    const at = [-1, 0, 1, 2].map((d) => Math.min(inLen - 1, Math.max(0, base + d)));
    for (let l = 0; l < lines; l++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let i = 0; i < 4; i++) {
          sum += w[i] *
            data[axis === "h" ? (l * width + at[i]) * c + ch : (at[i] * width + l) * c + ch];
        }
        const v = Math.round(sum);
        out[axis === "h" ? (l * outW + o) * c + ch : (o * outW + l) * c + ch] = v < 0
          ? 0
          : v > 255
          ? 255
          : v;
      }
    }
  }
  return { data: out, width: outW, height: outH, channels: c };
}

/** sharp's centre crop: `left = (width - size + 1) / 2` in integers. */
function cropCentre(img: PixelImage, size: number): PixelImage {
  const { width, height, channels: c, data } = img;
  const w = Math.min(size, width), h = Math.min(size, height);
  const left = Math.trunc((width - w + 1) / 2), top = Math.trunc((height - h + 1) / 2);
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const from = ((top + y) * width + left) * c;
    out.set(data.subarray(from, from + w * c), y * w * c);
  }
  return { data: out, width: w, height: h, channels: c };
}

/** sharp's centred embed on black: `left = (size - width) / 2` in integers. */
function embedCentre(img: PixelImage, size: number): PixelImage {
  const { width, height, channels: c, data } = img;
  if (width === size && height === size) return img;
  const w = Math.max(size, width), h = Math.max(size, height);
  const left = Math.trunc((w - width) / 2), top = Math.trunc((h - height) / 2);
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < height; y++) {
    out.set(data.subarray(y * width * c, (y + 1) * width * c), ((top + y) * w + left) * c);
  }
  return { data: out, width: w, height: h, channels: c };
}

/** The top-left `w × h` pixels. */
function cropTo(img: PixelImage, w: number, h: number): PixelImage {
  const c = img.channels;
  if (w === img.width && h === img.height) return img;
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    out.set(img.data.subarray(y * img.width * c, (y * img.width + w) * c), y * w * c);
  }
  return { data: out, width: w, height: h, channels: c };
}
