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
  /** Filters of the two conv blocks (default `[16, 32]` in 2-D, `[8, 16]` in 3-D). */
  filters?: [number, number];
  /** Seed of the weight initializers (default 1): equal seeds give equal initial weights. */
  seed?: number;
}

/** The layers that differ between the 2-D and the 3-D network. */
const LAYERS = {
  2: { conv: tf.layers.conv2d, pool: tf.layers.maxPooling2d },
  3: { conv: tf.layers.conv3d, pool: tf.layers.maxPooling3d },
};

/**
 * Two blocks of conv 3^dims (relu, "same" padding) → maxpool 2, then flatten → dense logits.
 * Initializer seeds are `seed * 100 + 1, 2, 3` for the two convs and the dense layer.
 */
function smallCnn(
  dims: 2 | 3,
  name: string,
  defaultFilters: [number, number],
  opts: SmallCnnOptions,
): tf.Sequential {
  const { conv, pool } = LAYERS[dims];
  const seed = opts.seed ?? 1;
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const m = tf.sequential({ name });
  (opts.filters ?? defaultFilters).forEach((filters, i) => {
    m.add(conv({
      // Only the first layer declares the input; later ones infer it.
      inputShape: i === 0 ? opts.inputShape : undefined,
      filters,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(i + 1),
    }));
    m.add(pool({ poolSize: 2 }));
  });
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: opts.numClasses, kernelInitializer: init(3) }));
  return m;
}

/**
 * conv3x3(relu) → maxpool2 → conv3x3(relu) → maxpool2 → flatten → dense logits.
 */
export function smallCnn2d(opts: SmallCnnOptions): tf.Sequential {
  return smallCnn(2, "small_cnn_2d", [16, 32], opts);
}

/**
 * The 3-D analogue: conv3d 3³(relu) → maxpool3d 2 → conv3d 3³(relu) → maxpool3d 2 → flatten →
 * dense logits.
 */
export function smallCnn3d(opts: SmallCnnOptions): tf.Sequential {
  return smallCnn(3, "small_cnn_3d", [8, 16], opts);
}
