/**
 * The Deno side of `deno task bench:compare`: one training step of each workload, in our engine
 * (`lib/autograd`) and in TensorFlow.js on the patched wasm backend. `frameworks.py` builds the same
 * models in PyTorch and Keras (same layer sizes, batch, Adam 1e-3, cross-entropy); the data are
 * random, since only time is measured.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  Adam,
  BatchNorm,
  Conv2d,
  crossEntropy,
  Dropout,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Rng,
  Sequential,
  Tensor,
} from "../../lib/autograd/mod.ts";
import { gemm } from "../../lib/autograd/kernels/mod.ts";
import { cnnClassifier, smallCnn3d } from "../../lib/models/mod.ts";

/** One benchmark workload: what the table's row says. */
export interface Workload {
  /** Short id, shared with frameworks.py. */
  id: string;
  /** The table's row label. */
  label: string;
}

/** The workloads of the comparison table, in its order. */
export const WORKLOADS: readonly Workload[] = [
  { id: "matmul512", label: "512³ fp32 matmul" },
  { id: "mlp", label: "MLP 784-256-128-10, batch 128, Adam" },
  { id: "cnn1", label: "chapter 1 CNN (conv16-BN-pool-conv32-BN-pool-fc128-fc10), batch 64" },
  { id: "cnn2", label: "chapter 2 classifier (5 conv blocks 16…256, 64×64×3), batch 32" },
  { id: "cnn3d", label: "small 3D CNN, batch 8 of 32³" },
  {
    id: "xception",
    label:
      "Xception-style BN-heavy block (entry + 2 separable residual blocks), batch 16 of 64×64×3",
  },
];

/** A prepared step: runs one training step (or one product) to completion. */
export type Step = () => void | Promise<void>;

const rng = new Rng(1);
const randomArray = (n: number) => Float32Array.from({ length: n }, () => rng.next());
const labelsFor = (batch: number, classes: number) =>
  Uint8Array.from({ length: batch }, (_, i) => i % classes);

function engineStep(model: Module, inputShape: number[], classes: number): Step {
  const x = new Tensor(randomArray(inputShape.reduce((a, b) => a * b, 1)), inputShape);
  const labels = labelsFor(inputShape[0], classes);
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  model.train();
  return () => {
    const loss = crossEntropy(model.forward(x), labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  };
}

/** Our engine's step for `id`, or null when the engine has no such model (2-D conv nets only). */
export function engineWorkload(id: string): Step | null {
  const r = new Rng(7);
  switch (id) {
    case "matmul512": {
      const a = randomArray(512 * 512), b = randomArray(512 * 512), c = new Float32Array(512 * 512);
      return () => gemm(false, false, 512, 512, 512, a, b, c);
    }
    case "mlp":
      return engineStep(
        new Sequential(
          new Linear(784, 256, r),
          new ReLU(),
          new Linear(256, 128, r),
          new ReLU(),
          new Linear(128, 10, r),
        ),
        [128, 784],
        10,
      );
    case "cnn1":
      return engineStep(
        new Sequential(
          new Conv2d(1, 16, 3, r, { pad: 1 }),
          new BatchNorm(16),
          new ReLU(),
          new MaxPool2d(2),
          new Conv2d(16, 32, 3, r, { pad: 1 }),
          new BatchNorm(32),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(32 * 7 * 7, 128, r),
          new ReLU(),
          new Dropout(0.3, r),
          new Linear(128, 10, r),
        ),
        [64, 1, 28, 28],
        10,
      );
    default:
      return null;
  }
}

function tfjsStep(model: tf.LayersModel, inputShape: number[], classes: number): Step {
  const softmaxOut = model.outputs[0].sourceLayer.getConfig().activation === "softmax";
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: softmaxOut
      ? "categoricalCrossentropy"
      : (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  const x = tf.tensor(randomArray(inputShape.reduce((a, b) => a * b, 1)), inputShape);
  const y = tf.oneHot(tf.tensor1d(labelsFor(inputShape[0], classes), "int32"), classes);
  return async () => {
    await model.trainOnBatch(x, y);
  };
}

function tfjsXception(): tf.LayersModel {
  const L = tf.layers;
  const input = tf.input({ shape: [64, 64, 3] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const convBnRelu = (x: tf.SymbolicTensor, filters: number, strides: number) =>
    apply(
      L.reLU(),
      apply(
        L.batchNormalization(),
        apply(
          L.conv2d({ filters, kernelSize: 3, strides, padding: "same", useBias: false }),
          x,
        ),
      ),
    );
  let h = convBnRelu(convBnRelu(input, 32, 2), 64, 1);
  for (const f of [128, 256]) {
    const r = apply(
      L.batchNormalization(),
      apply(L.conv2d({ filters: f, kernelSize: 1, strides: 2, useBias: false }), h),
    );
    const sep = (x: tf.SymbolicTensor) =>
      apply(
        L.batchNormalization(),
        apply(L.separableConv2d({ filters: f, kernelSize: 3, padding: "same", useBias: false }), x),
      );
    let b = apply(L.reLU(), sep(h));
    b = apply(L.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }), sep(b));
    h = apply(L.reLU(), apply(L.add(), [b, r]));
  }
  const out = apply(L.dense({ units: 10 }), apply(L.globalAveragePooling2d({}), h));
  return tf.model({ inputs: input, outputs: out });
}

/** The tfjs step for `id` (the caller has selected the backend). */
export function tfjsWorkload(id: string): Step | null {
  switch (id) {
    case "matmul512": {
      const a = tf.tensor2d(randomArray(512 * 512), [512, 512]);
      const b = tf.tensor2d(randomArray(512 * 512), [512, 512]);
      return () => {
        const c = tf.matMul(a, b);
        c.dataSync();
        c.dispose();
      };
    }
    case "mlp":
      return tfjsStep(
        tf.sequential({
          layers: [
            tf.layers.dense({ inputShape: [784], units: 256, activation: "relu" }),
            tf.layers.dense({ units: 128, activation: "relu" }),
            tf.layers.dense({ units: 10 }),
          ],
        }),
        [128, 784],
        10,
      );
    case "cnn1":
      return tfjsStep(
        tf.sequential({
          layers: [
            tf.layers.conv2d({
              inputShape: [28, 28, 1],
              filters: 16,
              kernelSize: 3,
              padding: "same",
            }),
            tf.layers.batchNormalization(),
            tf.layers.reLU(),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: "same" }),
            tf.layers.batchNormalization(),
            tf.layers.reLU(),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 128, activation: "relu" }),
            tf.layers.dropout({ rate: 0.3 }),
            tf.layers.dense({ units: 10 }),
          ],
        }),
        [64, 28, 28, 1],
        10,
      );
    case "cnn2":
      return tfjsStep(
        cnnClassifier({ numClasses: 5, filters: [16, 32, 64, 128, 256] }),
        [32, 64, 64, 3],
        5,
      );
    case "cnn3d":
      return tfjsStep(smallCnn3d({ inputShape: [32, 32, 32, 1], numClasses: 4 }), [
        8,
        32,
        32,
        32,
        1,
      ], 4);
    case "xception":
      return tfjsStep(tfjsXception(), [16, 64, 64, 3], 10);
    default:
      return null;
  }
}
