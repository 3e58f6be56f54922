/**
 * Scale augmentation for image batches: {@link randomZoom} crops a random box around a random
 * point of each image and resizes it back to the full size, in one `tf.image.cropAndResize` call
 * for the whole batch. A box smaller than the image zooms in; a larger one zooms out, and the
 * area outside the image is filled with `fill` (black by default, like the dataset's padding).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Augment } from "./batches.ts";

/** Options of {@link randomZoom}. */
export interface ZoomOptions {
  /** Smallest box side as a fraction of the image side (default 0.8: zoom in up to 1.25×). */
  minScale?: number;
  /** Largest box side (default 1.2: zoom out up to 1/1.2). */
  maxScale?: number;
  /** Largest move of the box centre, as a fraction of the image side (default 0.1). */
  maxShift?: number;
  /** Value of pixels that come from outside the image (default 0). */
  fill?: number;
}

/**
 * The crop boxes `[y1, x1, y2, x2]` (normalized coordinates) of {@link randomZoom} for `n` images,
 * drawn from `next` (uniform in [0, 1)): side `s` log-uniform in `[minScale, maxScale]`, centre
 * `0.5 + u · maxShift` with `u` uniform in [−1, 1] on each axis.
 */
export function zoomBoxes(n: number, next: () => number, opts: ZoomOptions = {}): Float32Array {
  const lo = opts.minScale ?? 0.8, hi = opts.maxScale ?? 1.2, shift = opts.maxShift ?? 0.1;
  if (!(lo > 0 && hi >= lo) || !(shift >= 0)) {
    throw new Error(`randomZoom: need 0 < minScale <= maxScale and maxShift >= 0`);
  }
  const boxes = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const s = lo * Math.pow(hi / lo, next());
    const cy = 0.5 + (2 * next() - 1) * shift, cx = 0.5 + (2 * next() - 1) * shift;
    boxes.set([cy - s / 2, cx - s / 2, cy + s / 2, cx + s / 2], i * 4);
  }
  return boxes;
}

/** Augmentation: random zoom in/out and shift of each `NHWC` image (see the module docs). */
export function randomZoom(opts: ZoomOptions = {}): Augment {
  zoomBoxes(0, () => 0, opts); // validates the options now, not at the first batch
  return (batch, rng) => {
    const [n, h, w] = batch.x.shape;
    const boxes = zoomBoxes(n, () => rng.next(), opts);
    const x = tf.tidy(() =>
      tf.image.cropAndResize(
        batch.x as tf.Tensor4D,
        tf.tensor2d(boxes, [n, 4]),
        tf.range(0, n, 1, "int32") as tf.Tensor1D,
        [h, w],
        "bilinear",
        opts.fill ?? 0,
      )
    );
    return { x, y: batch.y.clone() };
  };
}
