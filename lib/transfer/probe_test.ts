import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import {
  bestOnValidation,
  fitSoftmaxRegression,
  pooledLayers,
  regressionLogits,
  viewAveraged,
} from "./probe.ts";

await useWasm();

Deno.test("pooledLayers: one pass, each layer averaged over positions, vectors kept", () => {
  const input = tf.input({ shape: [4, 4, 2] });
  const a = tf.layers.conv2d({ filters: 3, kernelSize: 1, name: "a", useBias: false })
    .apply(input) as tf.SymbolicTensor;
  const b = tf.layers.globalAveragePooling2d({ name: "b" }).apply(a) as tf.SymbolicTensor;
  const net = tf.model({ inputs: input, outputs: b });
  const x = tf.randomUniform([2, 4, 4, 2], 0, 1, "float32", 3);
  const both = pooledLayers(net, ["a", "b"]).predict(x) as tf.Tensor;
  assertEquals(both.shape, [2, 6]);
  const pooledA = tf.mean(
    tf.conv2d(x as tf.Tensor4D, net.layers[1].getWeights()[0] as tf.Tensor4D, 1, "valid"),
    [1, 2],
  );
  const got = both.arraySync() as number[][];
  const want = pooledA.arraySync() as number[][];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      assertAlmostEquals(got[i][j], want[i][j], 1e-5);
      assertAlmostEquals(got[i][3 + j], want[i][j], 1e-5, "b is the mean of a too");
    }
  }
});

Deno.test("fitSoftmaxRegression: deterministic, reaches the optimum's gradient condition, λ shrinks W", () => {
  // Three Gaussian blobs in 4-D.
  const n = 60;
  const xs: number[][] = [];
  const labels: number[] = [];
  const r = tf.randomNormal([n, 4], 0, 1, "float32", 7).arraySync() as number[][];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(c);
    xs.push(r[i].map((v, j) => v + (j === c ? 2 : 0)));
  }
  const x = tf.tensor2d(xs);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat() as tf.Tensor2D;
  const l2 = 0.1;
  const m1 = fitSoftmaxRegression(x, y, { l2, steps: 400, lr: 0.05 });
  const m2 = fitSoftmaxRegression(x, y, { l2, steps: 400, lr: 0.05 });
  assertEquals(Array.from(m1.w.dataSync()), Array.from(m2.w.dataSync()), "same weights twice");
  // At the optimum the gradient of CE is −λW: Xᵀ(P − Y)/n + λW = 0.
  const grad = tf.tidy(() => {
    const p = tf.softmax(regressionLogits(m1, x));
    return tf.add(tf.div(tf.matMul(x, tf.sub(p, y), true), n), tf.mul(l2, m1.w));
  });
  const worst = tf.max(tf.abs(grad)).dataSync()[0];
  assert(worst < 2e-3, `stationarity residual ${worst}`);
  const strong = fitSoftmaxRegression(x, y, { l2: 10 * l2, steps: 400, lr: 0.05 });
  const norm = (w: tf.Tensor) => tf.sum(tf.square(w)).dataSync()[0];
  assert(norm(strong.w) < norm(m1.w), "a larger λ gives smaller weights");
  const acc = tf.tidy(() =>
    tf.mean(tf.equal(regressionLogits(m1, x).argMax(1), tf.tensor1d(labels, "int32"))).dataSync()[0]
  );
  assert(acc > 0.8, `training accuracy ${acc}`);
});

Deno.test("viewAveraged: the mean of each view's softmax", () => {
  const x = tf.tensor3d([[[1, 0], [0, 1]], [[2, 2], [3, 0]]]); // 2 examples × 2 views × 2
  const got = viewAveraged((v) => v)(x).arraySync();
  const s = (a: number, b: number) => [Math.exp(a), Math.exp(b)].map((e, _, [p, q]) => e / (p + q));
  const want = [
    s(1, 0).map((v, i) => (v + s(0, 1)[i]) / 2),
    s(2, 2).map((v, i) => (v + s(3, 0)[i]) / 2),
  ];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) assertAlmostEquals(got[i][j], want[i][j], 1e-6);
  }
});

Deno.test("bestOnValidation: highest validation accuracy, the first on a tie", () => {
  const c = [{ name: "a", val: 0.8 }, { name: "b", val: 0.9 }, { name: "c", val: 0.9 }];
  assertEquals(bestOnValidation(c).name, "b");
  assertEquals(bestOnValidation([c[0]]).name, "a");
  assertThrows(() => bestOnValidation([]), Error, "no candidates");
});
