/**
 * The one way a classifier's evaluation is scored, whichever engine made the predictions: the
 * from-scratch engine (`lib/autograd/classifier.ts`) and tfjs (`lib/train/evaluate.ts`,
 * `evaluateClassifier`) both feed batches of true labels, predicted labels and mean losses into an
 * {@link EvaluationAccumulator} and return its {@link Evaluation}.
 *
 * @module
 */
import { type ClassificationReport, classificationReport } from "./metrics.ts";

/** The result of evaluating a classifier on a dataset. */
export interface Evaluation {
  /** Mean loss over examples (NaN when no batch reported a loss). */
  loss: number;
  /** Number of examples evaluated. */
  count: number;
  /** Accuracy, per-class metrics and confusion matrix (null without `numClasses`). */
  report: ClassificationReport | null;
  /** The predicted class of every example, in order (empty without `numClasses`). */
  predictions: Int32Array;
}

/** Collects per-batch results and scores them once at the end. */
export class EvaluationAccumulator {
  #lossSum = 0;
  #withLoss = 0;
  #count = 0;
  #truth: number[] = [];
  #predicted: number[] = [];

  /**
   * Adds one batch of `n` examples: its mean loss (if any) and, for the report, the true and
   * predicted class indices.
   */
  add(n: number, loss?: number, truth?: ArrayLike<number>, predicted?: ArrayLike<number>): void {
    if (loss !== undefined) {
      this.#lossSum += loss * n;
      this.#withLoss += n;
    }
    this.#count += n;
    if (truth && predicted) {
      if (truth.length !== n || predicted.length !== n) {
        throw new Error(
          `EvaluationAccumulator: batch of ${n} with ${truth.length} labels and ` +
            `${predicted.length} predictions`,
        );
      }
      for (let i = 0; i < n; i++) {
        this.#truth.push(truth[i]);
        this.#predicted.push(predicted[i]);
      }
    }
  }

  /** The evaluation so far; with `numClasses`, the classification report too. */
  result(numClasses?: number, labels?: string[]): Evaluation {
    return {
      loss: this.#withLoss > 0 ? this.#lossSum / this.#withLoss : NaN,
      count: this.#count,
      report: numClasses != null
        ? classificationReport(this.#truth, this.#predicted, numClasses, labels)
        : null,
      predictions: numClasses != null ? Int32Array.from(this.#predicted) : new Int32Array(0),
    };
  }
}
