/**
 * USPS handwritten digits (as distributed with *The Elements of Statistical Learning*): 7,291
 * training and 2,007 test images, 16×16 grey, deslanted and size-normalised, values in [-1, 1].
 * Chapter 3 uses them as the unlabelled target domain of MNIST → USPS adaptation.
 *
 * Each file is a gzipped text file, one image per line: the digit, then 256 values. The files are
 * resolved through the asset registry (`usps/zip.train.gz`, `usps/zip.test.gz`: cache → mirror →
 * a GitHub copy at a pinned commit) and checked against their SHA-256.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import type { ResolveOptions } from "./assets.ts";
import { resolveNamedAsset } from "./registry.ts";

/** Side of a USPS image in pixels. */
export const USPS_SIDE = 16;

/** One USPS split. */
export interface UspsSplit {
  /** `count × 256` values, row-major per image, rescaled from [-1, 1] to [0, 1] (like MNIST). */
  images: Float32Array;
  /** `count` digits 0-9. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/**
 * Parses the ESL text format (one image per line: digit, then 256 values in [-1, 1]). `file` names
 * the source in error messages.
 */
export function parseUsps(text: string, file = "usps"): UspsSplit {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const images = new Float32Array(lines.length * USPS_SIDE * USPS_SIDE);
  const labels = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const v = line.trim().split(/\s+/).map(Number);
    if (v.length !== 257 || v.some((x) => !Number.isFinite(x))) {
      throw new Error(
        `${file} line ${i + 1}: expected a digit and 256 numbers, got ${v.length} fields`,
      );
    }
    const digit = v[0];
    if (!Number.isInteger(digit) || digit < 0 || digit > 9) {
      throw new Error(`${file} line ${i + 1}: label ${v[0]} is not a digit`);
    }
    labels[i] = digit;
    for (let p = 0; p < 256; p++) images[i * 256 + p] = (v[p + 1] + 1) / 2;
  });
  return { images, labels, count: lines.length };
}

/** Loads one split (resolving and checking its file first). */
export async function loadUsps(
  split: "train" | "test",
  options: ResolveOptions = {},
): Promise<UspsSplit> {
  const file = await resolveNamedAsset(`usps/zip.${split}.gz`, options);
  const text = new TextDecoder().decode(gunzipSync(await Deno.readFile(file)));
  return parseUsps(text, file);
}
