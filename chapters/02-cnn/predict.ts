/**
 * `deno task predict <image…>`: the top-k classes of chapter 2's published classifier for any
 * image files (JPEG, PNG, WebP, GIF, AVIF, TIFF — whatever sharp decodes).
 *
 * ```sh
 * deno task predict photo.jpg other.png
 * deno task predict --model=runs/chapter2/model --top=3 photo.jpg
 * ```
 *
 * Each image is decoded with sharp, turned upright (EXIF orientation), resized exactly as the
 * dataset was (`resize` in the model's metadata: center crop by default) and scaled to [0, 1].
 * An unreadable file gets a one-line error naming the file and the reason; the others are still
 * classified, and the exit status is 1.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import { runsDir } from "../../lib/book/args.ts";
import { fileIO, useWasm } from "../../lib/tfjs/mod.ts";
// Register the book's custom layers, so models that use them load as well.
import "../../lib/tfjs/gem_pool.ts";
import "../../lib/tfjs/seeded_dropout.ts";

/** What the published model's `model.json` carries in `userDefinedMetadata`. */
export interface ClassifierMetadata {
  /** Class names, in the order of the model's outputs. */
  classes: string[];
  /** Side of the square input images. */
  imageSize: number;
  /** How images were fitted to the square: `"cover"` (center crop) or `"contain"` (pad). */
  resize?: "cover" | "contain";
  /** Dataset name and version the model was trained on. */
  dataset?: string;
}

/** One class and its probability. */
export interface ClassScore {
  /** Class name. */
  label: string;
  /** Softmax probability. */
  probability: number;
}

/** The outcome for one file: its top classes, or why it could not be read. */
export type Prediction =
  | { file: string; top: ClassScore[]; error?: undefined }
  | { file: string; error: string; top?: undefined };

/** Raised for a file that cannot be decoded as an image. */
export class UnreadableImageError extends Error {
  /** The file. */
  readonly file: string;
  constructor(file: string, reason: string) {
    super(`${file}: cannot read as an image (${reason})`);
    this.name = "UnreadableImageError";
    this.file = file;
  }
}

/** The default location of the published classifier. */
export function defaultModelDir(): string {
  return runsDir("chapter2", "model");
}

/**
 * Decodes an image file to `size × size × 3` floats in [0, 1] (HWC), upright, resized like the
 * dataset. Throws {@link UnreadableImageError} for a missing, empty or undecodable file.
 */
export async function decodeImage(
  path: string,
  size: number,
  resize: "cover" | "contain" = "cover",
): Promise<Float32Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : (e as Error).message;
    throw new UnreadableImageError(path, reason);
  }
  if (bytes.length === 0) throw new UnreadableImageError(path, "empty file");
  try {
    const raw = await sharp(bytes, { failOn: "error" })
      .rotate()
      .resize(size, size, { fit: resize, background: { r: 0, g: 0, b: 0 } })
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer();
    if (raw.length !== size * size * 3) {
      throw new Error(`decoded to ${raw.length} bytes, expected ${size * size * 3}`);
    }
    return Float32Array.from(raw, (v) => v / 255);
  } catch (e) {
    throw new UnreadableImageError(path, (e as Error).message.split("\n")[0]);
  }
}

/** A loaded classifier and its metadata. */
export interface LoadedClassifier {
  /** The tfjs model (outputs class probabilities). */
  model: tf.LayersModel;
  /** Its classes, input size and resize mode. */
  meta: ClassifierMetadata;
}

/** Loads a published classifier (`model.json` + `weights.bin` + metadata) from `dir`. */
export async function loadClassifier(dir: string = defaultModelDir()): Promise<LoadedClassifier> {
  try {
    await Deno.stat(`${dir}/model.json`);
  } catch {
    throw new Error(
      `no classifier at ${dir}/model.json: run \`deno task chapter2\` first (it publishes one), ` +
        `or pass --model=<dir>`,
    );
  }
  const model = await tf.loadLayersModel(fileIO(dir));
  const meta = model.getUserDefinedMetadata() as ClassifierMetadata | undefined;
  if (!meta || !Array.isArray(meta.classes) || !(meta.imageSize > 0)) {
    throw new Error(`${dir}/model.json has no class names / image size in userDefinedMetadata`);
  }
  return { model, meta };
}

/** Classifies each file (in order) and returns its `k` most probable classes, or its error. */
export async function predictFiles(
  classifier: LoadedClassifier,
  files: string[],
  k = 3,
): Promise<Prediction[]> {
  const { model, meta } = classifier;
  const out: Prediction[] = [];
  for (const file of files) {
    let pixels: Float32Array;
    try {
      pixels = await decodeImage(file, meta.imageSize, meta.resize ?? "cover");
    } catch (e) {
      if (e instanceof UnreadableImageError) {
        out.push({ file, error: e.message });
        continue;
      }
      throw e;
    }
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(pixels, [1, meta.imageSize, meta.imageSize, 3]);
      return tf.softmax(model.predict(x) as tf.Tensor).dataSync(); // the model returns logits
    });
    const top = Array.from(probs, (p, i) => ({ label: meta.classes[i], probability: p }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, Math.max(1, k));
    out.push({ file, top });
  }
  return out;
}

/** Formats predictions as the CLI prints them. */
export function formatPredictions(predictions: Prediction[]): string[] {
  return predictions.map((p) =>
    p.error !== undefined
      ? `error: ${p.error}`
      : `${p.file}: ${
        p.top.map((s) => `${s.label} ${(100 * s.probability).toFixed(1)}%`).join(", ")
      }`
  );
}

const USAGE = "usage: deno task predict [--model=<dir>] [--top=<k>] <image…>";

/** The CLI: returns the exit status (0 all classified, 1 some unreadable, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  let modelDir = defaultModelDir();
  let k = 3;
  const files: string[] = [];
  for (const a of argv) {
    if (a.startsWith("--model=")) modelDir = a.slice("--model=".length);
    else if (a.startsWith("--top=")) k = Number(a.slice("--top=".length));
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith("--")) {
      console.error(`unknown option ${a}\n${USAGE}`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0 || !Number.isInteger(k) || k < 1) {
    console.error(USAGE);
    return 2;
  }
  await useWasm();
  let classifier: LoadedClassifier;
  try {
    classifier = await loadClassifier(modelDir);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  const predictions = await predictFiles(classifier, files, k);
  for (const [i, line] of formatPredictions(predictions).entries()) {
    if (predictions[i].error !== undefined) console.error(line);
    else console.log(line);
  }
  return predictions.some((p) => p.error !== undefined) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
