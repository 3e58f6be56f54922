import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertThrows } from "../testing/asserts.ts";
import { gradcheck } from "./gradcheck.ts";
import { crossEntropy, focalLoss, labelSmoothingCrossEntropy, mseLoss } from "./losses.ts";
import {
  BatchNorm,
  Conv2d,
  Dropout,
  Flatten,
  GELU,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from "./nn.ts";
import { Adam, AdamW, SGD } from "./optim.ts";
import { Rng } from "./random.ts";
import { decodeSafetensors, encodeSafetensors, loadWeights, saveWeights } from "./serialize.ts";
import { type Tensor, tensor } from "./tensor.ts";
import { compareWithTf, randomTensor } from "./testing.ts";

const labels = [2, 0, 4, 1];

Deno.test("crossEntropy matches tf.losses.softmaxCrossEntropy, value and gradient", async () => {
  const logits = randomTensor([4, 5], new Rng(2), -3, 3);
  const diff = await compareWithTf(
    (x) => crossEntropy(x, labels),
    (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), 5), x),
    [logits],
  );
  assert(diff.output < 1e-5 && diff.grads[0] < 1e-5, JSON.stringify(diff));
});

Deno.test("labelSmoothingCrossEntropy matches tfjs's labelSmoothing option", async () => {
  const logits = randomTensor([4, 5], new Rng(3), -3, 3);
  const diff = await compareWithTf(
    (x) => labelSmoothingCrossEntropy(x, labels, 0.1),
    (x) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), 5), x, undefined, 0.1),
    [logits],
  );
  assert(diff.output < 1e-5 && diff.grads[0] < 1e-5, JSON.stringify(diff));
});

Deno.test("focalLoss: gradient checks, and gamma = 0 is cross-entropy", () => {
  const logits = randomTensor([4, 5], new Rng(4), -3, 3);
  const check = gradcheck((x) => focalLoss(x, labels, 2), [logits]);
  assert(check.maxError < 2e-2, JSON.stringify(check));
  const ce = crossEntropy(logits, labels).item();
  assert(Math.abs(focalLoss(logits, labels, 0).item() - ce) < 1e-6);
  assert(focalLoss(logits, labels, 2).item() < ce, "focusing reduces the loss of easy examples");
});

Deno.test("mseLoss value and gradient vs tf.losses.meanSquaredError", async () => {
  const rng = new Rng(5);
  const diff = await compareWithTf(
    (a, b) => mseLoss(a, b),
    (a, b) => tf.losses.meanSquaredError(b, a),
    [randomTensor([3, 4], rng), randomTensor([3, 4], rng)],
  );
  assert(diff.output < 1e-5 && Math.max(...diff.grads) < 1e-5, JSON.stringify(diff));
});

Deno.test("losses reject bad labels and non-finite logits", () => {
  const logits = tensor([[1, 2], [3, 4]]);
  assertThrows(
    () => crossEntropy(logits, [0]),
    Error,
    "crossEntropy: need logits of shape [n,classes] and n labels",
  );
  assertThrows(
    () => crossEntropy(logits, [0, 2]),
    Error,
    "crossEntropy: label 2 of example 1 is not a class index: labels must be integers 0…1",
  );
  logits.data[1] = Infinity;
  assertThrows(
    () => crossEntropy(logits, [0, 1]),
    Error,
    "crossEntropy: value at flat index 1 of shape [2,2] is Infinity",
  );
});

Deno.test("a Sequential CNN's gradients check numerically", () => {
  const rng = new Rng(6);
  const model = new Sequential(
    new Conv2d(1, 2, 3, rng, { pad: 1 }),
    new GELU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(2 * 3 * 3, 3, rng),
  );
  const x = randomTensor([2, 1, 6, 6], rng);
  const params = model.parameters();
  assertEquals(model.namedParameters().map(([n]) => n), [
    "0.weight",
    "0.bias",
    "4.weight",
    "4.bias",
  ]);
  const check = gradcheck((_x, ..._params) => crossEntropy(model.forward(x), [0, 2]), [
    x,
    ...params,
  ]);
  assert(check.maxError < 3e-2, JSON.stringify(check));
});

Deno.test("BatchNorm: normalises in training, uses running stats in eval, gradients check", () => {
  const rng = new Rng(7);
  const bn = new BatchNorm(3);
  const x = randomTensor([8, 3, 2, 2], rng, 2, 6);
  const y = bn.forward(x);
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    for (let n = 0; n < 8; n++) for (let i = 0; i < 4; i++) sum += y.data[(n * 3 + c) * 4 + i];
    assert(Math.abs(sum / 32) < 1e-5, `channel ${c} mean ${sum / 32}`);
  }
  assert(bn.runningMean.data[0] > 0.2, "running mean moved towards the batch mean");
  const bn1 = new BatchNorm(3);
  bn1.gamma.data.set([0.5, 1.5, -1]);
  bn1.beta.data.set([0.1, -0.2, 0.3]);
  const input = randomTensor([6, 3], rng);
  // Multiplying by x makes the check sensitive to how the normalisation depends on each input.
  const check = gradcheck((x) => bn1.forward(x).mul(x), [input, bn1.gamma, bn1.beta]);
  assert(check.maxError < 3e-2, JSON.stringify(check));
  bn.eval();
  const before = bn.runningMean.data.slice();
  bn.forward(x);
  assertEquals(bn.runningMean.data, before, "evaluation leaves running stats alone");
});

