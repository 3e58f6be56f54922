/**
 * From a loaded image dataset (`lib/dataset`'s `ImageSplit`: NHWC floats and class indices) to the
 * tensors both training styles consume, plus the seeded, class-stratified subsets quick mode uses.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../autograd/random.ts";
import { shuffledIndices } from "../data/batches.ts";
import type { ImageSplit } from "../dataset/loader.ts";
import type { TensorDataset } from "./batches.ts";

/**
 * The split as tensors: `x` `[N, size, size, 3]` float32 and `y` one-hot `[N, numClasses]`
 * float32. The caller disposes them.
 */
export function imageTensors(split: ImageSplit, numClasses: number, size: number): TensorDataset {
  const n = split.labels.length;
  if (split.images.length !== n * size * size * 3) {
    throw new Error(
      `imageTensors: ${split.images.length} floats is not ${n} images of ${size}x${size}x3`,
    );
  }
  for (const l of split.labels) {
    if (l < 0 || l >= numClasses) {
      throw new Error(`imageTensors: label ${l} outside 0..${numClasses - 1}`);
    }
  }
  return tf.tidy(() => ({
    x: tf.tensor4d(split.images, [n, size, size, 3]),
    y: tf.oneHot(tf.tensor1d(split.labels, "int32"), numClasses).toFloat(),
  }));
}

/**
 * The indices of a seeded subset of about `count` of `labels` with every class in proportion to
 * its share (at least one of each class present), ascending. `count >= N` returns every index.
 */
export function stratifiedIndices(labels: ArrayLike<number>, count: number, seed = 0): number[] {
  const n = labels.length;
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  const byClass = new Map<number, number[]>();
  Array.from(labels).forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const rng = new Rng(seed);
  const keep: number[] = [];
  for (const [, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const order = shuffledIndices(idx.length, () => rng.next());
    const take = Math.max(1, Math.round((count * idx.length) / n));
    for (let k = 0; k < take; k++) keep.push(idx[order[k]]);
  }
  return keep.sort((a, b) => a - b);
}

/**
 * A seeded subset of about `count` images with every class in proportion to its share (at least
 * one image of each class present), in the split's original order ({@link stratifiedIndices}).
 * `count >= N` returns a copy of the whole split.
 */
export function stratifiedSubset(
  split: ImageSplit,
  size: number,
  count: number,
  seed = 0,
): ImageSplit {
  const px = size * size * 3;
  const keep = stratifiedIndices(split.labels, count, seed);
  const images = new Float32Array(keep.length * px);
  keep.forEach((src, i) => images.set(split.images.subarray(src * px, (src + 1) * px), i * px));
  return {
    images,
    labels: Int32Array.from(keep, (i) => split.labels[i]),
    files: keep.map((i) => split.files[i]),
  };
}

export function classCounts(split: ImageSplit, numClasses: number): number[] {
  const counts = new Array(numClasses).fill(0);
  for (const l of split.labels) counts[l]++;
  return counts;
}
