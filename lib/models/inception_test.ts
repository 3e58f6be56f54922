import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { seededValues } from "../tfjs/reference.ts";
import { inceptionDir, loadInceptionV3, pooledOutputs } from "./inception.ts";

await useWasm();

// 96 px keeps the test fast (mixed10 is then 1×1); the weights are the same at any size.
const net = await loadInceptionV3({ inputSize: 96 });
const x = tf.tensor4d(seededValues(2 * 96 * 96 * 3, 5, 0, 1), [2, 96, 96, 3]);

Deno.test("InceptionV3 from nsfwjs loads up to mixed10, frozen, without the NSFW head", () => {
  assertEquals(net.inputs[0].shape, [null, 96, 96, 3]);
  assertEquals(net.outputs[0].shape, [null, 1, 1, 2048]);
  // Keras' InceptionV3(include_top=False) has exactly this many parameters.
  assertEquals(net.countParams(), 21_802_784);
  assertEquals(net.layers.at(-1)!.name, "mixed10");
  assert(net.layers.every((l) => !l.trainable), "every layer frozen");
  assertEquals(net.trainableWeights.length, 0);
});

Deno.test("InceptionV3's 8-bit weights are dequantized as min + scale · q", () => {
  // Read the first weight (batch_normalization_1/beta, 32 values) from the package's files directly.
  const dir = inceptionDir();
  const require = createRequire(`${dir}/`);
  const json = require(`${dir}/model.min.js`) as {
    weightsManifest: {
      paths: string[];
      weights: { name: string; shape: number[]; quantization: { min: number; scale: number } }[];
    }[];
  };
  const spec = json.weightsManifest[0].weights[0];
  assertEquals(spec.name, "batch_normalization_1/beta");
  const shard = atob(require(`${dir}/${json.weightsManifest[0].paths[0]}.min.js`) as string);
  const expected = Array.from(
    { length: 32 },
    (_, i) => spec.quantization.min + spec.quantization.scale * shard.charCodeAt(i),
  );
  const beta = net.getLayer("batch_normalization_1").getWeights()[0].dataSync();
  assertEquals(beta.length, 32);
  beta.forEach((v, i) => assertAlmostEquals(v, expected[i], 1e-6));
});

Deno.test("pooledOutputs averages each named layer over positions, in one model", () => {
  const pooled = pooledOutputs(net, ["mixed7", "mixed10"]);
  const y = pooled.predict(x) as tf.Tensor;
  assertEquals(y.shape, [2, 768 + 2048]);
  const mixed7 = tf.model({ inputs: net.inputs, outputs: net.getLayer("mixed7").output });
  const want7 = tf.mean(mixed7.predict(x) as tf.Tensor, [1, 2]);
  const want10 = tf.mean(net.predict(x) as tf.Tensor, [1, 2]);
  const got = y.dataSync(), a = want7.dataSync(), b = want10.dataSync();
  for (let n = 0; n < 2; n++) {
    for (const [i, v] of [[5, a[n * 768 + 5]], [768 + 9, b[n * 2048 + 9]]]) {
      assertAlmostEquals(got[n * 2816 + i], v, 1e-4);
    }
  }
  assert(tf.moments(y).variance.dataSync()[0] > 1e-4, "features are not constant");
});

Deno.test("loadInceptionV3 rejects an input too small for the network", async () => {
  await assertRejects(() => loadInceptionV3({ inputSize: 64 }), Error, "at least 75");
});
