/**
 * One training step (forward, backward, Adam update) of the small CNNs on the patched wasm backend.
 *
 * Run: `deno bench --allow-all lib/tfjs/train_step_bench.ts`.
 */
import * as tf from "@tensorflow/tfjs";
import { smallCnn2d, smallCnn3d } from "../models/small_cnn.ts";
import { seededValues } from "./reference.ts";
import { useWasm } from "./backend.ts";

await useWasm();

function setup(model: tf.Sequential, batch: number, inShape: number[], classes: number) {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const x = tf.tensor(seededValues(batch * inShape.reduce((a, b) => a * b), 1, 0, 1), [
    batch,
    ...inShape,
  ]);
  const y = tf.oneHot(
    tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), "int32"),
    classes,
  );
  return { x, y };
}

const cnn2d = smallCnn2d({ inputShape: [28, 28, 1], numClasses: 10 });
const d2 = setup(cnn2d, 64, [28, 28, 1], 10);
Deno.bench(
  "train step: small 2D CNN, batch 64 of 28x28x1 (wasm)",
  { group: "train-step" },
  async () => {
    await cnn2d.trainOnBatch(d2.x, d2.y);
  },
);

const cnn3d = smallCnn3d({ inputShape: [32, 32, 32, 1], numClasses: 4 });
const d3 = setup(cnn3d, 8, [32, 32, 32, 1], 4);
Deno.bench(
  "train step: small 3D CNN, batch 8 of 32^3x1 (wasm)",
  { group: "train-step" },
  async () => {
    await cnn3d.trainOnBatch(d3.x, d3.y);
  },
);
