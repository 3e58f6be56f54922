/// <reference lib="dom" />
/**
 * Browser entry of the classifier demo on a model's page: loads the published tfjs model
 * (`data-model`, a `model.json` URL served by the site), and for a chosen or dropped photo shows
 * the top-k classes with probabilities. Everything follows `deno task predict`
 * (`chapters/02-cnn/predict.ts`; `demos_test.ts` checks they agree): the browser decodes the photo
 * upright at full size, and `lib/dataset/resize.ts` fits it into the model's square with sharp's
 * algorithm (`resize` in its metadata: `cover` crops the centre, `contain` pads with black; a
 * photo with an EXIF orientation is resized as stored, then turned, as sharp does) — within 2 grey
 * levels of sharp for a PNG, 16 for a JPEG (sharp decodes those at reduced scale) — then scales it
 * to [0, 1], RGB. The model returns logits; softmax gives the
 * probabilities.
 *
 * `window.classifierDemo` exposes `{ ready, top }` for tests.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
// Register the book's custom layers, so models that use them load (as predict.ts does).
import "../../tfjs/gem_pool.ts";
import "../../tfjs/seeded_dropout.ts";
import { exifOrientation } from "../../dataset/exif.ts";
import { fitSquare, unorient } from "../../dataset/resize.ts";
import { decodeRgb, isJpeg } from "./pixels.ts";

interface Meta {
  classes: string[];
  imageSize: number;
  resize?: "cover" | "contain";
}

interface ClassifierDemoState {
  ready: boolean;
  backend?: string;
  top?: { label: string; probability: number }[];
  error?: string;
}

const state: ClassifierDemoState = { ready: false };
(globalThis as unknown as { classifierDemo: ClassifierDemoState }).classifierDemo = state;

/**
 * The photo as the model's input: fitted into its square by the dataset's resize
 * ({@link fitSquare}, sharp's algorithm in TypeScript) and scaled to [0, 1].
 */
export async function pixelsOf(
  file: Blob,
  size: number,
  resize: "cover" | "contain",
): Promise<Float32Array> {
  // sharp resizes a photo as stored and turns it upright afterwards: undo the browser's turn.
  const jpeg = await isJpeg(file);
  const orientation = jpeg ? exifOrientation(new Uint8Array(await file.arrayBuffer())) : 1;
  const stored = unorient(await decodeRgb(file), orientation);
  const fitted = fitSquare(stored, size, { fit: resize, jpeg, orientation });
  return Float32Array.from(fitted.data, (v) => v / 255);
}

async function main(root: HTMLElement): Promise<void> {
  const input = root.querySelector<HTMLInputElement>("#classifier-file")!;
  const list = root.querySelector<HTMLOListElement>("#classifier-top")!;
  const preview = root.querySelector<HTMLImageElement>("#classifier-preview")!;
  const status = root.querySelector<HTMLElement>("#classifier-status")!;
  await tf.setBackend("cpu"); // exact float32 arithmetic everywhere, no GPU differences
  state.backend = tf.getBackend();
  const model = await tf.loadLayersModel(root.dataset.model!);
  const meta = model.getUserDefinedMetadata() as Meta;
  const k = Math.min(Number(root.dataset.top ?? 3), meta.classes.length);
  status.textContent = `Model loaded: ${meta.classes.length} classes (${
    meta.classes.join(", ")
  }), ${meta.imageSize}×${meta.imageSize} input. Choose or drop a photo.`;
  state.ready = true;
  const classify = async (file: File) => {
    preview.src = URL.createObjectURL(file);
    const pixels = await pixelsOf(file, meta.imageSize, meta.resize ?? "cover");
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(pixels, [1, meta.imageSize, meta.imageSize, 3]);
      return tf.softmax(model.predict(x) as tf.Tensor).dataSync(); // the model returns logits
    });
    state.top = Array.from(probs, (p, i) => ({ label: meta.classes[i], probability: p }))
      .sort((a, b) => b.probability - a.probability).slice(0, k);
    list.replaceChildren(...state.top.map((s) => {
      const li = document.createElement("li");
      li.textContent = `${s.label}: ${(100 * s.probability).toFixed(1)}%`;
      return li;
    }));
  };
  const run = (f: File | undefined) => {
    if (!f) return;
    classify(f).catch((e) => {
      state.error = String(e);
      status.textContent = `Could not classify ${f.name}: ${e}`;
    });
  };
  input.addEventListener("change", () => run(input.files?.[0]));
  root.addEventListener("dragover", (e) => e.preventDefault());
  root.addEventListener("drop", (e) => {
    e.preventDefault();
    run(e.dataTransfer?.files[0]);
  });
}

const root = document.getElementById("classifier-demo");
if (root) {
  main(root).catch((e) => {
    state.error = String(e);
    root.querySelector("#classifier-status")!.textContent = `The model did not load: ${e}`;
  });
}
