/**
 * Files in and out for the face-mask detector (sharp): an image file as RGB bytes, and a copy of
 * the image with the labelled boxes drawn on it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import sharp from "sharp";
import type { RgbImage } from "./blazeface.ts";
import type { MaskDetection } from "./mask.ts";

/** Reads an image file into RGB bytes; an unreadable or non-image file is an error naming it. */
export async function readRgb(file: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file, { failOn: "error" }).rotate().removeAlpha()
      .toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data), width: info.width, height: info.height };
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
    throw new Error(`cannot read image ${file}: ${reason}`);
  }
}

const COLORS: Record<string, string> = { with_mask: "#1a9850", without_mask: "#d73027" };

/** Draws the detections (box, label, confidence) over the image and writes it to `outFile`. */
export async function annotate(
  image: RgbImage,
  detections: MaskDetection[],
  outFile: string,
): Promise<void> {
  const stroke = Math.max(2, Math.round(Math.min(image.width, image.height) / 150));
  const font = Math.max(11, Math.round(Math.min(image.width, image.height) / 30));
  const esc = (s: string) =>
    s.replace(/[<&>]/g, (c) => ({ "<": "&lt;", "&": "&amp;", ">": "&gt;" })[c]!);
  const parts = detections.map((d) => {
    const color = COLORS[d.label] ?? "#2166ac";
    const { x, y, width, height } = d.box;
    const text = `${d.label} ${(100 * d.confidence).toFixed(0)}%`;
    const ty = y > font + 4 ? y - 4 : y + height + font;
    return `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="none" ` +
      `stroke="${color}" stroke-width="${stroke}"/>` +
      `<text x="${x}" y="${ty}" font-family="DejaVu Sans, sans-serif" font-size="${font}" ` +
      `fill="${color}" stroke="white" stroke-width="0.6" font-weight="bold">${esc(text)}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" ` +
    `height="${image.height}">${parts.join("")}</svg>`;
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }])
    .toFile(outFile);
}
