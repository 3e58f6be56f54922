/**
 * Losses for classifiers that output logits (the models in `lib/models` do: softmax is applied
 * only to read probabilities at prediction time), usable as a `model.compile` loss and in a
 * `LightningModule`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Categorical cross-entropy with label smoothing, on logits: the one-hot target `y` becomes
 * `(1 − ε)·y + ε/K` (for K classes: `1 − ε + ε/K` on the true class, `ε/K` on each other one), and
 * the loss is `−Σ target · logSoftmax(logits)`. `tf.logSoftmax` subtracts the row's largest logit
 * before exponentiating, so no probability is ever rounded to 0 and no clipping is needed (unlike
 * `log(softmax(z))`). `ε = 0` is plain cross-entropy.
 *
 * @returns `(yTrue, logits) => per-example losses [B]` (tfjs averages them over the batch)
 */
export function smoothedCrossEntropy(
  epsilon = 0.1,
): (yTrue: tf.Tensor, logits: tf.Tensor) => tf.Tensor {
  if (!(epsilon >= 0 && epsilon < 1)) {
    throw new Error(`smoothedCrossEntropy: epsilon must be in [0, 1), got ${epsilon}`);
  }
  return (yTrue, logits) =>
    tf.tidy(() => {
      const k = yTrue.shape[yTrue.rank - 1] as number;
      const target = epsilon > 0 ? tf.add(tf.mul(yTrue, 1 - epsilon), epsilon / k) : yTrue;
      return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1));
    });
}

/** The batch mean of {@link smoothedCrossEntropy} as a scalar. */
export function meanSmoothedCrossEntropy(
  yTrue: tf.Tensor,
  logits: tf.Tensor,
  epsilon = 0.1,
): tf.Scalar {
  return tf.tidy(() => tf.mean(smoothedCrossEntropy(epsilon)(yTrue, logits)) as tf.Scalar);
}
