/**
 * Contrastive losses, written out with tfjs ops so that autodiff gives their gradients (checked
 * against finite differences in the tests), and SimCLR's image augmentation.
 *
 * **NT-Xent** (SimCLR, Chen et al. 2020). A batch of `N` images gives `2N` views: `z_i` and
 * `z_{i+N}` are the two views of image `i`. With cosine similarities `s_ij = ẑ_i·ẑ_j` (`ẑ = z/‖z‖`)
 * and a temperature `τ`, each view must pick its partner `p(i)` among the other `2N − 1`:
 *
 * `ℓ_i = −log( exp(s_{i,p(i)}/τ) / Σ_{k≠i} exp(s_ik/τ) )`,  `L = (1/2N) Σ_i ℓ_i`.
 *
 * **InfoNCE for image–text pairs** (CLIP, Radford et al. 2021): `N` images and their `N` captions,
 * logits `S = Î Tᵀ / τ`; the loss is the mean of the cross-entropy of each row (image → its text)
 * and of each column (text → its image) against the diagonal.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../autograd/random.ts";
import { zoomBoxes } from "../train/zoom.ts";

/** Rows of `x` scaled to unit L2 norm. */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))));
}

/**
 * NT-Xent of two batches of projections `z1`, `z2` (`[N, d]` each; row `i` of both comes from the
 * same image) at temperature `tau`.
 */
export function ntXent(z1: tf.Tensor2D, z2: tf.Tensor2D, tau: number): tf.Scalar {
  return tf.tidy(() => {
    const n = z1.shape[0];
    const z = l2Normalize(tf.concat([z1, z2]) as tf.Tensor2D);
    // Cosine similarities / τ, with each view's similarity to itself pushed to -∞ (exp → 0).
    const logits = tf.sub(
      tf.div(tf.matMul(z, z, false, true), tau),
      tf.mul(tf.eye(2 * n), 1e9),
    );
    const partner = tf.concat([tf.range(n, 2 * n, 1, "int32"), tf.range(0, n, 1, "int32")]);
    const target = tf.oneHot(partner, 2 * n);
    return tf.losses.softmaxCrossEntropy(target, logits) as tf.Scalar;
  });
}

/**
 * CLIP's symmetric InfoNCE of paired embeddings `a` (e.g. images) and `b` (their texts), `[N, d]`
 * each, at temperature `tau`.
 */
export function infoNce(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
  return tf.tidy(() => {
    const n = a.shape[0];
    const logits = tf.div(tf.matMul(l2Normalize(a), l2Normalize(b), false, true), tau);
    const target = tf.eye(n);
    const rows = tf.losses.softmaxCrossEntropy(target, logits);
    const cols = tf.losses.softmaxCrossEntropy(target, tf.transpose(logits));
    return tf.div(tf.add(rows, cols), 2) as tf.Scalar;
  });
}

/** Settings of {@link simclrAugment}. */
export interface SimclrAugmentOptions {
  /** Smallest side of the random crop, as a fraction of the image (default 0.5). */
  minScale?: number;
  /** Largest brightness shift (default 0.3). */
  brightness?: number;
  /** Contrast factors are drawn from `[1 − c, 1 + c]` (default 0.4). */
  contrast?: number;
  /** Probability of turning a view grey (default 0.2). */
  greyProbability?: number;
}

/**
 * One random SimCLR view of each image of `x` (`[N, H, W, 3]` in [0, 1]): a random crop resized
 * back (scale `minScale`-1, anywhere inside the image), a left-right flip with probability ½,
 * brightness and contrast jitter per image, and greyscale with probability `greyProbability`.
 */
export function simclrAugment(
  x: tf.Tensor4D,
  rng: Rng,
  opts: SimclrAugmentOptions = {},
): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const next = () => rng.next();
  const boxes = zoomBoxes(n, next, { minScale: opts.minScale ?? 0.5, maxScale: 1, maxShift: 0.2 });
  const flips = Float32Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0));
  const b = opts.brightness ?? 0.3, c = opts.contrast ?? 0.4, g = opts.greyProbability ?? 0.2;
  const shift = Float32Array.from({ length: n }, () => (next() * 2 - 1) * b);
  const scale = Float32Array.from({ length: n }, () => 1 + (next() * 2 - 1) * c);
  const grey = Float32Array.from({ length: n }, () => (next() < g ? 1 : 0));
  return tf.tidy(() => {
    let v = tf.image.cropAndResize(
      x,
      tf.tensor2d(boxes, [n, 4]),
      tf.range(0, n, 1, "int32") as tf.Tensor1D,
      [h, w],
    );
    const f = tf.tensor4d(flips, [n, 1, 1, 1]);
    v = tf.add(tf.mul(tf.image.flipLeftRight(v), f), tf.mul(v, tf.sub(1, f)));
    const mean = tf.mean(v, [1, 2, 3], true);
    v = tf.add(tf.mul(tf.sub(v, mean), tf.tensor4d(scale, [n, 1, 1, 1])), mean);
    v = tf.add(v, tf.tensor4d(shift, [n, 1, 1, 1]));
    const gr = tf.tensor4d(grey, [n, 1, 1, 1]);
    const lum = tf.tile(tf.mean(v, 3, true), [1, 1, 1, 3]);
    v = tf.add(tf.mul(lum, gr), tf.mul(v, tf.sub(1, gr)));
    return tf.clipByValue(v, 0, 1) as tf.Tensor4D;
  });
}

/**
 * CLIP's zero-shot classifier: class probabilities `softmax(scale · Î Tᵀ)` of image embeddings
 * `images` (`[N, d]`) against one text embedding per class `texts` (`[K, d]`; e.g. the mean of a
 * few prompt embeddings), and the predicted class of each image. `scale` is CLIP's learned
 * inverse temperature (100 for the released models).
 */
export function zeroShot(
  images: tf.Tensor2D,
  texts: tf.Tensor2D,
  scale = 100,
): { probs: tf.Tensor2D; predicted: tf.Tensor1D } {
  return tf.tidy(() => {
    const logits = tf.mul(tf.matMul(l2Normalize(images), l2Normalize(texts), false, true), scale);
    const probs = tf.softmax(logits) as tf.Tensor2D;
    return { probs, predicted: tf.argMax(probs, 1) as tf.Tensor1D };
  });
}

/** Prompt templates for zero-shot classification (a small ensemble, after CLIP's paper). */
export const PROMPT_TEMPLATES = [
  "a photo of a {}.",
  "a photo of the {}.",
  "a product photo of a {}.",
  "a close-up photo of a {}.",
];
