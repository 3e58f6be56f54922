/**
 * Shared test fixtures: a tiny synthetic image-classification set and a small-CNN module.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { smallCnn2d } from "../../models/small_cnn.ts";
import type { TensorDataset } from "../batches.ts";
import { LayersModule } from "../lightning.ts";
import { Rng } from "../../autograd/random.ts";

/**
 * `n` 8x8 gray images of 3 classes: a bright 3x3 blob in the left, middle or right third, plus
 * noise. One-hot targets.
 */
export function blobDataset(n: number, seed: number): TensorDataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    y[i * 3 + k] = 1;
    const top = rng.int(6), left = [0, 2, 5][k] + (k === 1 ? rng.int(2) : 0);
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.3 * rng.next();
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) x[i * 64 + (top + dy) * 8 + left + dx] += 1;
    }
  }
  return { x: tf.tensor4d(x, [n, 8, 8, 1]), y: tf.tensor2d(y, [n, 3]) };
}

/** The small 2-D CNN as a Lightning-style module, trained with Adam. */
export class BlobModule extends LayersModule {
  constructor(seed = 1) {
    super(smallCnn2d({ inputShape: [8, 8, 1], numClasses: 3, filters: [4, 8], seed }));
  }

  configureOptimizers(): tf.Optimizer {
    return tf.train.adam(0.01);
  }
}
