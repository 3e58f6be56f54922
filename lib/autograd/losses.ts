/**
 * Loss functions: a single number that says how wrong the predictions are, built from tensor
 * operations so that `loss.backward()` reaches every parameter.
 *
 * @module
 */

import { formatShape, sameShape } from "./ndarray.ts";
import { assertFinite, Tensor } from "./tensor.ts";

function checkLabels(logits: Tensor, labels: ArrayLike<number>, op: string): void {
  if (logits.rank !== 2 || logits.shape[0] !== labels.length) {
    throw new Error(
      `${op}: need logits of shape [n,classes] and n labels, got ${formatShape(logits.shape)} ` +
        `and ${labels.length} labels`,
    );
  }
  const classes = logits.shape[1];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(
        `${op}: label ${label} of example ${i} is not a class index: labels must be integers ` +
          `0…${classes - 1} for logits of shape ${formatShape(logits.shape)}`,
      );
    }
  }
  assertFinite(logits.data, op, logits.shape);
}

/**
 * Mean squared error between predictions and targets of the same shape. Shapes must match
 * exactly: [2,1] against [1,2] would otherwise broadcast (or, reshaped, pair up the wrong values)
 * and silently measure something else.
 */
export function mseLoss(prediction: Tensor, target: Tensor): Tensor {
  if (!sameShape(prediction.shape, target.shape)) {
    throw new Error(
      `mseLoss: prediction ${formatShape(prediction.shape)} and target ` +
        `${formatShape(target.shape)} must have the same shape`,
    );
  }
  const diff = prediction.sub(target);
  return diff.mul(diff).mean();
}

/**
 * Cross-entropy of raw scores (logits) against integer class labels: the mean over examples of
 * −log softmax(logits)[label]. Combining log-softmax with the pick keeps it numerically stable.
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  checkLabels(logits, labels, "crossEntropy");
  return logits.logSoftmax().pick(labels).mean().neg();
}

/**
 * Cross-entropy against smoothed targets: the true class gets 1 − ε + ε/C and every other class
 * ε/C (Szegedy et al., 2016). It stops the network from pushing logits towards infinity to be
 * ever more certain, which often improves calibration and accuracy.
 * Equals (1 − ε)·CE + ε·mean over classes of −log p.
 */
export function labelSmoothingCrossEntropy(
  logits: Tensor,
  labels: ArrayLike<number>,
  smoothing = 0.1,
): Tensor {
  checkLabels(logits, labels, "labelSmoothingCrossEntropy");
  if (!(smoothing >= 0 && smoothing < 1)) {
    throw new Error(`labelSmoothingCrossEntropy: smoothing must be in [0, 1), got ${smoothing}`);
  }
  const logProbs = logits.logSoftmax();
  const nll = logProbs.pick(labels).mean().neg();
  const uniform = logProbs.mean().neg();
  return nll.mul(1 - smoothing).add(uniform.mul(smoothing));
}

/**
 * Focal loss (Lin et al., 2017): −(1 − p)^γ · log p for the true class's probability p. Easy,
 * confidently right examples are down-weighted so training concentrates on hard ones. γ = 0 is
 * plain cross-entropy.
 */
export function focalLoss(logits: Tensor, labels: ArrayLike<number>, gamma = 2): Tensor {
  checkLabels(logits, labels, "focalLoss");
  const logP = logits.logSoftmax().pick(labels);
  const weight = logP.exp().neg().add(1).pow(gamma);
  return weight.mul(logP).mean().neg();
}
