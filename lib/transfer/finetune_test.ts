import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { fitLightning } from "../train/classifier.ts";
import { featureStats, linearHead, TransferModule } from "./finetune.ts";
import { pretrainSimclr, projectionHead } from "./simclr.ts";

await useWasm();

function tinyBackbone(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3] });
  const conv = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", useBias: false })
    .apply(input);
  const bn = tf.layers.batchNormalization({}).apply(conv);
  return tf.model({
    inputs: input,
    outputs: tf.layers.leakyReLU({}).apply(bn) as tf.SymbolicTensor,
  });
}

Deno.test("TransferModule: head-only then all variables; BN statistics never move", async () => {
  const backbone = tinyBackbone();
  const head = linearHead({ inputDim: 6, numClasses: 2, seed: 1 });
  const module = new TransferModule(backbone, head, { lr: 0.01 });
  assertEquals(module.trainableVariables().length, 2, "head kernel and bias");
  module.phase = "all";
  assertEquals(module.trainableVariables().length, 2 + 3, "+ conv kernel, BN gamma and beta");
  const stats = () => backbone.layers[2].getWeights().slice(2).map((w) => Array.from(w.dataSync()));
  const before = stats();
  const x = tf.randomUniform([16, 4, 4, 3], 0, 1, "float32", 2);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 2), "int32"), 2)
    .toFloat();
  const dir = await Deno.makeTempDir();
  const kernelBefore = Array.from(backbone.layers[1].getWeights()[0].dataSync());
  await fitLightning(
    module.model,
    { x, y },
    { x, y },
    {
      epochs: 1,
      batchSize: 8,
      lr: 0.01,
      warmupEpochs: 0,
      log: () => {},
    },
    dir,
    { module },
  );
  assertEquals(stats(), before, "moving mean and variance unchanged");
  const kernelAfter = Array.from(backbone.layers[1].getWeights()[0].dataSync());
  assert(kernelAfter.some((v, i) => v !== kernelBefore[i]), "phase all trains the backbone");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pretrainSimclr: runs seeded epochs and returns finite NT-Xent losses", async () => {
  const make = () => {
    const input = tf.input({ shape: [16, 16, 3] });
    const c = tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      activation: "relu",
      kernelInitializer: tf.initializers.heNormal({ seed: 3 }),
    }).apply(input);
    const p = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: p });
  };
  const images = tf.randomUniform([16, 16, 16, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const run = async () => {
    const r = await pretrainSimclr(make(), projectionHead({ inputDim: 4, outputDim: 8 }), images, {
      epochs: 2,
      batchSize: 8,
      lr: 1e-3,
      seed: 1,
    });
    return r.losses;
  };
  const a = await run(), b = await run();
  assertEquals(a.length, 2);
  assert(a.every(Number.isFinite) && a[0] > 0, `losses ${a}`);
  assertEquals(a, b, "seeded: the same losses twice");
});

Deno.test("linearHead with stats standardizes its input with fixed, non-trainable weights", () => {
  const x = tf.tensor2d([[1, 10], [3, 30], [5, 50]]);
  const stats = featureStats(x);
  assertEquals(Array.from(stats.mean), [3, 30]);
  const head = linearHead({ inputDim: 2, numClasses: 2, dropout: 0, stats, seed: 1 });
  const plain = linearHead({ inputDim: 2, numClasses: 2, dropout: 0, seed: 1 });
  assertEquals(head.trainableWeights.length, 2, "dense kernel and bias only");
  const z = tf.div(tf.sub(x, tf.tensor1d(stats.mean)), tf.tensor1d(stats.std));
  const a = head.predict(x) as tf.Tensor, b = plain.predict(z) as tf.Tensor;
  assert(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] < 1e-5, "head(x) = plain((x − μ)/σ)");
});
