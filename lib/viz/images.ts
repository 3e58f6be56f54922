/**
 * Image grids: a batch of small images (grayscale or RGB) with captions, e.g. misclassified digits
 * captioned "true 4 / pred 9". Pixels are upscaled with nearest neighbour and embedded as PNG data
 * URIs, so the SVG is self-contained.
 *
 * ```ts
 * const fig = imageGrid({
 *   batch: { data: xs, shape: [16, 28, 28] },            // Float32Array in [0, 1]
 *   captions: wrong.map((w) => `true ${w.label} / pred ${w.pred}`),
 *   title: "Misclassified test digits",
 * });
 * ```
 *
 * @module
 */
import { Figure, svgDocument } from "./figure.ts";
import { encodePng, toBase64 } from "./png.ts";
import { escapeXml, FONT, textWidth } from "./svg.ts";

/** One image: `shape` is `[height, width]` or `[height, width, channels]` (channels 1, 3 or 4). */
export interface GridImage {
  /** Row-major pixel values, channels interleaved (HWC). */
  data: ArrayLike<number>;
  /** `[h, w]` or `[h, w, c]`. */
  shape: readonly number[];
  /** Caption under the image. */
  caption?: string;
  /** Caption colour (e.g. `"#c00"` for a wrong prediction). */
  captionColor?: string;
}

/** Options for {@linkcode imageGrid}. */
export interface ImageGridOptions {
  /** Images one by one… */
  images?: GridImage[];
  /** …or one NHWC batch: `shape` is `[n, h, w]` or `[n, h, w, c]`. */
  batch?: { data: ArrayLike<number>; shape: readonly number[] };
  /** Captions for `batch` images (or overriding `images` captions), by index. */
  captions?: string[];
  /** Caption colours by index. */
  captionColors?: string[];
  /** Images per row (default: up to 10). */
  columns?: number;
  /** Integer upscale factor (default: makes the longer side at least 56 pixels). */
  scale?: number;
  /**
   * Value range mapped to black…white: default `[0, 255]` for `Uint8Array`/`Uint8ClampedArray`
   * data, else `[0, 1]`; `"minmax"` stretches each image to its own range. Values are clamped.
   */
  range?: [number, number] | "minmax";
  /** Title above the grid. */
  title?: string;
}

/** Converts one image to 8-bit gray/RGB/RGBA pixels, upscaled by `scale` with nearest neighbour. */
function toPixels(
  img: GridImage,
  range: ImageGridOptions["range"],
  scale: number,
): { bytes: Uint8Array; w: number; h: number; c: 1 | 3 | 4 } {
  const [h, w, c0] = img.shape;
  const c = c0 ?? 1;
  if (c !== 1 && c !== 3 && c !== 4) throw new RangeError(`imageGrid: ${c} channels unsupported`);
  if (img.data.length !== h * w * c) {
    throw new RangeError(`imageGrid: ${img.data.length} values for shape [${img.shape}]`);
  }
  let lo: number;
  let hi: number;
  if (range === "minmax") {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) hi = lo + 1;
  } else if (range) [lo, hi] = range;
  else if (img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray) {
    [lo, hi] = [0, 255];
  } else [lo, hi] = [0, 1];
  const W = w * scale;
  const H = h * scale;
  const bytes = new Uint8Array(W * H * c);
  for (let y = 0; y < H; y++) {
    const sy = Math.floor(y / scale);
    for (let x = 0; x < W; x++) {
      const src = (sy * w + Math.floor(x / scale)) * c;
      const dst = (y * W + x) * c;
      for (let k = 0; k < c; k++) {
        const v = ((img.data[src + k] - lo) / (hi - lo)) * 255;
        bytes[dst + k] = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(v))) : 0;
      }
    }
  }
  return { bytes, w: W, h: H, c: c as 1 | 3 | 4 };
}

/** Splits an NHWC batch into images. */
function fromBatch(batch: NonNullable<ImageGridOptions["batch"]>): GridImage[] {
  const [n, h, w, c = 1] = batch.shape;
  const size = h * w * c;
  if (batch.data.length !== n * size) {
    throw new RangeError(`imageGrid: ${batch.data.length} values for batch shape [${batch.shape}]`);
  }
  const shape = batch.shape.length === 4 ? [h, w, c] : [h, w];
  const data = batch.data;
  return Array.from({ length: n }, (_, i) => ({
    data: "subarray" in data && typeof data.subarray === "function"
      ? (data.subarray as (a: number, b: number) => ArrayLike<number>)(i * size, (i + 1) * size)
      : Array.prototype.slice.call(data, i * size, (i + 1) * size) as number[],
    shape,
  }));
}

/** Lays images out in a grid with captions under each image. */
export function imageGrid(options: ImageGridOptions): Figure {
  const images = [...(options.images ?? []), ...(options.batch ? fromBatch(options.batch) : [])];
  if (images.length === 0) throw new RangeError("imageGrid: no images");
  const captions = images.map((im, i) => options.captions?.[i] ?? im.caption ?? "");
  const colors = images.map((im, i) => options.captionColors?.[i] ?? im.captionColor ?? "#222");
  const maxSide = Math.max(...images.map((im) => Math.max(im.shape[0], im.shape[1])));
  const scale = options.scale ?? Math.max(1, Math.ceil(56 / maxSide));
  const columns = Math.max(1, Math.min(options.columns ?? 10, images.length));
  const rows = Math.ceil(images.length / columns);
  const imgW = Math.max(...images.map((im) => im.shape[1])) * scale;
  const imgH = Math.max(...images.map((im) => im.shape[0])) * scale;
  const fontSize = 11;
  const hasCaptions = captions.some((c) => c !== "");
  const capLines = Math.max(1, ...captions.map((c) => c.split("\n").length));
  const capH = hasCaptions ? capLines * (fontSize + 3) + 4 : 0;
  const capW = Math.max(
    0,
    ...captions.flatMap((c) => c.split("\n").map((l) => textWidth(l, fontSize))),
  );
  const cellW = Math.ceil(Math.max(imgW, capW) + 10);
  const cellH = imgH + capH + 10;
  const titleH = options.title ? 32 : 4;
  const width = Math.max(
    cellW * columns + 8,
    options.title ? textWidth(options.title, 16) + 20 : 0,
  );
  const height = titleH + rows * cellH + 4;
  const x0 = (width - cellW * columns) / 2;
  let body = "";
  if (options.title) {
    body += `<text x="${width / 2}" y="22" text-anchor="middle" font-family="${FONT}" ` +
      `font-size="16" font-weight="bold" fill="#222">${escapeXml(options.title)}</text>`;
  }
  images.forEach((im, i) => {
    const px = toPixels(im, options.range, scale);
    const cx = x0 + (i % columns) * cellW + cellW / 2;
    const y = titleH + Math.floor(i / columns) * cellH + 5;
    const uri = `data:image/png;base64,${toBase64(encodePng(px.bytes, px.w, px.h, px.c))}`;
    body += `<image x="${cx - px.w / 2}" y="${y + (imgH - px.h) / 2}" width="${px.w}" ` +
      `height="${px.h}" href="${uri}" style="image-rendering:pixelated"/>`;
    captions[i].split("\n").forEach((line, k) => {
      if (!line) return;
      body += `<text x="${cx}" y="${y + imgH + (k + 1) * (fontSize + 3)}" text-anchor="middle" ` +
        `font-family="${FONT}" font-size="${fontSize}" fill="${colors[i]}">${
          escapeXml(line)
        }</text>`;
    });
  });
  return new Figure(svgDocument(width, height, body), width, height, options.title ?? "");
}
