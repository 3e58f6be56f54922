import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "../testing/asserts.ts";
import { batchNorm3d, cnn3d } from "./cnn3d.ts";

Deno.test("batchNorm3d normalizes each channel over batch and all three spatial axes", () => {
  const input = tf.input({ shape: [2, 3, 4, 2] });
  const model = tf.model({ inputs: input, outputs: batchNorm3d(input, { name: "bn" }) });
  const x = tf.randomNormal([3, 2, 3, 4, 2], 5, 2, "float32", 7);
  const y = model.apply(x, { training: true }) as tf.Tensor;
  const expected = tf.tidy(() => {
    const m = tf.moments(x, [0, 1, 2, 3]);
    return tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-3)));
  });
  const a = y.dataSync(), b = expected.dataSync();
  for (let i = 0; i < a.length; i++) assertAlmostEquals(a[i], b[i], 1e-4);
});

Deno.test("cnn3d: shapes, parameter count of the 16-32-64 recipe, equal seeds equal weights", () => {
  const m = cnn3d({ inputShape: [8, 8, 8, 1], numClasses: 2, seed: 3 });
  assertEquals(m.outputs[0].shape, [null, 2]);
  // conv 27·(1·16 + 16·32 + 32·64) + BN 4·(16+32+64) + dense 64·2+2
  assertEquals(m.countParams(), 27 * (16 + 512 + 2048) + 4 * 112 + 130);
  const logits = m.predict(tf.zeros([2, 8, 8, 8, 1])) as tf.Tensor;
  assertEquals(logits.shape, [2, 2]);
  const again = cnn3d({ inputShape: [8, 8, 8, 1], numClasses: 2, seed: 3 });
  assertEquals(again.getWeights()[0].dataSync(), m.getWeights()[0].dataSync());
});

Deno.test("cnn3d: dropout draws a new seeded mask at every training step, none in inference", () => {
  const masks = (seed: number) => {
    const m = cnn3d({ inputShape: [4, 4, 4, 1], numClasses: 2, filters: [8], seed, dropout: 0.5 });
    const x = tf.randomUniform([1, 4, 4, 4, 1], 0, 1, "float32", 1);
    const train = () => Array.from((m.apply(x, { training: true }) as tf.Tensor).dataSync());
    const infer = () => Array.from((m.apply(x, { training: false }) as tf.Tensor).dataSync());
    return { first: train(), second: train(), infer: [infer(), infer()] };
  };
  const a = masks(5), b = masks(5);
  // tf.layers.dropout with a seed would drop the same units at both steps.
  assertEquals(a.first === a.second || a.first.join() === a.second.join(), false);
  assertEquals([a.first, a.second], [b.first, b.second]); // the same sequence in every run
  assertEquals(a.infer[0], a.infer[1]);
});
