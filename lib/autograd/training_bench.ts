/**
 * One MLP training step (784-256-128-10, batch 128, cross-entropy, Adam) with our engine and
 * with TensorFlow.js on its wasm backend, in the same run: `deno task bench`.
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { crossEntropy } from "./losses.ts";
import { Linear, ReLU, Sequential } from "./nn.ts";
import { Adam } from "./optim.ts";
import { Rng } from "./random.ts";
import { Tensor } from "./tensor.ts";

const BATCH = 128;
const rng = new Rng(1);
const inputs = Float32Array.from({ length: BATCH * 784 }, () => rng.next());
const labels = Uint8Array.from({ length: BATCH }, () => rng.int(10));

const model = new Sequential(
  new Linear(784, 256, rng),
  new ReLU(),
  new Linear(256, 128, rng),
  new ReLU(),
  new Linear(128, 10, rng),
);
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const x = new Tensor(inputs, [BATCH, 784]);

Deno.bench(
  "MLP training step, batch 128: our engine",
  { group: "mlp-step", baseline: true },
  () => {
    const loss = crossEntropy(model.forward(x), labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  },
);

await useWasm();
const tfModel = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [784], units: 256, activation: "relu" }),
    tf.layers.dense({ units: 128, activation: "relu" }),
    tf.layers.dense({ units: 10 }),
  ],
});
const tfOptimizer = tf.train.adam(1e-3);
const tfX = tf.tensor2d(inputs, [BATCH, 784]);
const tfY = tf.oneHot(tf.tensor1d(labels, "int32"), 10);

Deno.bench("MLP training step, batch 128: tfjs wasm", { group: "mlp-step" }, () => {
  const loss = tfOptimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(tfY, tfModel.predict(tfX) as tf.Tensor),
    true,
  );
  loss!.dataSync();
  loss!.dispose();
});
