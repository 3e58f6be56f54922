/**
 * Evaluating a classifier on a dataset in batches — the one metrics path both training styles use
 * (the Trainer's validation and, for `model.fit`, {@link evaluateClassifier} on `model.predict`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Batch, batches, type TensorDataset } from "./batches.ts";
import { type ClassificationReport, classificationReport } from "./metrics.ts";
import { rocAuc } from "./roc.ts";

/** Result of {@link evaluateClassifier}. */
export interface Evaluation {
  /** Mean loss over examples (NaN when the step returned no loss). */
  loss: number;
  /** Number of examples evaluated. */
  count: number;
  /** Accuracy, per-class metrics and confusion matrix (null without `numClasses`). */
  report: ClassificationReport | null;
  /**
   * With `numClasses: 2`: the scores of class 1 (the predictions' second column), in dataset
   * order, and their ROC AUC (NaN when only one class occurs).
   */
  binary?: { scores: Float32Array; auc: number };
}

/** What one evaluation step returns for a batch: predictions and optionally the mean loss. */
export type EvalStep = (batch: Batch) => { pred: tf.Tensor; loss?: tf.Scalar };

/**
 * Runs `step` over `ds` in order, in batches, and scores the predictions against one-hot targets.
 *
 * @param step e.g. `(b) => ({ pred: model.predict(b.x) as tf.Tensor })` for a Layers model
 * @param opts batch size, `numClasses` and class `labels` for the report, `limit` on batches
 */
export async function evaluateClassifier(
  step: EvalStep,
  ds: TensorDataset,
  opts: { batchSize: number; numClasses?: number; labels?: string[]; limit?: number },
): Promise<Evaluation> {
  let lossSum = 0, count = 0, withLoss = 0;
  const truth: number[] = [], predicted: number[] = [], positive: number[] = [];
  for (
    const batch of batches(ds, 0, { batchSize: opts.batchSize, shuffle: false, limit: opts.limit })
  ) {
    const n = batch.x.shape[0];
    const [pred, loss] = tf.tidy(() => {
      const r = step(batch);
      return r.loss ? [r.pred, r.loss] : [r.pred];
    });
    if (loss) {
      lossSum += (await loss.data())[0] * n;
      withLoss += n;
    }
    count += n;
    if (opts.numClasses != null) {
      truth.push(...await argmaxRows(batch.y));
      predicted.push(...await argmaxRows(pred));
      if (opts.numClasses === 2) {
        const p = (await pred.data()) as Float32Array;
        for (let r = 0; r < n; r++) positive.push(p[2 * r + 1]);
      }
    }
    tf.dispose([pred, loss, batch.x, batch.y].filter((t): t is tf.Tensor => t != null));
  }
  return {
    loss: withLoss > 0 ? lossSum / withLoss : NaN,
    count,
    report: opts.numClasses != null
      ? classificationReport(truth, predicted, opts.numClasses, opts.labels)
      : null,
    ...(opts.numClasses === 2 ? { binary: binaryScores(positive, truth) } : {}),
  };
}

function binaryScores(scores: number[], truth: number[]): { scores: Float32Array; auc: number } {
  const both = truth.includes(0) && truth.includes(1);
  return { scores: Float32Array.from(scores), auc: both ? rocAuc(scores, truth) : NaN };
}

/** Row-wise argmax of a `[N, K]` tensor (scores or one-hot targets), as integers. */
export async function argmaxRows(t: tf.Tensor): Promise<Int32Array> {
  const a = tf.argMax(t, -1);
  const v = (await a.data()) as Int32Array;
  a.dispose();
  return Int32Array.from(v);
}
