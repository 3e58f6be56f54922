/**
 * One data pipeline for both training styles: examples held as two tensors (inputs and targets,
 * examples on the first axis), cut into batches in an order that depends only on `(seed, epoch)`
 * (so a resumed run sees exactly the batches an uninterrupted one would), with augmentation hooks.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../autograd/random.ts";
import { shuffledIndices } from "../data/batches.ts";

/** A batch: inputs and targets with the batch on the first axis. Whoever receives it disposes it. */
export interface Batch {
  /** Inputs, e.g. `[B, H, W, C]`. */
  x: tf.Tensor;
  /** Targets, e.g. one-hot `[B, K]`. */
  y: tf.Tensor;
}

/** A dataset held in memory as two tensors with examples on the first axis. */
export interface TensorDataset {
  /** All inputs. */
  x: tf.Tensor;
  /** All targets. */
  y: tf.Tensor;
}

/** Transforms a training batch; draws its randomness from `rng` (seeded per epoch). */
export type Augment = (batch: Batch, rng: Rng) => Batch;

/** How to cut a dataset into batches. */
export interface BatchOptions {
  /** Examples per batch. */
  batchSize: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling and augmentation (default 0). */
  seed?: number;
  /** Applied to every batch (training only: leave unset for validation). */
  augment?: Augment;
  /** Drop a last, smaller batch (default false). */
  dropRemainder?: boolean;
  /** At most this many batches per epoch (quick mode). */
  limit?: number;
}

/** The example order of `epoch`: a permutation seeded by `(seed, epoch)`, or identity. */
export function epochOrder(n: number, epoch: number, seed = 0, shuffle = true): Int32Array {
  if (!shuffle) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = Rng.derive(seed, epoch);
  return Int32Array.from(shuffledIndices(n, () => rng.next()));
}

/** Number of batches `batches` yields per epoch. */
export function numBatches(n: number, opts: BatchOptions): number {
  const full = opts.dropRemainder ? Math.floor(n / opts.batchSize) : Math.ceil(n / opts.batchSize);
  return opts.limit != null ? Math.min(full, opts.limit) : full;
}

/** Yields the batches of one epoch (gathered in the epoch's order, then augmented). */
export function* batches(ds: TensorDataset, epoch: number, opts: BatchOptions): Generator<Batch> {
  const n = ds.x.shape[0];
  const order = epochOrder(n, epoch, opts.seed ?? 0, opts.shuffle ?? true);
  const rng = Rng.derive(opts.seed ?? 0, epoch, 1);
  const count = numBatches(n, opts);
  for (let b = 0; b < count; b++) {
    const idx = order.subarray(b * opts.batchSize, Math.min(n, (b + 1) * opts.batchSize));
    const [x, y] = tf.tidy(() => {
      const i = tf.tensor1d(idx, "int32");
      const raw = { x: tf.gather(ds.x, i), y: tf.gather(ds.y, i) };
      const b = opts.augment ? opts.augment(raw, rng) : raw;
      return [b.x, b.y];
    });
    yield { x, y };
  }
}

/**
 * The same batches as a `tf.data.Dataset` for `model.fitDataset` (Keras style). Each new iterator
 * (tfjs makes one per epoch) advances the epoch, so shuffling matches {@link batches}.
 *
 * @param firstEpoch the epoch the first iterator produces (to resume)
 */
export function toTfDataset(
  ds: TensorDataset,
  opts: BatchOptions,
  firstEpoch = 0,
): tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }> {
  let epoch = firstEpoch;
  return tf.data.generator(function* () {
    for (const b of batches(ds, epoch++, opts)) yield { xs: b.x, ys: b.y };
  });
}

/**
 * Augmentation: flips each `NHWC` image left-right with probability `p`.
 */
export function randomFlipLeftRight(p = 0.5): Augment {
  return (batch, rng) => {
    const n = batch.x.shape[0];
    const flips = Float32Array.from({ length: n }, () => (rng.next() < p ? 1 : 0));
    const x = tf.tidy(() => {
      const mask = tf.tensor(flips, [n, ...batch.x.shape.slice(1).map(() => 1)]).cast("bool");
      return tf.where(mask, tf.reverse(batch.x, 2), batch.x);
    });
    return { x, y: batch.y.clone() };
  };
}

