/**
 * Shared checks of the model builders' tests.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "../testing/asserts.ts";

/**
 * `withSoftmax` (a builder's `softmax: true` model) has the parameters of `logitsModel` and gives
 * the softmax of `logits` (that model's output on `x`): probabilities, the same scores normalized.
 * Disposes `withSoftmax`.
 */
export function assertSoftmaxOfLogits(
  withSoftmax: tf.LayersModel,
  logitsModel: tf.LayersModel,
  x: tf.Tensor,
  logits: tf.Tensor,
): void {
  assertEquals(withSoftmax.countParams(), logitsModel.countParams());
  const probs = withSoftmax.predict(x) as tf.Tensor, expected = tf.softmax(logits);
  probs.sum(1).dataSync().forEach((s) => assertAlmostEquals(s, 1, 1e-5));
  probs.dataSync().forEach((p, i) => assertAlmostEquals(p, expected.dataSync()[i], 1e-6));
  tf.dispose([probs, expected]);
  withSoftmax.dispose();
}
