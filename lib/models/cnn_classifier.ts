/**
 * Chapter 2's image classifier: a small VGG-style CNN for N classes on small RGB images (64×64×3
 * by default), with a choice of pooling — max pooling or learnable generalized-mean (GeM) pooling.
 * The model returns logits; losses
 * take their log-softmax and only prediction applies the softmax. One definition serves both training styles: `model.fit` trains it directly, and the
 * Lightning-style module wraps the same model (with GeM routed through the `tf.customGrad` op).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type GemImpl, gemPooling2d } from "../tfjs/gem_pool.ts";
import { seededDropout } from "../tfjs/seeded_dropout.ts";

/**
 * Which pooling the classifier uses: `"max"` — 2×2 max pooling and global max pooling; `"gem"` —
 * 2×2 max pooling and a global GeM head (the usual place for GeM); `"gem-all"` — GeM in every
 * pooling layer (about 1.7× slower per step on the wasm backend: `pow` on every activation).
 */
export type Pooling = "max" | "gem" | "gem-all";

/** Options of {@link cnnClassifier}. */
export interface CnnClassifierOptions {
  /** Number of classes; the model outputs one logit per class (softmax them for probabilities). */
  numClasses: number;
  /** Side of the square input images (default 64). */
  imageSize?: number;
  /** Input channels (default 3). */
  channels?: number;
  /**
   * Filters per conv block (default `[16, 32, 64, 128]`). Each block is conv3×3 → batch norm →
   * ReLU; every block but the last halves the resolution with a 2×2 pool, the last is pooled
   * globally.
   */
  filters?: number[];
  /** See {@link Pooling} (default `"max"`). */
  pooling?: Pooling;
  /** GeM implementation: `"ops"` (autodiff, default) or `"customGrad"` (hand-written backward). */
  gemImpl?: GemImpl;
  /**
   * Batch normalization after each conv (default false, chapter 2's recipe; the convs then carry a
   * bias instead). Its gradient on wasm is one fused pass (`lib/tfjs/kernels_batchnorm.ts`).
   */
  batchNorm?: boolean;
  /** Dropout before the classifier (default 0.3). */
  dropout?: number;
  /**
   * Seed of the weight initializers and of the dropout masks (default 1): equal seeds, equal
   * initial weights and equal masks step by step.
   */
  seed?: number;
  /** Model name (default `cnn_<pooling>`). */
  name?: string;
}

/**
 * Builds the classifier (functional API): `imageSize² × channels` inputs in [0, 1] → class
 * logits (unnormalized log-probabilities; `tf.softmax` turns them into probabilities).
 */
export function cnnClassifier(opts: CnnClassifierOptions): tf.LayersModel {
  const size = opts.imageSize ?? 64;
  const channels = opts.channels ?? 3;
  const filters = opts.filters ?? [16, 32, 64, 128];
  const pooling = opts.pooling ?? "max";
  const seed = opts.seed ?? 1;
  if (filters.length < 1) throw new Error("cnnClassifier: at least one conv block");
  if (size % 2 ** (filters.length - 1) !== 0) {
    throw new Error(
      `cnnClassifier: image size ${size} is not divisible by 2^${filters.length - 1}`,
    );
  }
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const input = tf.input({ shape: [size, size, channels], name: "image" });
  let h: tf.SymbolicTensor = input;
  filters.forEach((f, i) => {
    const block = `block${i + 1}`;
    h = tf.layers.conv2d({
      filters: f,
      kernelSize: 3,
      padding: "same",
      useBias: !opts.batchNorm,
      kernelInitializer: init(i + 1),
      name: `${block}_conv`,
    }).apply(h) as tf.SymbolicTensor;
    if (opts.batchNorm) {
      h = tf.layers.batchNormalization({ name: `${block}_bn` }).apply(h) as tf.SymbolicTensor;
    }
    h = tf.layers.reLU({ name: `${block}_relu` }).apply(h) as tf.SymbolicTensor;
    const last = i === filters.length - 1;
    const gem = pooling === "gem-all" || (pooling === "gem" && last);
    const poolName = `${block}_${last ? "global_" : ""}${gem ? "gem" : "max"}pool`;
    if (gem) {
      h = gemPooling2d({ poolSize: last ? null : 2, impl: opts.gemImpl, name: poolName })
        .apply(h) as tf.SymbolicTensor;
    } else if (last) {
      h = tf.layers.globalMaxPooling2d({ name: poolName }).apply(h) as tf.SymbolicTensor;
    } else {
      h = tf.layers.maxPooling2d({ poolSize: 2, name: poolName }).apply(h) as tf.SymbolicTensor;
    }
  });
  // Not tf.layers.dropout: unseeded it differs from run to run, seeded it drops the same units at
  // every step. SeededDropout draws a new mask per step from a seeded sequence.
  h = seededDropout({ rate: opts.dropout ?? 0.3, seed: seed * 100 + 98, name: "dropout" })
    .apply(h) as tf.SymbolicTensor;
  // Logits, no softmax: the loss takes log-softmax of them (stable), prediction applies softmax.
  const output = tf.layers.dense({
    units: opts.numClasses,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 99 }),
    name: "logits",
  }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: opts.name ?? `cnn_${pooling}` });
}
