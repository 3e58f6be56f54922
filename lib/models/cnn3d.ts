/**
 * Chapter 5's volume classifier: a small 3-D CNN for `D×H×W×C` voxel grids.
 *
 * Blocks of conv 3×3×3 → batch norm → ReLU, each but the last followed by 2×2×2 max pooling, then
 * global average pooling, dropout and a dense layer of class logits (like every model in
 * `lib/models`: the losses take their log-softmax, prediction applies the softmax). tfjs's `batchNormalization` layer refuses
 * 5-D input, so each batch norm is wrapped in two reshapes: `[B, D, H, W, C]` → `[B, D·H, W, C]`
 * → normalize over the channel axis → back. The statistics are per channel over batch and all
 * three spatial axes either way, exactly what Keras's `BatchNormalization` computes on 5-D input.
 * tfjs has no `GlobalAveragePooling3D` either: the same reshape trick turns it into the 1-D one.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { seededDropout } from "../tfjs/seeded_dropout.ts";

/** Options of {@link cnn3d}. */
export interface Cnn3dOptions {
  /** Input shape without the batch axis, `[D, H, W, C]`. */
  inputShape: [number, number, number, number];
  /** Number of classes; the model outputs one logit per class. */
  numClasses: number;
  /** Filters per conv block (default `[16, 32, 64]`). */
  filters?: number[];
  /** Batch norm after each conv (default true; the convs then have no bias). */
  batchNorm?: boolean;
  /** Batch-norm momentum of the moving statistics (default 0.9). */
  momentum?: number;
  /** Dropout before the classifier (default 0.3). */
  dropout?: number;
  /** Seed of the weight initializers (default 1): equal seeds, equal initial weights. */
  seed?: number;
  /** Model name (default `cnn3d`). */
  name?: string;
}

/**
 * Batch normalization of a 5-D tensor `[B, D, H, W, C]` through 4-D reshapes (see the module
 * documentation); `name` prefixes the three layers.
 */
export function batchNorm3d(
  x: tf.SymbolicTensor,
  opts: { momentum?: number; name: string },
): tf.SymbolicTensor {
  const [d, h, w, c] = x.shape.slice(1) as number[];
  const flat = tf.layers.reshape({ targetShape: [d * h, w, c], name: `${opts.name}_to4d` })
    .apply(x) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ momentum: opts.momentum ?? 0.9, name: opts.name })
    .apply(flat) as tf.SymbolicTensor;
  return tf.layers.reshape({ targetShape: [d, h, w, c], name: `${opts.name}_to5d` })
    .apply(bn) as tf.SymbolicTensor;
}

/** Builds the 3-D CNN (functional API): voxel grids → class logits. */
export function cnn3d(opts: Cnn3dOptions): tf.LayersModel {
  const filters = opts.filters ?? [16, 32, 64];
  const useBn = opts.batchNorm ?? true;
  const seed = opts.seed ?? 1;
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const input = tf.input({ shape: opts.inputShape, name: "voxels" });
  let x = input;
  filters.forEach((f, i) => {
    x = tf.layers.conv3d({
      filters: f,
      kernelSize: 3,
      padding: "same",
      useBias: !useBn,
      kernelInitializer: init(i + 1),
      name: `conv${i + 1}`,
    }).apply(x) as tf.SymbolicTensor;
    if (useBn) x = batchNorm3d(x, { momentum: opts.momentum, name: `bn${i + 1}` });
    x = tf.layers.reLU({ name: `relu${i + 1}` }).apply(x) as tf.SymbolicTensor;
    if (i < filters.length - 1) {
      x = tf.layers.maxPooling3d({ poolSize: 2, name: `pool${i + 1}` }).apply(
        x,
      ) as tf.SymbolicTensor;
    }
  });
  const [d, h, w, c] = x.shape.slice(1) as number[];
  x = tf.layers.reshape({ targetShape: [d * h * w, c], name: "voxels_flat" }).apply(
    x,
  ) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling1d({ name: "gap" }).apply(x) as tf.SymbolicTensor;
  // Not tf.layers.dropout: seeded, it drops the same units at every step. SeededDropout draws a new
  // mask per step from a seeded sequence.
  x = seededDropout({ rate: opts.dropout ?? 0.3, seed: seed * 100 + 98, name: "dropout" })
    .apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: opts.numClasses,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 99 }),
    name: "logits",
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: opts.name ?? "cnn3d" });
}
