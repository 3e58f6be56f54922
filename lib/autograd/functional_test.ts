import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { avgPool2d, batchNorm, conv2d, dropout, maxPool2d } from "./functional.ts";
import { gradcheck } from "./gradcheck.ts";
import { Rng } from "./random.ts";
import { type Tensor, tensor } from "./tensor.ts";
import { compareWithTf, randomTensor } from "./testing.ts";

// tfjs is NHWC with HWIO filters; our engine is NCHW with OIHW weights.
const toNhwc = (x: tf.Tensor) => tf.transpose(x, [0, 2, 3, 1]);
const toNchw = (x: tf.Tensor) => tf.transpose(x, [0, 3, 1, 2]);
const toHwio = (w: tf.Tensor) => tf.transpose(w, [2, 3, 1, 0]);

async function checkBoth(
  name: string,
  ours: (...x: Tensor[]) => Tensor,
  theirs: (...x: tf.Tensor[]) => tf.Tensor,
  inputs: Tensor[],
): Promise<void> {
  const numeric = gradcheck(ours, inputs);
  assert(numeric.maxError < 2e-2, `${name}: finite differences ${JSON.stringify(numeric)}`);
  const reference = await compareWithTf(ours, theirs, inputs);
  assert(reference.output < 1e-4, `${name}: output differs from tfjs by ${reference.output}`);
  for (const g of reference.grads) {
    assert(g < 1e-3, `${name}: gradient differs from tf.grads by ${g}`);
  }
}

for (const [stride, pad, k] of [[1, 0, 3], [1, 1, 3], [2, 1, 3], [2, 0, 2], [1, 2, 5]]) {
  Deno.test(`conv2d gradient (stride ${stride}, pad ${pad}, kernel ${k}) vs finite differences and tf.grads`, async () => {
    const rng = new Rng(5);
    const x = randomTensor([2, 3, 7, 6], rng);
    const w = randomTensor([4, 3, k, k], rng);
    const b = randomTensor([4], rng);
    await checkBoth(
      "conv2d",
      (x, w, b) => conv2d(x, w, b, { stride, pad }),
      (x, w, b) => {
        const padded = tf.pad(toNhwc(x), [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
        const y = tf.conv2d(padded as tf.Tensor4D, toHwio(w) as tf.Tensor4D, stride, "valid");
        return toNchw(tf.add(y, b));
      },
      [x, w, b],
    );
  });
}

Deno.test("maxPool2d gradient, including all-negative windows, vs tf.grads", async () => {
  const rng = new Rng(9);
  const x = randomTensor([2, 3, 6, 6], rng, -3, -0.5); // every window all negative
  await checkBoth(
    "maxPool2d",
    (x) => maxPool2d(x, 2),
    (x) => toNchw(tf.maxPool(toNhwc(x) as tf.Tensor4D, 2, 2, "valid")),
    [x],
  );
  const mixed = randomTensor([1, 2, 7, 7], rng);
  await checkBoth(
    "maxPool2d stride 2 window 3",
    (x) => maxPool2d(x, 3, { stride: 2 }),
    (x) => toNchw(tf.maxPool(toNhwc(x) as tf.Tensor4D, 3, 2, "valid")),
    [mixed],
  );
});

Deno.test("avgPool2d gradient vs tf.grads", async () => {
  const rng = new Rng(10);
  const x = randomTensor([2, 2, 6, 6], rng);
  await checkBoth(
    "avgPool2d",
    (x) => avgPool2d(x, 2),
    (x) => toNchw(tf.avgPool(toNhwc(x) as tf.Tensor4D, 2, 2, "valid")),
    [x],
  );
});

Deno.test("conv2d rejects mismatched shapes with a clear message", () => {
  const x = tensor(new Float32Array(2 * 3 * 5 * 5), [2, 3, 5, 5]);
  assertThrows(
    () => conv2d(x, tensor(new Float32Array(4 * 2 * 9), [4, 2, 3, 3])),
    Error,
    "conv2d: weight shape [4,2,3,3]",
  );
  assertThrows(
    () => conv2d(tensor([1, 2]), tensor(new Float32Array(9), [1, 1, 3, 3])),
    Error,
    "expected a 4-D NCHW input",
  );
});

Deno.test("dropout keeps the expected value and is the identity in evaluation", () => {
  const x = tensor(new Float32Array(10_000).fill(1), [10_000], { requiresGrad: true });
  const y = dropout(x, 0.3, new Rng(1), true);
  const mean = y.data.reduce((s, v) => s + v, 0) / y.size;
  assert(Math.abs(mean - 1) < 0.05, `mean after dropout ${mean}`);
  const zeros = y.data.filter((v) => v === 0).length / y.size;
  assert(Math.abs(zeros - 0.3) < 0.03, `dropped fraction ${zeros}`);
  y.sum().backward();
  // The gradient flows exactly where values were kept, scaled like them.
  assertEquals(Array.from(x.grad!), Array.from(y.data));
  assertEquals(dropout(x, 0.3, new Rng(1), false), x);
});

Deno.test("fused batchNorm matches tf.moments + tf.batchNorm, in training and with fixed stats", async () => {
  const rng = new Rng(12);
  const x = randomTensor([4, 3, 3, 2], rng, -2, 3);
  const gamma = randomTensor([3], rng, 0.5, 1.5);
  const beta = randomTensor([3], rng);
  await checkBoth(
    "batchNorm (batch statistics)",
    (x, g, b) => batchNorm(x, g, b).y,
    (x, g, b) => {
      const nhwc = toNhwc(x);
      const { mean, variance } = tf.moments(nhwc, [0, 1, 2]);
      return toNchw(tf.batchNorm(nhwc, mean, variance, b, g, 1e-5));
    },
    [x, gamma, beta],
  );
  const mean = new Float32Array([0.1, -0.2, 0.3]);
  const variance = new Float32Array([0.5, 1.5, 2]);
  await checkBoth(
    "batchNorm (fixed statistics)",
    (x, g, b) => batchNorm(x, g, b, 1e-5, { mean, variance }).y,
    (x, g, b) =>
      toNchw(tf.batchNorm(toNhwc(x), tf.tensor1d(mean), tf.tensor1d(variance), b, g, 1e-5)),
    [x, gamma, beta],
  );
  assertThrows(() => batchNorm(x, beta, tensor([1, 2])), Error, "batchNorm: input [4,3,3,2]");
});
