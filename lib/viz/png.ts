/**
 * A tiny synchronous PNG encoder (8-bit grayscale, RGB or RGBA) over `node:zlib`.
 *
 * Used to embed pixel images (e.g. MNIST digits) inside SVG figures without an async round trip
 * through sharp.
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { crc32 } from "../data/crc.ts";

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes interleaved 8-bit pixels as a PNG file.
 *
 * @param pixels `height * width * channels` bytes, row-major, channels interleaved.
 * @param width image width in pixels.
 * @param height image height in pixels.
 * @param channels 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
 * @returns the PNG file's bytes.
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
): Uint8Array {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `encodePng: expected ${width * height * channels} bytes, got ${pixels.length}`,
    );
  }
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height); // filter byte 0 (None) per row
  for (let y = 0; y < height; y++) {
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const idat = new Uint8Array(deflateSync(raw));
  const sig = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
  const parts = [sig, chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array())];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Base64 of `bytes` (for data: URIs and Jupyter image/png bundles). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    s += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(s);
}
