/**
 * Classification metrics shared by both training styles: accuracy, per-class precision, recall
 * and F1, and the confusion matrix, computed from integer labels in plain TypeScript (no tfjs:
 * chapter 1's engine uses them too).
 *
 * @module
 */

/** Precision, recall, F1 and support of one class. */
export interface ClassMetrics {
  /** Class name (or index as a string). */
  label: string;
  /** TP / (TP + FP); 0 when the class is never predicted. */
  precision: number;
  /** TP / (TP + FN); 0 when the class never occurs. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  /** Number of true examples of the class. */
  support: number;
}

/** Everything `classificationReport` computes. */
export interface ClassificationReport {
  /** Fraction of examples predicted correctly. */
  accuracy: number;
  /** Number of examples. */
  count: number;
  /** One entry per class. */
  perClass: ClassMetrics[];
  /** Unweighted means over classes. */
  macro: { precision: number; recall: number; f1: number };
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
}

/** `confusion[t][p]` = number of examples of true class `t` predicted as `p`. */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (yTrue.length !== yPred.length) throw new Error("confusionMatrix: length mismatch");
  const m = Array.from({ length: numClasses }, () => new Array(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/** Accuracy, per-class precision/recall/F1, macro averages and the confusion matrix. */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
  labels?: string[],
): ClassificationReport {
  const confusion = confusionMatrix(yTrue, yPred, numClasses);
  let correct = 0;
  const perClass = confusion.map((row, k) => {
    const tp = row[k];
    correct += tp;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, r) => s + r[k], 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label: labels?.[k] ?? String(k), precision, recall, f1, support };
  });
  const mean = (f: (c: ClassMetrics) => number) =>
    perClass.reduce((s, c) => s + f(c), 0) / Math.max(1, numClasses);
  return {
    accuracy: yTrue.length > 0 ? correct / yTrue.length : 0,
    count: yTrue.length,
    perClass,
    macro: {
      precision: mean((c) => c.precision),
      recall: mean((c) => c.recall),
      f1: mean((c) => c.f1),
    },
    confusion,
  };
}
