/**
 * The face-mask detector of chapter 5, from our own parts: image → faces (BlazeFace) → square crop
 * with a margin around each face → our mask classifier → labelled boxes, plus an annotated copy of
 * the image.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Buffer } from "node:buffer";
import sharp from "sharp";
import { BlazeFace, type DetectOptions, type FaceBox, type RgbImage } from "./blazeface.ts";

/** One labelled face. */
export interface MaskDetection {
  /** The face box from the detector, in image pixels. */
  box: FaceBox;
  /** The square region given to the classifier (the box grown by the margin, inside the image). */
  crop: { x: number; y: number; width: number; height: number };
  /** The classifier's answer. */
  label: string;
  /** Its probability. */
  confidence: number;
}

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

/**
 * The square region around a face that the classifier sees: the box's longer side grown by
 * `margin` on each side (default 0.25), centred on the box, clipped to the image.
 */
export function cropBox(face: FaceBox, width: number, height: number, margin = 0.25) {
  const side = Math.max(face.width, face.height) * (1 + 2 * margin);
  const cx = face.x + face.width / 2, cy = face.y + face.height / 2;
  const x0 = Math.max(0, Math.round(cx - side / 2)), y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(width, Math.round(cx + side / 2)),
    y1 = Math.min(height, Math.round(cy + side / 2));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** Options of {@link MaskDetector}. */
export interface MaskDetectorOptions extends DetectOptions {
  /** Class names in the classifier's output order. */
  classes: string[];
  /** Side of the classifier's square input (default 64). */
  inputSize?: number;
  /** Margin of the face crop (see {@link cropBox}; default 0.25). */
  margin?: number;
}

/** BlazeFace plus a mask classifier. */
export class MaskDetector {
  /** Wraps a face detector and a classifier of `[N, size, size, 3]` in [0, 1] → class logits. */
  constructor(
    readonly faces: BlazeFace,
    readonly classifier: tf.LayersModel,
    readonly options: MaskDetectorOptions,
  ) {}

  /** Finds the faces in `image` and labels each one. */
  async detect(image: RgbImage): Promise<MaskDetection[]> {
    const boxes = await this.faces.detect(image, this.options);
    if (boxes.length === 0) return [];
    const size = this.options.inputSize ?? 64;
    const crops = boxes.map((b) => cropBox(b, image.width, image.height, this.options.margin));
    const probs = tf.tidy(() => {
      const img = tf.tensor3d(image.data, [image.height, image.width, 3], "int32").toFloat()
        .div(255).expandDims(0) as tf.Tensor4D;
      // cropAndResize takes normalized [y1, x1, y2, x2] boxes.
      const norm = crops.map((c) => [
        c.y / (image.height - 1),
        c.x / (image.width - 1),
        (c.y + c.height - 1) / (image.height - 1),
        (c.x + c.width - 1) / (image.width - 1),
      ]);
      const patches = tf.image.cropAndResize(img, norm, crops.map(() => 0), [size, size]);
      // The classifier returns logits (as every model in lib/models does).
      return tf.softmax(this.classifier.predict(patches) as tf.Tensor2D);
    });
    const p = await probs.array();
    probs.dispose();
    return boxes.map((box, i) => {
      const k = p[i].indexOf(Math.max(...p[i]));
      return { box, crop: crops[i], label: this.options.classes[k], confidence: p[i][k] };
    });
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
