/**
 * Decoding, checking and resizing one image with sharp.
 *
 * {@link processImage} does everything the builder needs from one file's bytes: the real format
 * (magic bytes), a full decode (a truncated or corrupt file fails here), the EXIF orientation
 * applied, the upright size checked against a minimum, the dHash of the upright image, and the
 * published `size × size` RGB PNG. Transparent pixels are flattened onto white before anything
 * else, so a transparent PNG looks the same in the hash and in the output.
 *
 * @module
 */

import sharp from "sharp";
import { type DHash, dHashFromGrey9x8, THUMBNAIL_SIZE } from "./dhash.ts";
import { type ImageFormat, isImageFormat, sniffFormat } from "./sniff.ts";

/**
 * Why an image was rejected. `reason` is a short, stable phrase for the build report (the same
 * bytes always give the same reason); `detail` is the decoder's own message, which can vary from
 * run to run when images are decoded in parallel (libvips shares one error buffer), so it only
 * goes to the log.
 */
export class ImageRejectedError extends Error {
  /** The short reason, e.g. `truncated jpeg (no end-of-image marker)`. */
  readonly reason: string;
  /** The decoder's message, when there is one. */
  readonly detail: string;

  /** Wraps the reason (and the decoder's message) as the message. */
  constructor(reason: string, detail = "") {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = "ImageRejectedError";
    this.reason = reason;
    this.detail = detail;
  }
}

/** Why a file that sniffed as `format` failed to decode: truncated (its end marker is missing) or corrupt. */
export function decodeFailureReason(bytes: Uint8Array, format: ImageFormat): string {
  // Only the bytes decide the reason (never the decoder's message): the report must not vary.
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) {
    end--;
  }
  if (format === "jpeg" && !(end >= 2 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9)) {
    return "truncated jpeg (no end-of-image marker)";
  }
  if (format === "png") {
    const tail = new TextDecoder("latin1").decode(bytes.subarray(Math.max(0, end - 12), end));
    if (!tail.includes("IEND")) return "truncated png (no IEND chunk)";
  }
  return `corrupt ${format} (cannot be decoded)`;
}

/** Options of {@link processImage}. */
export interface ProcessOptions {
  /** Output side in pixels. */
  size: number;
  /** `crop`: cover the square and cut the centre; `pad`: fit inside and pad with black. */
  fit: "crop" | "pad";
  /** Smallest accepted upright side, in pixels. */
  minSize: number;
  /**
   * Largest accepted width × height, read from the header before anything is decoded, so a
   * small file claiming a huge image never allocates its pixels (default {@link DEFAULT_MAX_PIXELS}).
   */
  maxPixels?: number;
  /** Abandons the work: the returned promise rejects with the signal's reason at once. */
  signal?: AbortSignal;
}

/** Default pixel cap: 40 megapixels (a 7300 × 5500 photo); 4 decodes in flight stay under 1 GB. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** What {@link processImage} found and made. */
export interface ProcessedImage {
  /** The real format, from the magic bytes. */
  format: ImageFormat;
  /** Upright width (after EXIF orientation). */
  width: number;
  /** Upright height. */
  height: number;
  /** The EXIF orientation tag (1 when absent). */
  orientation: number;
  /** dHash of the upright image. */
  dhash: DHash;
  /** 16×16 RGB thumbnail of the upright image (stretched to a square), compared by `thumbnailDifference`. */
  thumb: Uint8Array;
  /** The published image: `size × size`, 3-channel sRGB, PNG with fixed encoder options. */
  png: Uint8Array;
}

/** The fixed PNG encoder options: the same pixels always give the same bytes. */
export const PNG_OPTIONS = {
  compressionLevel: 9,
  adaptiveFiltering: false,
  palette: false,
  progressive: false,
  force: true,
} as const;

/**
 * Checks, hashes and resizes one image. Throws {@link ImageRejectedError} when the bytes are not
 * an accepted image format, do not decode completely, or are too small.
 */
