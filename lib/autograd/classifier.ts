/**
 * Training and evaluating a classifier with our engine: the loop every chapter-1 model uses.
 *
 * One step is the whole story of the chapter: forward the batch, measure the loss, clear old
 * gradients, backpropagate, let the optimizer update the parameters.
 *
 * @module
 */

import { crossEntropy } from "./losses.ts";
import type { Module } from "./nn.ts";
import type { Optimizer } from "./optim.ts";
import type { Rng } from "./random.ts";
import { noGrad, Tensor } from "./tensor.ts";
import { minibatches, shuffledIndices } from "../data/batches.ts";
import { type Evaluation, EvaluationAccumulator } from "../common/evaluation.ts";
import type { LrSchedule } from "../common/schedule.ts";

export type { Evaluation };

/** A labelled set of examples stored row by row. */
export interface LabelledData {
  /** `count * exampleShape.product` values. */
  inputs: Float32Array;
  /** `count` class labels. */
  labels: Uint8Array;
  /** The shape of one example, e.g. [784] for an MLP or [1, 28, 28] for a CNN. */
  exampleShape: number[];
}

/** The loss used for training: logits and labels in, a scalar tensor out. */
export type ClassificationLoss = (logits: Tensor, labels: ArrayLike<number>) => Tensor;

/** What one epoch of training measured. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  trainLoss: number;
  /** Training accuracy over the epoch (measured on the fly, in training mode). */
  trainAccuracy: number;
  /** Loss on the validation set after the epoch. */
  valLoss: number;
  /** Accuracy on the validation set after the epoch. */
  valAccuracy: number;
  /** Seconds spent training in this epoch (evaluation excluded). */
  seconds: number;
  /** Training throughput. */
  examplesPerSecond: number;
}

/** Options of {@link fitClassifier}. */
export interface FitOptions {
  /** Passes over the training data. */
  epochs: number;
  /** Examples per step. */
  batchSize: number;
  /** Shuffles the training data each epoch. */
  rng: Rng;
  /** The training loss (default {@link crossEntropy}). */
  loss?: ClassificationLoss;
  /**
   * Sets the learning rate before each step (the step counts from 0 over the whole run, which
   * has `epochs × ceil(count / batchSize)` steps), e.g. `warmupCosine` from `lib/common`.
   */
  schedule?: LrSchedule;
  /** Changes a training batch's inputs in place before the step (data augmentation). */
  augment?: (inputs: Float32Array) => void;
  /** Called after every batch: progress reporting. */
  onBatch?: (info: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** Called after every epoch with its record. */
  onEpoch?: (record: EpochRecord) => void;
}

function countCorrect(logits: Tensor, labels: ArrayLike<number>): number {
  const predicted = logits.argmax();
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct;
}

/** Checks that inputs, labels and the example shape agree; errors name the field. */
export function checkLabelledData(data: LabelledData, name: string): number {
  const rowSize = data.exampleShape.reduce((a, b) => a * b, 1);
  const count = data.labels.length;
  if (data.inputs.length !== count * rowSize) {
    throw new Error(
      `${name}: inputs hold ${data.inputs.length} values, expected ${count} examples × ${rowSize}`,
    );
  }
  return count;
}

/**
 * Evaluates `model` on `data` in evaluation mode without recording the graph: mean
 * cross-entropy, predictions and the classification report (accuracy, per-class metrics,
 * confusion matrix) over `classes` classes — scored by the same {@link EvaluationAccumulator} as
 * the tfjs chapters' `evaluateClassifier`.
 */
export function evaluate(
  model: Module,
  data: LabelledData,
  classes: number,
  batchSize = 500,
): Evaluation {
  const count = checkLabelledData(data, "evaluate");
  const wasTraining = model.training;
  model.eval();
  const scores = new EvaluationAccumulator();
  const rowSize = data.inputs.length / Math.max(count, 1);
  const inOrder = Uint32Array.from({ length: count }, (_, i) => i);
  try {
    noGrad(() => {
      for (const batch of minibatches(data.inputs, rowSize, data.labels, batchSize, inOrder)) {
        const x = new Tensor(batch.x, [batch.size, ...data.exampleShape]);
        const logits = model.forward(x);
        scores.add(batch.size, crossEntropy(logits, batch.y).item(), batch.y, logits.argmax());
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return scores.result(classes);
}

/**
 * Trains `model` with `optimizer` on `train`, evaluating on `validation` after every epoch;
 * returns the per-epoch history. (The test set is for the very end, once, never for choosing.)
 */
export function fitClassifier(
  model: Module,
  optimizer: Optimizer,
  train: LabelledData,
  validation: LabelledData,
  classes: number,
  options: FitOptions,
): EpochRecord[] {
  const count = checkLabelledData(train, "fitClassifier (train)");
  checkLabelledData(validation, "fitClassifier (validation)");
  const lossFn = options.loss ?? crossEntropy;
  const batches = Math.ceil(count / options.batchSize);
  const history: EpochRecord[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    model.train();
    const order = shuffledIndices(count, () => options.rng.next());
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let b = 0;
    const rowSize = train.inputs.length / count;
    for (
      const batch of minibatches(train.inputs, rowSize, train.labels, options.batchSize, order)
    ) {
      // The batch arrays are reused by the next batch: this step's graph is done with them by then.
      options.augment?.(batch.x);
      const x = new Tensor(batch.x, [batch.size, ...train.exampleShape]);
      const y = batch.y;
      if (options.schedule) optimizer.lr = options.schedule(step);
      const logits = model.forward(x);
      const loss = lossFn(logits, y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      step++;
      b++;
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new Error(`fitClassifier: loss became ${value} at epoch ${epoch}, batch ${b}`);
      }
      lossSum += value * batch.size;
      correct += countCorrect(logits, y);
      options.onBatch?.({ epoch, batch: b, batches, loss: value });
    }
    const seconds = (performance.now() - started) / 1000;
    const evaluation = evaluate(model, validation, classes);
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / count,
      trainAccuracy: correct / count,
      valLoss: evaluation.loss,
      valAccuracy: evaluation.report!.accuracy,
      seconds,
      examplesPerSecond: count / seconds,
    };
    history.push(record);
    options.onEpoch?.(record);
  }
  return history;
}
