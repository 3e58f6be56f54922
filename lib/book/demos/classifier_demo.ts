/// <reference lib="dom" />
/**
 * Browser entry of the classifier demo on a model's page: loads the published tfjs model
 * (`data-model`, a `model.json` URL served by the site), and for a chosen or dropped photo shows
 * the top-k classes with probabilities. Everything follows `deno task predict`
 * (`chapters/02-cnn/predict.ts`; `demos_test.ts` checks they agree to 1e-4): the photo's file is
 * decoded and fitted into the model's square by libvips itself, compiled to WebAssembly
 * (wasm-vips, `data-vips`: its ES module, served by the site beside `vips.wasm`), with sharp's
 * steps (`lib/dataset/vips_fit.ts`: shrink-on-load, Lanczos-3, EXIF turn, `cover` crop or
 * `contain` padding as the model's metadata says) — the same bytes as sharp — then scaled to
 * [0, 1], RGB. The model returns logits; softmax gives the probabilities.
 *
 * wasm-vips runs on threads sharing memory, which browsers allow only in a cross-origin isolated
 * page (COOP/COEP headers: `deno task serve` sends them, `_headers` asks Netlify/Cloudflare Pages
 * to, and `coi-serviceworker.js` adds them on hosts that cannot, such as GitHub Pages, after one
 * reload). Without isolation the page says so instead of waiting forever.
 *
 * `window.classifierDemo` exposes `{ ready, top }` for tests.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type Vips from "wasm-vips";
// Register the book's custom layers, so models that use them load (as predict.ts does).
import "../../tfjs/gem_pool.ts";
import "../../tfjs/seeded_dropout.ts";
import { fitSquareVips, type VipsModule } from "../../dataset/vips_fit.ts";
import { onPhoto } from "./pixels.ts";

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
 * Loads wasm-vips from the site (`url`: its ES module; not bundled, since it starts its worker
 * threads from its own URL), with the core formats only (JPEG, PNG, WebP, GIF, TIFF).
 */
async function loadVips(url: string): Promise<VipsModule> {
  if (!globalThis.crossOriginIsolated) {
    throw new Error(
      "this page is not cross-origin isolated (no COOP/COEP headers), which libvips' threads " +
        "need; serve the site with `deno task serve`, or reload once so coi-serviceworker.js " +
        "can add them",
    );
  }
  const module = await import(new URL(url, document.baseURI).href) as { default: typeof Vips };
  return await module.default({ dynamicLibraries: [] });
}

/** The photo as the model's input: fitted like sharp does ({@link fitSquareVips}), in [0, 1]. */
export async function pixelsOf(
  vips: VipsModule,
  file: Blob,
  size: number,
  resize: "cover" | "contain",
): Promise<Float32Array> {
  const fitted = fitSquareVips(vips, new Uint8Array(await file.arrayBuffer()), size, resize);
  return Float32Array.from(fitted.data, (v) => v / 255);
}

async function main(root: HTMLElement): Promise<void> {
  const input = root.querySelector<HTMLInputElement>("#classifier-file")!;
  const list = root.querySelector<HTMLOListElement>("#classifier-top")!;
  const preview = root.querySelector<HTMLImageElement>("#classifier-preview")!;
  const status = root.querySelector<HTMLElement>("#classifier-status")!;
  await tf.setBackend("cpu"); // exact float32 arithmetic everywhere, no GPU differences
  state.backend = tf.getBackend();
  const [model, vips] = await Promise.all([
    tf.loadLayersModel(root.dataset.model!),
    loadVips(root.dataset.vips!),
  ]);
  const meta = model.getUserDefinedMetadata() as Meta;
  const k = Math.min(Number(root.dataset.top ?? 3), meta.classes.length);
  status.textContent = `Model loaded: ${meta.classes.length} classes (${
    meta.classes.join(", ")
  }), ${meta.imageSize}×${meta.imageSize} input. Choose or drop a photo.`;
  state.ready = true;
  const classify = async (file: File) => {
    preview.src = URL.createObjectURL(file);
    const pixels = await pixelsOf(vips, file, meta.imageSize, meta.resize ?? "cover");
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
  onPhoto(root, input, classify, (f, e) => {
    state.error = String(e);
    status.textContent = `Could not classify ${f.name}: ${e}`;
  });
}

const root = document.getElementById("classifier-demo");
if (root) {
  main(root).catch((e) => {
    state.error = String(e);
    root.querySelector("#classifier-status")!.textContent = `The model did not load: ${e}`;
  });
}
