/**
 * Xception (Chollet, 2017) with the functional `tf.layers` API, in the exact layout of Keras'
 * `keras.applications.Xception`: at 299×299 and 1000 classes it has the same 22,910,480
 * parameters (20,861,480 without the top), and each layer has the same output shape (see
 * `xception_test.ts`). Layer names follow Keras (`block1_conv1`, `block4_sepconv2_bn`,
 * `block13_pool`, …); the unnamed layers of Keras' code get names here too: the shortcut of block
 * N is `blockN_shortcut` (+ `_bn`), its sum `blockN_add`.
 *
 * - **Entry flow**: two plain 3×3 convolutions (the first with stride 2), then blocks 2-4: two
 *   depthwise-separable 3×3 convolutions and a 3×3/2 max pool, added to a 1×1/2 convolution of
 *   the block's input (the *shortcut*). Block 2 starts without a ReLU (its input has just had
 *   one); blocks 3 and 4 start with one.
 * - **Middle flow**: blocks 5-12, each three ReLU → separable conv → BN with the identity
 *   shortcut; the count is a parameter (`middleBlocks`, 8 in the paper).
 * - **Exit flow**: block 13 (728 → 1024 channels, pooled, with a shortcut), block 14 (separable
 *   convolutions to 1536 and 2048 channels with ReLU), global average pooling and a dense
 *   classifier. It returns **logits** (Keras' `classifier_activation=None`): the book's losses
 *   take logits, and `tf.softmax` turns them into probabilities where a page needs them
 *   (`softmax: true` adds Keras' default final softmax).
 *
 * Every convolution has batch normalization after it and no bias.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { seededDropout } from "../tfjs/seeded_dropout.ts";
import { scaleFilters } from "./squeezenet.ts";

/** Options of {@link xception}. */
export interface XceptionOptions {
  /** Number of classes (default 1000). */
  numClasses?: number;
  /** Side of the square input (default 299; at least 36). */
  imageSize?: number;
  /** Input channels (default 3). */
  channels?: number;
  /** Multiplies every convolution's filter count (default 1). */
  widthMultiplier?: number;
  /** Blocks in the middle flow (default 8). */
  middleBlocks?: number;
  /** Include the head — global average pooling and the dense classifier (default true). */
  includeTop?: boolean;
  /** Dropout before the classifier (default 0: Keras has none; seeded, see `SeededDropout`). */
  dropout?: number;
  /** End with a softmax (default false: the model returns logits). */
  softmax?: boolean;
  /** Seed of the weight initializers (default 1). */
  seed?: number;
  /** Model name (default `xception`). */
  name?: string;
}

/** The filter counts of the full-size network, per flow. */
export const XCEPTION_FILTERS = {
  stem: [32, 64],
  entry: [128, 256, 728],
  middle: 728,
  exit: [728, 1024],
  final: [1536, 2048],
} as const;

