/**
 * Evaluating a classifier on a dataset in batches — the one metrics path both training styles use
 * (the Trainer's validation and, for `model.fit`, {@link evaluateClassifier} on `model.predict`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Batch, batches, type TensorDataset } from "./batches.ts";
import { type Evaluation as Scores, EvaluationAccumulator } from "../common/evaluation.ts";
import { rocAuc } from "./roc.ts";

/** Result of {@link evaluateClassifier}: the shared scores (`lib/common/evaluation.ts`) and more. */
export interface Evaluation extends Scores {
  /**
   * With `numClasses: 2`: the probability of class 1 (the softmax of the predicted logits, as the
   * models in `lib/models` output logits), in dataset order, and their ROC AUC (NaN when only one
   * class occurs).
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
  const scores = new EvaluationAccumulator();
  const truth: number[] = [], positive: number[] = [];
  for (
    const batch of batches(ds, 0, { batchSize: opts.batchSize, shuffle: false, limit: opts.limit })
  ) {
    const n = batch.x.shape[0];
    const [pred, loss] = tf.tidy(() => {
      const r = step(batch);
      return r.loss ? [r.pred, r.loss] : [r.pred];
    });
    const lossValue = loss ? (await loss.data())[0] : undefined;
    if (opts.numClasses != null) {
      const batchTruth = await argmaxRows(batch.y);
      scores.add(n, lossValue, batchTruth, await argmaxRows(pred));
      if (opts.numClasses === 2) {
        const p = (await pred.data()) as Float32Array;
        // softmax([l0, l1])[1] = 1 / (1 + e^(l0 - l1))
        for (let r = 0; r < n; r++) positive.push(1 / (1 + Math.exp(p[2 * r] - p[2 * r + 1])));
        truth.push(...batchTruth);
      }
    } else {
      scores.add(n, lossValue);
    }
    tf.dispose([pred, loss, batch.x, batch.y].filter((t): t is tf.Tensor => t != null));
  }
  return {
    ...scores.result(opts.numClasses, opts.labels),
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
