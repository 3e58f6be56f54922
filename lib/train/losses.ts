/**
 * Losses for classifiers whose model ends in a softmax (outputs are probabilities, as Keras-style
 * models usually are), usable as a `model.compile` loss and in a `LightningModule`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Categorical cross-entropy with label smoothing, on probabilities: the one-hot target `y` becomes
 * `(1 − ε)·y + ε/K`, so a confident right answer still has loss > 0 and the network is never pushed
 * to infinite logits. `ε = 0` is plain cross-entropy. Probabilities are clipped to `[1e-7, 1]`.
 *
 * @returns `(yTrue, yPred) => per-example losses [B]` (tfjs averages them over the batch)
 */
export function smoothedCrossEntropy(
  epsilon = 0.1,
): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  if (!(epsilon >= 0 && epsilon < 1)) {
    throw new Error(`smoothedCrossEntropy: epsilon must be in [0, 1), got ${epsilon}`);
  }
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const k = yTrue.shape[yTrue.rank - 1] as number;
      const target = epsilon > 0 ? tf.add(tf.mul(yTrue, 1 - epsilon), epsilon / k) : yTrue;
      const logP = tf.log(tf.clipByValue(yPred, 1e-7, 1));
      return tf.neg(tf.sum(tf.mul(target, logP), -1));
    });
}

/** The batch mean of {@link smoothedCrossEntropy} as a scalar. */
export function meanSmoothedCrossEntropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  epsilon = 0.1,
): tf.Scalar {
  return tf.tidy(() => tf.mean(smoothedCrossEntropy(epsilon)(yTrue, yPred)) as tf.Scalar);
}
