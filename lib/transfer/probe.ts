/**
 * The linear probe as the convex problem it is: multinomial logistic regression with an L2 penalty
 * on frozen features, trained full-batch from zero weights (no seed, no dropout, no epochs to pick:
 * one solution per penalty λ, which is chosen on validation), plus {@link pooledLayers}, a model
 * that reads several layers of a backbone in one forward pass and averages each over positions.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * A model with the input of `chain` (a plain stack of layers, such as Darknet-tiny or a
 * `layersBetween`/`foldBatchNorm` piece of it) whose output is the concatenation, in the given
 * order, of the named layers' outputs, each averaged over its spatial positions (outputs that are
 * already vectors, like logits, are kept as they are). The chain is applied once, up to the last
 * named layer; weights are shared with `chain`.
 */
export function pooledLayers(chain: tf.LayersModel, names: string[]): tf.LayersModel {
  const inShape = (chain.inputs[0].shape as (number | null)[]).slice(1) as number[];
  const input = tf.input({ shape: inShape });
  const layers = chain.layers.filter((l) => l.getClassName() !== "InputLayer");
  const missing = names.filter((n) => !layers.some((l) => l.name === n));
  if (missing.length > 0) {
    throw new Error(
      `pooledLayers: ${chain.name} has no layer ${missing.join(", ")}; its layers: ${
        layers.map((l) => l.name).join(", ")
      }`,
    );
  }
  const found = new Map<string, tf.SymbolicTensor>();
  let x: tf.SymbolicTensor = input;
  for (const layer of layers) {
    if (found.size === names.length) break;
    x = layer.apply(x) as tf.SymbolicTensor;
    if (names.includes(layer.name)) {
      found.set(
        layer.name,
        x.shape.length === 4
          ? tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor
          : x,
      );
    }
  }
  const outputs = names.map((n) => found.get(n)!);
  return tf.model({
    inputs: input,
    outputs: outputs.length === 1
      ? outputs[0]
      : tf.layers.concatenate({}).apply(outputs) as tf.SymbolicTensor,
    name: `${chain.name}_pooled`,
  });
}

/** Options of {@link fitSoftmaxRegression}. */
export interface SoftmaxRegressionOptions {
  /** The penalty λ in `mean cross-entropy + λ/2 · ‖W‖²` (the bias is not penalised). */
  l2: number;
  /** Full-batch Adam steps (default 300). */
  steps?: number;
  /** Adam's learning rate (default 0.01; the features should be standardized). */
  lr?: number;
  /** Start from these weights instead of zeros (a warm start along a λ path). */
  init?: { w: tf.Tensor2D; b: tf.Tensor1D };
}

/** Weights of a softmax regression: `logits = x W + b`. */
export interface SoftmaxRegression {
  /** `d × k` weights. */
  w: tf.Tensor2D;
  /** `k` biases. */
  b: tf.Tensor1D;
  /** The penalised training loss at the end. */
  loss: number;
}

/**
 * Multinomial logistic regression: minimises `mean_i CE(softmax(x_i W + b), y_i) + λ/2 ‖W‖²` over
 * `W, b` with full-batch Adam from zeros (or `init`). `y` is one-hot (`n × k`). Deterministic: the
 * same inputs give the same weights.
 */
export function fitSoftmaxRegression(
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  opts: SoftmaxRegressionOptions,
): SoftmaxRegression {
  const [d, k] = [x.shape[1], y.shape[1]];
  const w = tf.variable(opts.init ? opts.init.w.clone() : tf.zeros([d, k]), true) as tf.Variable<
    tf.Rank.R2
  >;
  const b = tf.variable(opts.init ? opts.init.b.clone() : tf.zeros([k]), true) as tf.Variable<
    tf.Rank.R1
  >;
  const optimizer = tf.train.adam(opts.lr ?? 0.01);
  const objective = () =>
    tf.add(
      tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)),
      tf.mul(opts.l2 / 2, tf.sum(tf.square(w))),
    ) as tf.Scalar;
  const steps = opts.steps ?? 300;
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      optimizer.minimize(objective, false, [w, b]);
    });
  }
  const loss = tf.tidy(() => objective().dataSync()[0]);
  optimizer.dispose();
  const out = { w: w.clone() as tf.Tensor2D, b: b.clone() as tf.Tensor1D, loss };
  tf.dispose([w, b]);
  return out;
}

/** Class logits `x W + b` of a fitted {@link SoftmaxRegression}. */
export function regressionLogits(model: SoftmaxRegression, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(x, model.w), model.b) as tf.Tensor2D);
}

/**
 * Test-time augmentation: `predict` applied to several views of each example, the class
 * probabilities averaged. `x` is `N × V × …` (V views of each example, e.g. a photo and its mirror,
 * stacked on axis 1); returns `N × k` averaged probabilities.
 */
export function viewAveraged(
  predict: (x: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor2D {
  return (x) =>
    tf.tidy(() => {
      const [n, v, ...rest] = x.shape;
      const p = tf.softmax(predict(tf.reshape(x, [n * v, ...rest])));
      return tf.mean(tf.reshape(p, [n, v, -1]), 1) as tf.Tensor2D;
    });
}

/**
 * The candidate with the highest validation accuracy `val` (the first one on a tie): how a
 * backbone, a feature set or a training regime is chosen — separately for each dataset, since a
 * recipe chosen on one dataset's validation split is not thereby chosen for another.
 */
export function bestOnValidation<T extends { val: number }>(candidates: readonly T[]): T {
  if (candidates.length === 0) throw new Error("bestOnValidation: no candidates");
  return candidates.reduce((best, c) => (c.val > best.val ? c : best));
}
