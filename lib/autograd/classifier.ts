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
  /** Loss on the evaluation set after the epoch. */
  testLoss: number;
  /** Accuracy on the evaluation set after the epoch. */
  testAccuracy: number;
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
  /** Sets the learning rate before each step (step counts from 0 over the whole run). */
  schedule?: (step: number, totalSteps: number) => number;
  /** Called after every batch: progress reporting. */
  onBatch?: (info: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** Called after every epoch with its record. */
  onEpoch?: (record: EpochRecord) => void;
}

/** The result of evaluating a classifier. */
export interface Evaluation {
  /** Fraction of correct predictions. */
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
  /** Predicted class of every example. */
  predictions: Uint8Array;
  /** counts[true][predicted]. */
  confusion: number[][];
}

/** Gathers examples order[start..end) (or start..end in storage order when order is null). */
function batchTensor(
  data: LabelledData,
  order: ArrayLike<number> | null,
  start: number,
  end: number,
): {
  x: Tensor;
  y: Uint8Array;
} {
  const rowSize = data.exampleShape.reduce((a, b) => a * b, 1);
  const size = end - start;
  const x = new Float32Array(size * rowSize);
  const y = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const row = order === null ? start + i : order[start + i];
    x.set(data.inputs.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
    y[i] = data.labels[row];
  }
  return { x: new Tensor(x, [size, ...data.exampleShape]), y };
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
 * Evaluates `model` on `data` in evaluation mode without recording the graph: accuracy, loss,
 * predictions and the confusion matrix over `classes` classes.
 */
export function evaluateClassifier(
  model: Module,
  data: LabelledData,
  classes: number,
  batchSize = 500,
): Evaluation {
  const count = checkLabelledData(data, "evaluateClassifier");
  const wasTraining = model.training;
  model.eval();
  const predictions = new Uint8Array(count);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let lossSum = 0;
  let correct = 0;
  noGrad(() => {
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(start + batchSize, count);
      const { x, y } = batchTensor(data, null, start, end);
      const logits = model.forward(x);
      lossSum += crossEntropy(logits, y).item() * (end - start);
      const predicted = logits.argmax();
      for (let i = 0; i < predicted.length; i++) {
        predictions[start + i] = predicted[i];
        confusion[y[i]][predicted[i]]++;
        if (predicted[i] === y[i]) correct++;
      }
    }
  });
  model.train(wasTraining);
  return { accuracy: correct / count, loss: lossSum / count, predictions, confusion };
}

/**
 * Trains `model` with `optimizer` on `train`, evaluating on `test` after every epoch; returns the
 * per-epoch history.
 */
export function fitClassifier(
  model: Module,
  optimizer: Optimizer,
  train: LabelledData,
  test: LabelledData,
  classes: number,
  options: FitOptions,
): EpochRecord[] {
  const count = checkLabelledData(train, "fitClassifier (train)");
  checkLabelledData(test, "fitClassifier (test)");
  const lossFn = options.loss ?? crossEntropy;
  const batches = Math.ceil(count / options.batchSize);
  const totalSteps = batches * options.epochs;
  const history: EpochRecord[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    model.train();
    const order = options.rng.permutation(count);
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * options.batchSize;
      const { x, y } = batchTensor(train, order, start, Math.min(start + options.batchSize, count));
      if (options.schedule) optimizer.lr = options.schedule(step, totalSteps);
      const logits = model.forward(x);
      const loss = lossFn(logits, y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      step++;
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new Error(`fitClassifier: loss became ${value} at epoch ${epoch}, batch ${b + 1}`);
      }
      lossSum += value * y.length;
      correct += countCorrect(logits, y);
      options.onBatch?.({ epoch, batch: b + 1, batches, loss: value });
    }
    const seconds = (performance.now() - started) / 1000;
    const evaluation = evaluateClassifier(model, test, classes);
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / count,
      trainAccuracy: correct / count,
      testLoss: evaluation.loss,
      testAccuracy: evaluation.accuracy,
      seconds,
      examplesPerSecond: count / seconds,
    };
    history.push(record);
    options.onEpoch?.(record);
  }
  return history;
}
