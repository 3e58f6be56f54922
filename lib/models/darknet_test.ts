import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { seededValues } from "../tfjs/reference.ts";
import {
  cutAt,
  darknetLabels,
  foldBatchNorm,
  layersBetween,
  loadDarknetTiny,
  setTrainable,
  topK,
} from "./darknet.ts";

await useWasm();

// 64 px keeps the test fast: the network is fully convolutional, so the weights still apply.
const net = await loadDarknetTiny({ inputSize: 64 });
const x = tf.tensor4d(seededValues(2 * 64 * 64 * 3, 3, 0, 1), [2, 64, 64, 3]);

Deno.test("Darknet-tiny loads through the asset layer with its ImageNet weights and labels", async () => {
  assertEquals(net.inputs[0].shape, [null, 64, 64, 3]);
  assertEquals(net.outputs[0].shape, [null, 1000]);
  assertEquals(net.countParams(), 1_046_488);
  // Real weights, not an initializer: the first conv's kernel has the checksummed file's values.
  const k = net.getLayer("conv2d_1").getWeights()[0];
  assertEquals(k.shape, [3, 3, 3, 16]);
  assert(tf.moments(k).variance.dataSync()[0] > 1e-3, "first kernel is not constant");
  const labels = await darknetLabels();
  assertEquals(labels.length, 1000);
  assertEquals(labels[0], "kit fox");
  const top = await topK(net.predict(x) as tf.Tensor2D, labels, 5);
  assertEquals(top.length, 2);
  assertEquals(top[0].length, 5);
  assert(top[0][0].prob >= top[0][4].prob, "sorted");
  assertThrows(() => cutAt(net, "no_such_layer"), Error, "no layer no_such_layer");
});

Deno.test("cutAt and layersBetween split the network without changing what it computes", () => {
  const low = cutAt(net, "leaky_re_lu_13");
  const high = layersBetween(net, "leaky_re_lu_13", "global_average_pooling2d_1");
  assertEquals(low.outputs[0].shape, [null, 4, 4, 64]);
  const whole = net.predict(x) as tf.Tensor;
  const split = high.predict(low.predict(x) as tf.Tensor) as tf.Tensor;
  assertAlmostEquals(tf.max(tf.abs(tf.sub(whole, split))).dataSync()[0], 0, 1e-4);
  // Shared layers: the parts hold the very same variables as the whole.
  assertEquals(
    high.getLayer("conv2d_14").getWeights()[0].id,
    net.getLayer("conv2d_14").getWeights()[0].id,
  );
});

Deno.test("freezing: setTrainable(false) leaves no trainable weights, true restores them", () => {
  const top = layersBetween(net, "leaky_re_lu_13", "leaky_re_lu_14");
  const inp = tf.input({ shape: [4, 4, 64] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(top.apply(inp)) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: 3 });
  const model = tf.model({ inputs: inp, outputs: head.apply(pooled) as tf.SymbolicTensor });
  setTrainable(top, false);
  assertEquals(model.trainableWeights.map((w) => w.name), head.trainableWeights.map((w) => w.name));
  setTrainable(top, true);
  // conv2d_14's kernel and batch_normalization_14's gamma and beta, then the head.
  assertEquals(model.trainableWeights.length, 3 + 2);
  assertEquals(model.nonTrainableWeights.length, 2, "BN moving mean and variance never train");
});

Deno.test("foldBatchNorm: conv + inference-mode BN = one conv with bias", () => {
  const top = layersBetween(net, "leaky_re_lu_12", "leaky_re_lu_15");
  const folded = foldBatchNorm(top);
  assertEquals(folded.layers.filter((l) => l.getClassName() === "BatchNormalization").length, 0);
  assertEquals(folded.layers.filter((l) => l.getClassName() === "Conv2D").length, 3);
  const f = tf.randomUniform([2, 4, 4, 512], 0, 2, "float32", 5);
  const a = top.predict(f) as tf.Tensor, b = folded.predict(f) as tf.Tensor;
  const scale = tf.max(tf.abs(a)).dataSync()[0];
  assertAlmostEquals(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / scale, 0, 1e-5);
  // The folded copy owns its weights: training it leaves the backbone untouched.
  assert(folded.getWeights()[0].id !== net.getLayer("conv2d_13").getWeights()[0].id);
});
