/**
 * Small CNN builders used by chapter 2's first models, the training tests and the benchmarks.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options of {@link smallCnn2d} / {@link smallCnn3d}. */
export interface SmallCnnOptions {
  /** Input shape without the batch axis, e.g. `[28, 28, 1]` or `[32, 32, 32, 1]`. */
  inputShape: number[];
  /** Number of classes (softmax logits are returned, no activation). */
  numClasses: number;
  /** Filters of the two conv blocks (default `[16, 32]`). */
  filters?: [number, number];
  /** Seed of the weight initializers (default 1): equal seeds give equal initial weights. */
  seed?: number;
}

/**
 * conv3x3(relu) → maxpool2 → conv3x3(relu) → maxpool2 → flatten → dense logits.
 */
export function smallCnn2d(opts: SmallCnnOptions): tf.Sequential {
  const [f1, f2] = opts.filters ?? [16, 32];
  const seed = opts.seed ?? 1;
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const m = tf.sequential({ name: "small_cnn_2d" });
  m.add(tf.layers.conv2d({
    inputShape: opts.inputShape,
    filters: f1,
    kernelSize: 3,
    padding: "same",
    activation: "relu",
    kernelInitializer: init(1),
  }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      filters: f2,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(2),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: opts.numClasses, kernelInitializer: init(3) }));
  return m;
}

/**
 * The 3-D analogue: conv3d 3³(relu) → maxpool3d 2 → conv3d 3³(relu) → maxpool3d 2 → flatten →
 * dense logits.
 */
export function smallCnn3d(opts: SmallCnnOptions): tf.Sequential {
  const [f1, f2] = opts.filters ?? [8, 16];
  const seed = opts.seed ?? 1;
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const m = tf.sequential({ name: "small_cnn_3d" });
  m.add(tf.layers.conv3d({
    inputShape: opts.inputShape,
    filters: f1,
    kernelSize: 3,
    padding: "same",
    activation: "relu",
    kernelInitializer: init(1),
  }));
  m.add(tf.layers.maxPooling3d({ poolSize: 2 }));
  m.add(
    tf.layers.conv3d({
      filters: f2,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(2),
    }),
  );
  m.add(tf.layers.maxPooling3d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: opts.numClasses, kernelInitializer: init(3) }));
  return m;
}
