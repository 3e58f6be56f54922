/// <reference lib="dom" />
/**
 * Browser entry of chapter 5's face-mask demo (`mask-demo.html`): BlazeFace and the chapter's mask
 * classifier, both served by the site (`data-blazeface`, `data-model`: `model.json` URLs), run the
 * same `MaskDetector` code as `deno task detect-mask` (`lib/detect/mask.ts`: faces → square crop
 * with a margin → classifier) on a chosen or dropped photo; the page draws the labelled boxes.
 * The photo is decoded by the browser (upright, full size), as sharp does for the CLI; tfjs runs
 * on its CPU backend (the CLI on wasm: float rounding apart, the same arithmetic — `demos_test.ts`
 * compares them).
 *
 * `window.maskDemo` exposes `{ ready, faces }` for tests.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
// Register the book's custom layers, so classifiers that use them load (as detect-mask does).
import "../../tfjs/gem_pool.ts";
import "../../tfjs/seeded_dropout.ts";
import { BlazeFace } from "../../detect/blazeface.ts";
import { MaskDetector } from "../../detect/mask.ts";
import { decodeRgb, onPhoto } from "./pixels.ts";

interface Face {
  box: number[];
  score: number;
  label: string;
  confidence: number;
}

interface MaskDemoState {
  ready: boolean;
  faces?: Face[];
  error?: string;
}

const state: MaskDemoState = { ready: false };
(globalThis as unknown as { maskDemo: MaskDemoState }).maskDemo = state;

const COLORS: Record<string, string> = { with_mask: "#1a9850", without_mask: "#d73027" };

async function main(root: HTMLElement): Promise<void> {
  const input = root.querySelector<HTMLInputElement>("#mask-file")!;
  const canvas = root.querySelector<HTMLCanvasElement>("#mask-canvas")!;
  const list = root.querySelector<HTMLOListElement>("#mask-faces")!;
  const status = root.querySelector<HTMLElement>("#mask-status")!;
  await tf.setBackend("cpu");
  const [faces, classifier] = await Promise.all([
    tf.loadGraphModel(root.dataset.blazeface!),
    tf.loadLayersModel(root.dataset.model!),
  ]);
  const meta = classifier.getUserDefinedMetadata() as {
    classes: string[];
    imageSize: number;
    margin?: number;
    minScore?: number;
  };
  const detector = new MaskDetector(BlazeFace.fromModel(faces, "back"), classifier, {
    classes: meta.classes,
    inputSize: meta.imageSize,
    margin: meta.margin,
    minScore: Number(root.dataset.minScore ?? meta.minScore ?? 0.6),
  });
  status.textContent = `Models loaded (BlazeFace and the ${
    meta.classes.join(" / ")
  } classifier). Choose or drop a photo with faces.`;
  state.ready = true;

  const run = async (file: File) => {
    const image = await decodeRgb(file);
    const rgb = { data: image.data, width: image.width, height: image.height };
    const dets = await detector.detect(rgb);
    state.faces = dets.map((d) => ({
      box: [d.box.x, d.box.y, d.box.width, d.box.height],
      score: d.box.score,
      label: d.label,
      confidence: d.confidence,
    }));
    canvas.width = image.width;
    canvas.height = image.height;
    const g = canvas.getContext("2d")!;
    const rgba = new Uint8ClampedArray(image.width * image.height * 4);
    for (let i = 0, j = 0; j < image.data.length; i += 4, j += 3) {
      rgba[i] = image.data[j];
      rgba[i + 1] = image.data[j + 1];
      rgba[i + 2] = image.data[j + 2];
      rgba[i + 3] = 255;
    }
    g.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
    const stroke = Math.max(2, Math.round(Math.min(image.width, image.height) / 150));
    const font = Math.max(11, Math.round(Math.min(image.width, image.height) / 30));
    g.font = `bold ${font}px sans-serif`;
    for (const d of dets) {
      const color = COLORS[d.label] ?? "#2166ac";
      g.strokeStyle = g.fillStyle = color;
      g.lineWidth = stroke;
      g.strokeRect(d.box.x, d.box.y, d.box.width, d.box.height);
      const ty = d.box.y > font + 4 ? d.box.y - 4 : d.box.y + d.box.height + font;
      g.fillText(`${d.label} ${(100 * d.confidence).toFixed(0)}%`, d.box.x, ty);
    }
    list.replaceChildren(...dets.map((d) => {
      const li = document.createElement("li");
      li.textContent = `${d.label} (${(100 * d.confidence).toFixed(1)}%), face score ${
        d.box.score.toFixed(2)
      }, box ${[d.box.x, d.box.y, d.box.width, d.box.height].map(Math.round).join(", ")}`;
      return li;
    }));
    status.textContent = dets.length ? `${dets.length} face(s) found.` : "No face found.";
  };
  onPhoto(root, input, run, (f, e) => {
    state.error = String(e);
    status.textContent = `Could not process ${f.name}: ${e}`;
  });
}

const root = document.getElementById("mask-demo");
if (root) {
  main(root).catch((e) => {
    state.error = String(e);
    root.querySelector("#mask-status")!.textContent = `The models did not load: ${e}`;
  });
}
