import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { seededValues } from "../tfjs/reference.ts";
import { blockCosts } from "./complexity.ts";
import { xception } from "./xception.ts";
import { assertSoftmaxOfLogits } from "./_test_utils.ts";

await useWasm();

/**
 * Keras' `Xception(weights=None)` at 299×299 (keras/src/applications/xception.py; the shapes and
 * parameters of its `summary()`): layer → output (H, W, C) and parameters. Keras leaves the
 * shortcut convolutions and the additions unnamed; ours are `blockN_shortcut` and `blockN_add`.
 */
const KERAS: [string, number[], number][] = [
  ["block1_conv1", [149, 149, 32], 864],
  ["block1_conv1_bn", [149, 149, 32], 128],
  ["block1_conv2", [147, 147, 64], 18_432],
  ["block1_conv2_bn", [147, 147, 64], 256],
  ["block2_shortcut", [74, 74, 128], 8_192],
  ["block2_sepconv1", [147, 147, 128], 8_768],
  ["block2_sepconv2", [147, 147, 128], 17_536],
  ["block2_pool", [74, 74, 128], 0],
  ["block2_add", [74, 74, 128], 0],
  ["block3_shortcut", [37, 37, 256], 32_768],
  ["block3_sepconv1", [74, 74, 256], 33_920],
  ["block3_sepconv2", [74, 74, 256], 67_840],
  ["block3_pool", [37, 37, 256], 0],
  ["block4_shortcut", [19, 19, 728], 186_368],
  ["block4_sepconv1", [37, 37, 728], 188_672],
  ["block4_sepconv2", [37, 37, 728], 536_536],
  ["block4_sepconv2_bn", [37, 37, 728], 2_912],
  ["block4_pool", [19, 19, 728], 0],
  ["block5_sepconv1", [19, 19, 728], 536_536],
  ["block8_sepconv3_bn", [19, 19, 728], 2_912],
  ["block12_add", [19, 19, 728], 0],
  ["block13_shortcut", [10, 10, 1024], 745_472],
  ["block13_sepconv1", [19, 19, 728], 536_536],
  ["block13_sepconv2", [19, 19, 1024], 752_024],
  ["block13_pool", [10, 10, 1024], 0],
  ["block14_sepconv1", [10, 10, 1536], 1_582_080],
  ["block14_sepconv1_bn", [10, 10, 1536], 6_144],
  ["block14_sepconv2", [10, 10, 2048], 3_159_552],
  ["block14_sepconv2_act", [10, 10, 2048], 0],
  ["avg_pool", [2048], 0],
  ["predictions", [1000], 2_049_000],
];

Deno.test("xception: Keras' parameters and layer shapes at 299x299", () => {
  const model = xception();
  assertEquals(model.countParams(), 22_910_480);
  for (const [name, shape, params] of KERAS) {
    const layer = model.getLayer(name);
    assertEquals((layer.outputShape as number[]).slice(1), shape, `${name} shape`);
    assertEquals(layer.countParams(), params, `${name} params`);
  }
  // The paper's 36 convolutional layers (2 plain + 34 separable), plus the 4 shortcut 1×1
  // projections; the eight middle blocks are identical.
  const classes = model.layers.map((l) => l.getClassName());
  assertEquals(classes.filter((c) => c === "SeparableConv2D").length, 34);
  assertEquals(classes.filter((c) => c === "Conv2D").length, 6);
  const middle = blockCosts(model).filter((b) => /^block([5-9]|1[0-2])$/.test(b.block));
  assertEquals(middle.length, 8);
  middle.forEach((b) => assertEquals(b.params, 1_618_344, b.block));
  model.dispose();
  const noTop = xception({ includeTop: false });
  assertEquals(noTop.countParams(), 20_861_480);
  assertEquals(noTop.outputs[0].shape, [null, 10, 10, 2048]);
  noTop.dispose();
});

Deno.test("xception: a CPU-sized variant (narrow, 2 middle blocks) is seeded and trains", () => {
  const opts = { imageSize: 40, numClasses: 3, widthMultiplier: 0.125, middleBlocks: 2 };
  const a = xception(opts), b = xception(opts);
  // The exit flow is renumbered after the middle flow: blocks 7 (down) and 8 (final).
  assertEquals(a.getLayer("block8_sepconv2_act").outputShape, [null, 2, 2, 256]);
  assertEquals(a.getLayer("block6_add").outputShape, [null, 3, 3, 91]);
  const x = tf.tensor4d(seededValues(2 * 40 * 40 * 3, 4, 0, 1), [2, 40, 40, 3]);
  const pa = a.predict(x) as tf.Tensor, pb = b.predict(x) as tf.Tensor;
  assertEquals(Array.from(pa.dataSync()), Array.from(pb.dataSync()), "same seed, same model");
  // Logits by default; `softmax: true` ends in Keras' softmax classifier (same parameters).
  assertEquals(a.getLayer("predictions").getConfig().activation, "linear");
  const withSoftmax = xception({ ...opts, softmax: true });
  assertEquals(withSoftmax.getLayer("predictions").getConfig().activation, "softmax");
  assertSoftmaxOfLogits(withSoftmax, a, x, pa);
  // One SGD step lowers the loss on the batch: every separable convolution gets a gradient.
  const y = tf.oneHot(tf.tensor1d([0, 2], "int32"), 3);
  const loss = () =>
    tf.losses.softmaxCrossEntropy(y, a.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const opt = tf.train.sgd(0.05);
  const before = opt.minimize(loss, true)!;
  const after = loss();
  assert(after.dataSync()[0] < before.dataSync()[0], "one step lowers the loss");
  tf.dispose([x, y, pa, pb, before, after]);
  assertThrows(() => xception({ middleBlocks: 1.5 }), Error, "middleBlocks");
  assertThrows(() => xception({ imageSize: 32 }), Error, "below the smallest");
  a.dispose();
  b.dispose();
});