/**
 * Augmentation: adds Gaussian-like noise (sum of uniforms, seeded) with standard deviation `std`.
 */
export function gaussianNoise(std: number): Augment {
  return (batch, rng) => {
    const size = batch.x.size;
    const noise = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      noise[i] = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * std; // var of U(0,1)*3 = 1/4
    }
    const x = tf.tidy(() => tf.add(batch.x, tf.tensor(noise, batch.x.shape)));
    return { x, y: batch.y.clone() };
  };
}

/**
 * Augmentation: shifts each `NHWC` image by a random whole number of pixels in
 * `[−maxShift, maxShift]` along each axis; the uncovered border mirrors the image (reflect
 * padding), so no black frame appears that the network could learn to look for.
 */
export function randomShift(maxShift: number): Augment {
  if (!Number.isInteger(maxShift) || maxShift < 0) {
    throw new Error(`randomShift: maxShift must be a whole number >= 0, got ${maxShift}`);
  }
  return (batch, rng) => {
    const [n, h, w] = batch.x.shape;
    if (batch.x.rank !== 4 || maxShift === 0) return { x: batch.x.clone(), y: batch.y.clone() };
    if (maxShift >= h || maxShift >= w) {
      throw new Error(`randomShift: maxShift ${maxShift} must be smaller than the ${h}x${w} image`);
    }
    const span = 2 * maxShift + 1;
    const x = tf.tidy(() => {
      const m = maxShift;
      const padded = tf.mirrorPad(
        batch.x as tf.Tensor4D,
        [[0, 0], [m, m], [m, m], [0, 0]],
        "reflect",
      );
      const parts = Array.from({ length: n }, (_, i) => {
        const dy = Math.floor(rng.next() * span), dx = Math.floor(rng.next() * span);
        return tf.slice(padded, [i, dy, dx, 0], [1, h, w, -1]);
      });
      return tf.concat(parts, 0);
    });
    return { x, y: batch.y.clone() };
  };
}

/**
 * Augmentation: a random brightness and contrast change per `NHWC` image in [0, 1] (lighting
 * differs between photos more than between classes):
 * $x' = \operatorname{clip}\big(c\,(x - \bar x) + \bar x + b,\ 0,\ 1\big)$ with the image mean
 * $\bar x$, $c \sim U[1 - \text{contrast}, 1 + \text{contrast}]$ and
 * $b \sim U[-\text{brightness}, \text{brightness}]$, seeded.
 */
export function randomBrightnessContrast(brightness: number, contrast: number): Augment {
  if (!(brightness >= 0 && brightness < 1) || !(contrast >= 0 && contrast < 1)) {
    throw new Error(
      `randomBrightnessContrast: brightness and contrast must be in [0, 1), got ${brightness}, ${contrast}`,
    );
  }
  return (batch, rng) => {
    const n = batch.x.shape[0];
    const c = Float32Array.from({ length: n }, () => 1 + contrast * (2 * rng.next() - 1));
    const b = Float32Array.from({ length: n }, () => brightness * (2 * rng.next() - 1));
    const x = tf.tidy(() => {
      const shape = [n, ...batch.x.shape.slice(1).map(() => 1)];
      const axes = batch.x.shape.slice(1).map((_, i) => i + 1);
      const mean = tf.mean(batch.x, axes, true);
      return tf.clipByValue(
        batch.x.sub(mean).mul(tf.tensor(c, shape)).add(mean).add(tf.tensor(b, shape)),
        0,
        1,
      );
    });
    return { x, y: batch.y.clone() };
  };
}

/** Applies augmentations in order (intermediate batches are disposed by the caller's `tidy`). */
export function composeAugments(...augments: Augment[]): Augment {
  return (batch, rng) => {
    let b = batch;
    for (const a of augments) {
      const next = a(b, rng);
      if (b !== batch) tf.dispose([b.x, b.y]);
      b = next;
    }
    return b;
  };
}
