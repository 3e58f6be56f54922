/**
 * Each layer type the book uses trains on the patched wasm backend with the same losses as on the
 * cpu backend, from the same initial weights and data.
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm, withBackend } from "./backend.ts";
import { seededValues } from "./reference.ts";

await useWasm();
tf.env().set("PROD", true);

type Build = () => tf.layers.Layer[];

const cases: [string, number[], Build][] = [
  ["conv2d s1 same + maxPool2d", [6, 6, 2], () => [
    tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", activation: "relu" }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
  ]],
  [
    "conv2d s2 valid",
    [7, 7, 2],
    () => [tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2 })],
  ],
  ["depthwiseConv2d x2", [6, 6, 3], () => [
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: "same" }),
  ]],
  ["separableConv2d s2 + batchNorm + maxPool", [8, 8, 2], () => [
    tf.layers.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "same" }),
    tf.layers.batchNormalization(),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }),
  ]],
  ["conv2dTranspose s2", [4, 4, 3], () => [
    tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: "same" }),
  ]],
  ["conv3d s1 same + maxPool3d", [4, 4, 4, 2], () => [
    tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: "same", activation: "relu" }),
    tf.layers.maxPooling3d({ poolSize: 2 }),
  ]],
  ["conv3d s2 valid (two channels in)", [5, 5, 5, 2], () => [
    tf.layers.conv3d({ filters: 2, kernelSize: 3, strides: 2 }),
  ]],
];

/** Trains a model made of `layers` + flatten + dense on a fixed batch; returns per-epoch losses. */
async function losses(
  backend: string,
  inShape: number[],
  build: Build,
  weights?: Float32Array[],
): Promise<{ losses: number[]; weights: Float32Array[] }> {
  return await withBackend(backend, async () => {
    const model = tf.sequential();
    const layers = build();
    model.add(tf.layers.inputLayer({ inputShape: inShape }));
    for (const l of layers) model.add(l);
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 2 }));
    // Both runs start from the same seeded weights. (tfjs's default initialisers draw from
    // global random state, so the run, and whether SGD converges in three epochs, would depend on
    // which tests ran before.)
    model.setWeights(model.weights.map((w, i) => {
      const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      if (weights) return tf.tensor(weights[i], w.shape as number[]);
      const values = seededValues(size, 100 + i, -0.2, 0.2);
      const positive = /gamma|variance/.test(w.originalName);
      return tf.tensor(positive ? values.map((v) => 1 + v) : values, w.shape as number[]);
    }));
    const initial = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const n = 4;
    const x = tf.tensor(seededValues(n * inShape.reduce((a, b) => a * b), 7), [n, ...inShape]);
    const y = tf.tensor(seededValues(n * 2, 8), [n, 2]);
    model.compile({ optimizer: tf.train.sgd(0.05), loss: "meanSquaredError" });
    const h = await model.fit(x, y, { epochs: 3, batchSize: n, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    model.dispose();
    return { losses: h.history.loss as number[], weights: initial };
  });
}

for (const [name, inShape, build] of cases) {
  Deno.test(`layer trains identically on wasm and cpu: ${name}`, async () => {
    const cpu = await losses("cpu", inShape, build);
    const wasm = await losses("wasm", inShape, build, cpu.weights);
    cpu.losses.forEach((l, i) => {
      const w = wasm.losses[i];
      if (!(Math.abs(l - w) <= 1e-4 * Math.max(1, Math.abs(l)))) {
        throw new Error(`epoch ${i}: cpu loss ${l} vs wasm ${w}`);
      }
    });
    if (!(wasm.losses[2] < wasm.losses[0])) throw new Error(`did not learn: ${wasm.losses}`);
  });
}