export async function processImage(
  bytes: Uint8Array,
  options: ProcessOptions,
): Promise<ProcessedImage> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const format = sniffFormat(bytes);
  if (format === "empty") throw new ImageRejectedError("empty file");
  if (!isImageFormat(format)) {
    throw new ImageRejectedError(
      format === "unknown" ? "not an image (unrecognised bytes)" : `not an image (${format})`,
    );
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    // Header only: no pixels are decoded here, whatever size the header claims.
    meta = await abortable(sharp(bytes, { limitInputPixels: false }).metadata(), signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ImageRejectedError(decodeFailureReason(bytes, format), firstLine(e));
  }
  const storedW = meta.width ?? 0;
  const storedH = meta.height ?? 0;
  if (storedW * storedH > maxPixels) {
    throw new ImageRejectedError(
      `too many pixels: ${storedW}x${storedH} (limit ${maxPixels} pixels)`,
    );
  }
  const width = meta.autoOrient?.width ?? storedW;
  const height = meta.autoOrient?.height ?? storedH;
  if (Math.min(width, height) < options.minSize) {
    throw new ImageRejectedError(
      `too small: ${width}x${height} (shorter side under ${options.minSize} px)`,
    );
  }
  // failOn "warning": libjpeg reports a truncated scan (even with an end marker appended) or
  // garbage in the entropy-coded data only as warnings, and would otherwise fill the gap with grey.
  const upright = () =>
    sharp(bytes, { failOn: "warning", limitInputPixels: maxPixels, sequentialRead: true })
      .rotate().flatten({ background: "#ffffff" });
  let grey: Uint8Array;
  let thumb: Uint8Array;
  let png: Uint8Array;
  try {
    grey = await abortable(
      upright().greyscale().resize(9, 8, { fit: "fill" }).raw().toBuffer(),
      signal,
    );
    const t = THUMBNAIL_SIZE;
    const small = await abortable(
      upright().resize(t, t, { fit: "fill" }).toColourspace("srgb").raw().toBuffer(),
      signal,
    );
    if (small.length !== t * t * 3) throw new Error(`thumbnail has ${small.length} bytes`);
    thumb = new Uint8Array(small.buffer, small.byteOffset, small.byteLength);
    const { data, info } = await abortable(
      upright()
        .resize(options.size, options.size, {
          fit: options.fit === "crop" ? "cover" : "contain",
          position: "centre",
          background: { r: 0, g: 0, b: 0 },
        })
        .toColourspace("srgb")
        .png(PNG_OPTIONS)
        .toBuffer({ resolveWithObject: true }),
      signal,
    );
    if (info.width !== options.size || info.height !== options.size || info.channels !== 3) {
      throw new Error(`resized to ${info.width}x${info.height}x${info.channels}`);
    }
    png = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ImageRejectedError(await rejectionReason(bytes, format, maxPixels), firstLine(e));
  }
  return {
    format,
    width,
    height,
    orientation: meta.orientation ?? 1,
    dhash: dHashFromGrey9x8(new Uint8Array(grey.buffer, grey.byteOffset, grey.byteLength)),
    thumb,
    png,
  };
}

/**
 * The stable reason for a failed decode, from the bytes alone: a missing end marker is
 * "truncated"; a file that decodes when warnings are tolerated has damaged data that libjpeg
 * papered over; anything else cannot be decoded at all.
 */
async function rejectionReason(
  bytes: Uint8Array,
  format: ImageFormat,
  maxPixels: number,
): Promise<string> {
  const reason = decodeFailureReason(bytes, format);
  if (!reason.startsWith("corrupt")) return reason;
  try {
    await sharp(bytes, { failOn: "error", limitInputPixels: maxPixels, sequentialRead: true })
      .resize(8, 8).raw().toBuffer();
    return `corrupt ${format} (damaged or missing data: decoder warnings)`;
  } catch {
    return reason;
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The versions of sharp and libvips in use (recorded in the build report). */
export function imageToolVersions(): { sharp: string; libvips: string } {
  const v = sharp.versions as Record<string, string | undefined>;
  return { sharp: v.sharp ?? "?", libvips: v.vips ?? "?" };
}

/**
 * Decodes a published (or any) image file to `size × size × 3` bytes of RGB, written into `out`
 * at `offset` as floats in [0, 1]. Throws when the image is not exactly that size.
 */
export async function decodeRgbInto(
  file: string,
  size: number,
  out: Float32Array,
  offset: number,
): Promise<void> {
  const { data, info } = await sharp(file, { failOn: "error" })
    .removeAlpha()
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(
      `${file}: expected ${size}x${size}x3, decoded ${info.width}x${info.height}x${info.channels}`,
    );
  }
  for (let i = 0; i < data.length; i++) out[offset + i] = data[i] / 255;
}

/** The width in pixels of an image file (0 when sharp cannot tell). */
export async function imageWidth(file: string): Promise<number> {
  return (await sharp(file).metadata()).width ?? 0;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