Deno.test("Dropout layer is active only in training mode", () => {
  const layer = new Dropout(0.5, new Rng(1));
  const x = tensor(new Float32Array(100).fill(1), [100]);
  assert(layer.forward(x).data.some((v) => v === 0));
  layer.eval();
  assertEquals(layer.forward(x), x);
});

function fitLine(
  makeOptimizer: (params: Tensor[]) => { zeroGrad(): void; step(): void },
  steps: number,
): number {
  // Learn y = 3x − 1 from four points with one Linear layer.
  const rng = new Rng(8);
  const model = new Linear(1, 1, rng);
  const optimizer = makeOptimizer(model.parameters());
  const x = tensor([[0], [1], [2], [3]]);
  const y = tensor([[-1], [2], [5], [8]]);
  let loss = Infinity;
  for (let i = 0; i < steps; i++) {
    optimizer.zeroGrad();
    const l = mseLoss(model.forward(x), y);
    l.backward();
    optimizer.step();
    loss = l.item();
  }
  return loss;
}

Deno.test("optimizers fit a line: SGD, SGD with momentum, Adam, AdamW", () => {
  assert(fitLine((p) => new SGD(p, { lr: 0.05 }), 400) < 1e-3);
  assert(fitLine((p) => new SGD(p, { lr: 0.02, momentum: 0.9 }), 200) < 1e-3);
  assert(fitLine((p) => new Adam(p, { lr: 0.1 }), 300) < 1e-3);
  assert(fitLine((p) => new AdamW(p, { lr: 0.1, weightDecay: 1e-4 }), 300) < 1e-2);
});

Deno.test("Adam's first step moves each parameter by lr·sign(gradient), as in tf.train.adam", () => {
  const p = tensor([1, -2, 3], undefined, { requiresGrad: true });
  p.grad = new Float32Array([0.5, -4, 0.01]);
  new Adam([p], { lr: 0.1 }).step();
  const expected = [0.9, -1.9, 2.9];
  p.data.forEach((v, i) => assert(Math.abs(v - expected[i]) < 1e-5, `${v} vs ${expected[i]}`));
});

Deno.test("SGD momentum matches the closed form over two steps", () => {
  const p = tensor([1], undefined, { requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
  p.grad = new Float32Array([1]);
  opt.step(); // v = 1, p = 0.9
  opt.step(); // v = 1.9, p = 0.71
  assert(Math.abs(p.data[0] - 0.71) < 1e-6, `${p.data[0]}`);
  assertThrows(() => new SGD([p], { lr: 0 }), Error, "learning rate must be positive");
});

Deno.test("save and load weights round-trip through safetensors, atomically", async () => {
  const rng = new Rng(9);
  const make = (seed: number) =>
    new Sequential(new Linear(4, 3, new Rng(seed)), new ReLU(), new BatchNorm(3));
  const a = make(1);
  a.forward(randomTensor([5, 4], rng)); // moves BatchNorm's running stats
  const b = make(2);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/model.safetensors`;
  await saveWeights(a, path, { note: "test" });
  await loadWeights(b, path);
  for (const [name, t] of a.stateDict()) assertEquals(b.stateDict().get(name)!.data, t.data, name);
  const bytes = await Deno.readFile(path);
  await Deno.writeFile(`${dir}/cut.safetensors`, bytes.subarray(0, bytes.length - 7));
  await assertRejects(
    () => loadWeights(b, `${dir}/cut.safetensors`),
    Error,
    "cut.safetensors: tensor",
  );
  await assertRejects(
    () => loadWeights(new Sequential(new Linear(4, 2, rng)), path),
    Error,
    "'0.weight' has shape [4,3], the module expects [4,2]",
  );
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "cut.safetensors",
    "model.safetensors",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("safetensors encoding is deterministic and 8-byte aligned", () => {
  const tensors = new Map([["b", tensor([1, 2])], ["a", tensor([[3]])]]);
  const bytes = encodeSafetensors(tensors);
  assertEquals(bytes, encodeSafetensors(new Map([...tensors].reverse())));
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assertEquals((8 + headerLength) % 8, 0);
  const decoded = decodeSafetensors(bytes);
  assertEquals(Array.from(decoded.get("b")!.data), [1, 2]);
  assertEquals(decoded.get("a")!.shape, [1, 1]);
});
