/**
 * Test helpers shared by the engine's tests: random tensors, and a comparison of our gradients
 * with TensorFlow.js's own autodiff (`tf.grads`) as an independent reference.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { Rng } from "./random.ts";
import { Tensor } from "./tensor.ts";
import { sizeOf } from "./ndarray.ts";

/** A tensor of uniform values in [low, high) that requires grad. */
export function randomTensor(shape: number[], rng: Rng, low = -1, high = 1): Tensor {
  return new Tensor(rng.uniformArray(sizeOf(shape), low, high), shape, { requiresGrad: true });
}

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/**
 * Runs `ours` and `theirs` (the same function written with tfjs ops) on the same inputs and
 * returns the largest differences of the outputs and of the gradients of Σ output·r for a random
 * direction r. tfjs runs on its plain-JS cpu backend.
 */
export async function compareWithTf(
  ours: (...inputs: Tensor[]) => Tensor,
  theirs: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: Tensor[],
  seed = 3,
): Promise<{ output: number; grads: number[] }> {
  if (tf.getBackend() !== "cpu") {
    if (!(await tf.setBackend("cpu"))) {
      throw new Error("compareWithTf: tfjs cpu backend unavailable");
    }
  }
  for (const x of inputs) {
    x.requiresGrad = true;
    x.zeroGrad();
  }
  const y = ours(...inputs);
  const rng = new Rng(seed);
  const direction = new Float32Array(y.size);
  for (let i = 0; i < direction.length; i++) direction[i] = rng.uniform(-1, 1);
  y.backward(direction);
  const result = tf.tidy(() => {
    const tfInputs = inputs.map((x) => tf.tensor(x.data, [...x.shape]));
    const tfOut = theirs(...tfInputs);
    const r = tf.tensor(direction, tfOut.shape);
    const gradFn = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(theirs(...xs), r)));
    const grads = gradFn(tfInputs);
    return {
      output: maxAbsDiff(y.data, tfOut.dataSync()),
      grads: grads.map((g, i) => maxAbsDiff(inputs[i].grad!, g.dataSync())),
    };
  });
  return result;
}
