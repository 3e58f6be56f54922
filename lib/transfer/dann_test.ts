import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import {
  dannAccuracy,
  dannLambda,
  dannLearningRate,
  dannNets,
  gradientReversal,
  trainDann,
} from "./dann.ts";

await useWasm();

Deno.test("gradientReversal: identity forward, -λ times the gradient backward", () => {
  const x = tf.tensor1d([1, -2, 3]);
  const w = tf.tensor1d([0.5, 2, -1]);
  const f = (v: tf.Tensor) => tf.sum(tf.mul(gradientReversal(v, 0.7), w)) as tf.Scalar;
  assertEquals(Array.from(gradientReversal(x, 0.7).dataSync()), [1, -2, 3]);
  const g = tf.grad(f)(x).dataSync();
  [0.5, 2, -1].forEach((wi, i) => assertAlmostEquals(g[i], -0.7 * wi, 1e-6));
  // Through a nonlinearity: d/dx sum(tanh(R(x))) = -λ (1 - tanh²x).
  const h = tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(gradientReversal(v, 2))) as tf.Scalar)(x);
  const t = Array.from(x.dataSync()).map(Math.tanh);
  Array.from(h.dataSync()).forEach((gi, i) => assertAlmostEquals(gi, -2 * (1 - t[i] * t[i]), 1e-5));
});

Deno.test("DANN schedules: λ rises from 0 towards 1, the learning rate anneals", () => {
  assertEquals(dannLambda(0), 0);
  assertAlmostEquals(dannLambda(1), 0.9999092, 1e-6);
  assert(dannLambda(0.1) < dannLambda(0.2));
  assertEquals(dannLearningRate(0.01, 0), 0.01);
  assertAlmostEquals(dannLearningRate(0.01, 1), 0.01 / Math.pow(11, 0.75), 1e-12);
});

Deno.test("trainDann: learns a separable toy problem and reports the domain branch", async () => {
  const side = 16, n = 64;
  // Class = which half of the image is bright; the target domain is darker and noisier.
  const make = (seed: number, gain: number) =>
    tf.tidy(() => {
      const y = tf.randomUniformInt([n], 0, 2, seed);
      const left = tf.concat([tf.ones([side, side / 2]), tf.zeros([side, side / 2])], 1);
      const masks = tf.stack([left, tf.reverse(left, 1)]);
      const x = tf.add(
        tf.mul(tf.gather(masks, y), gain),
        tf.randomUniform([n, side, side], 0, 0.3, "float32", seed + 1),
      );
      return { x: x.reshape([n, side, side, 1]) as tf.Tensor4D, y: y as tf.Tensor1D };
    });
  const source = make(1, 1), target = make(2, 0.6);
  const nets = dannNets({ side, numClasses: 2, seed: 1 });
  const logs: number[] = [];
  const history = await trainDann(nets, source, target, {
    steps: 30,
    batchSize: 16,
    lr: 0.01,
    adapt: true,
    logEvery: 10,
    onLog: (step) => logs.push(step),
  });
  assertEquals(logs, [10, 20, 30]);
  assertEquals(history.length, 3);
  assert(history[2].lambda > 0.9, "λ near 1 at the end");
  assert(history[2].domain_loss > 0, "domain branch trained");
  assert(await dannAccuracy(nets, source) > 0.9, "source learned");
});