/** Builds Xception (see the module documentation). */
export function xception(opts: XceptionOptions = {}): tf.LayersModel {
  const size = opts.imageSize ?? 299;
  const alpha = opts.widthMultiplier ?? 1;
  const middleBlocks = opts.middleBlocks ?? 8;
  if (!(alpha > 0)) throw new Error(`xception: widthMultiplier must be > 0, got ${alpha}`);
  if (!Number.isInteger(middleBlocks) || middleBlocks < 0) {
    throw new Error(`xception: middleBlocks must be a whole number >= 0, got ${middleBlocks}`);
  }
  if (size < 36) throw new Error(`xception: imageSize ${size} is below the smallest, 36`);
  const f = (n: number) => scaleFilters(n, alpha);
  let seed = (opts.seed ?? 1) * 1000;
  const glorot = () => tf.initializers.glorotUniform({ seed: seed++ });

  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, name: string) =>
    apply(tf.layers.activation({ activation: "relu", name }), x);
  const bn = (x: tf.SymbolicTensor, name: string) =>
    apply(tf.layers.batchNormalization({ axis: -1, name }), x);
  const conv = (
    x: tf.SymbolicTensor,
    filters: number,
    kernel: number,
    strides: number,
    name: string,
  ) =>
    apply(
      tf.layers.conv2d({
        filters,
        kernelSize: kernel,
        strides,
        padding: kernel === 1 ? "same" : "valid",
        useBias: false,
        kernelInitializer: glorot(),
        name,
      }),
      x,
    );
  const sepconv = (x: tf.SymbolicTensor, filters: number, name: string) =>
    apply(
      tf.layers.separableConv2d({
        filters,
        kernelSize: 3,
        padding: "same",
        useBias: false,
        depthwiseInitializer: glorot(),
        pointwiseInitializer: glorot(),
        name,
      }),
      x,
    );
  const maxPool = (x: tf.SymbolicTensor, name: string) =>
    apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name }), x);
  const add = (a: tf.SymbolicTensor, b: tf.SymbolicTensor, name: string) =>
    apply(tf.layers.add({ name }), [a, b]);

  const input = tf.input({ shape: [size, size, opts.channels ?? 3], name: "image" });
  // Entry flow: the stem.
  let x = conv(input, f(32), 3, 2, "block1_conv1");
  x = relu(bn(x, "block1_conv1_bn"), "block1_conv1_act");
  x = conv(x, f(64), 3, 1, "block1_conv2");
  x = relu(bn(x, "block1_conv2_bn"), "block1_conv2_act");

  /** A downsampling block: [ReLU] sep → BN → ReLU → sep → BN → pool, plus a 1×1/2 shortcut. */
  const downBlock = (
    x: tf.SymbolicTensor,
    b: number,
    filters: [number, number],
    firstRelu: boolean,
  ) => {
    const p = `block${b}`;
    const shortcut = bn(conv(x, filters[1], 1, 2, `${p}_shortcut`), `${p}_shortcut_bn`);
    let h = firstRelu ? relu(x, `${p}_sepconv1_act`) : x;
    h = bn(sepconv(h, filters[0], `${p}_sepconv1`), `${p}_sepconv1_bn`);
    h = relu(h, `${p}_sepconv2_act`);
    h = bn(sepconv(h, filters[1], `${p}_sepconv2`), `${p}_sepconv2_bn`);
    h = maxPool(h, `${p}_pool`);
    return add(h, shortcut, `${p}_add`);
  };
  x = downBlock(x, 2, [f(128), f(128)], false);
  x = downBlock(x, 3, [f(256), f(256)], true);
  x = downBlock(x, 4, [f(728), f(728)], true);

  // Middle flow: identity shortcuts.
  for (let i = 0; i < middleBlocks; i++) {
    const p = `block${i + 5}`;
    let h = x;
    for (let j = 1; j <= 3; j++) {
      h = relu(h, `${p}_sepconv${j}_act`);
      h = bn(sepconv(h, f(728), `${p}_sepconv${j}`), `${p}_sepconv${j}_bn`);
    }
    x = add(h, x, `${p}_add`);
  }

  // Exit flow (numbered after the middle flow, as Keras does: blocks 13 and 14 for 8 blocks).
  const b = middleBlocks + 5;
  x = downBlock(x, b, [f(728), f(1024)], true);
  x = bn(sepconv(x, f(1536), `block${b + 1}_sepconv1`), `block${b + 1}_sepconv1_bn`);
  x = relu(x, `block${b + 1}_sepconv1_act`);
  x = bn(sepconv(x, f(2048), `block${b + 1}_sepconv2`), `block${b + 1}_sepconv2_bn`);
  x = relu(x, `block${b + 1}_sepconv2_act`);

  if (opts.includeTop ?? true) {
    x = apply(tf.layers.globalAveragePooling2d({ name: "avg_pool" }), x);
    if (opts.dropout) {
      x = apply(
        seededDropout({ rate: opts.dropout, seed: (opts.seed ?? 1) * 1000 + 999, name: "dropout" }),
        x,
      );
    }
    x = apply(
      tf.layers.dense({
        units: opts.numClasses ?? 1000,
        activation: opts.softmax ? "softmax" : "linear",
        kernelInitializer: glorot(),
        name: "predictions",
      }),
      x,
    );
  }
  return tf.model({ inputs: input, outputs: x, name: opts.name ?? "xception" });
}
