import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { seededValues } from "../tfjs/reference.ts";
import { countMultAdds } from "./complexity.ts";
import { squeezeNet } from "./squeezenet.ts";
import { assertSoftmaxOfLogits } from "./_test_utils.ts";

await useWasm();

/**
 * torchvision's SqueezeNet at 224×224 and 1000 classes, the output (H, W, C) of each step of
 * `features` and `classifier` (torchvision/models/squeezenet.py: Conv2d(3, 96, 7, stride 2) or
 * Conv2d(3, 64, 3, stride 2), MaxPool2d(3, 2, ceil_mode=True), Fire(in, squeeze, e1x1, e3x3);
 * classifier Dropout, Conv2d(512, 1000, 1), ReLU, AdaptiveAvgPool2d(1)), with each step's
 * parameters (weights + biases of its convolutions).
 */
const TORCHVISION: Record<"1.0" | "1.1", [string, number[], number][]> = {
  "1.0": [
    ["conv1", [109, 109, 96], 14_208],
    ["pool1", [54, 54, 96], 0],
    ["fire2_concat", [54, 54, 128], 11_920],
    ["fire3_concat", [54, 54, 128], 12_432],
    ["fire4_concat", [54, 54, 256], 45_344],
    ["pool4", [27, 27, 256], 0],
    ["fire5_concat", [27, 27, 256], 49_440],
    ["fire6_concat", [27, 27, 384], 104_880],
    ["fire7_concat", [27, 27, 384], 111_024],
    ["fire8_concat", [27, 27, 512], 188_992],
    ["pool8", [13, 13, 512], 0],
    ["fire9_concat", [13, 13, 512], 197_184],
    ["conv10", [13, 13, 1000], 513_000],
    ["avg_pool", [1000], 0],
  ],
  "1.1": [
    ["conv1", [111, 111, 64], 1_792],
    ["pool1", [55, 55, 64], 0],
    ["fire2_concat", [55, 55, 128], 11_408],
    ["fire3_concat", [55, 55, 128], 12_432],
    ["pool3", [27, 27, 128], 0],
    ["fire4_concat", [27, 27, 256], 45_344],
    ["fire5_concat", [27, 27, 256], 49_440],
    ["pool5", [13, 13, 256], 0],
    ["fire6_concat", [13, 13, 384], 104_880],
    ["fire7_concat", [13, 13, 384], 111_024],
    ["fire8_concat", [13, 13, 512], 188_992],
    ["fire9_concat", [13, 13, 512], 197_184],
    ["conv10", [13, 13, 1000], 513_000],
    ["avg_pool", [1000], 0],
  ],
};

/** Parameters of a layer, or of a whole Fire module for `fireN_concat`. */
function paramsOf(model: tf.LayersModel, name: string): number {
  if (!name.endsWith("_concat")) return model.getLayer(name).countParams();
  const prefix = name.replace("_concat", "_");
  return model.layers.filter((l) => l.name.startsWith(prefix))
    .reduce((s, l) => s + l.countParams(), 0);
}

for (const version of ["1.0", "1.1"] as const) {
  Deno.test(`squeezeNet ${version}: torchvision's parameters, shapes and multiply-adds`, () => {
    const model = squeezeNet({ version });
    assertEquals(model.countParams(), version === "1.0" ? 1_248_424 : 1_235_496);
    for (const [name, shape, params] of TORCHVISION[version]) {
      const layer = model.getLayer(name);
      assertEquals((layer.outputShape as number[]).slice(1), shape, `${version} ${name} shape`);
      if (params > 0) assertEquals(paramsOf(model, name), params, `${version} ${name} params`);
    }
    // torchvision's table lists 0.82 and 0.35 "GFLOPS" (multiply-adds) at 224×224.
    assertAlmostEquals(countMultAdds(model) / 1e9, version === "1.0" ? 0.82 : 0.35, 0.005);
    model.dispose();
  });
}

Deno.test("squeezeNet: ceil-mode pooling equals PyTorch's max over the windows that fit", () => {
  // 33×33 → conv1 (3×3/2) 16×16 → pool1 ⌈(16−3)/2⌉+1 = 8 rows: the last window starts at row 14
  // and holds rows 14-15 only (a floor-mode pool would give 7 rows, a "same" one 8 other windows).
  const model = squeezeNet({ imageSize: 33, numClasses: 3, widthMultiplier: 0.25 });
  const conv1 = tf.model({ inputs: model.inputs, outputs: model.getLayer("conv1_relu").output });
  const pool1 = tf.model({ inputs: model.inputs, outputs: model.getLayer("pool1").output });
  const x = tf.tensor4d(seededValues(33 * 33 * 3, 2, -1, 1), [1, 33, 33, 3]);
  const a = conv1.predict(x) as tf.Tensor4D, p = pool1.predict(x) as tf.Tensor4D;
  const [, n, , c] = a.shape;
  assertEquals(n, 16);
  const out = Math.ceil((n - 3) / 2) + 1;
  assertEquals(p.shape, [1, out, out, c]);
  const av = a.arraySync()[0], pv = p.arraySync()[0];
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < out; j++) {
      for (let k = 0; k < c; k++) {
        let m = -Infinity;
        for (let di = 0; di < 3 && 2 * i + di < n; di++) {
          for (let dj = 0; dj < 3 && 2 * j + dj < n; dj++) {
            m = Math.max(m, av[2 * i + di][2 * j + dj][k]);
          }
        }
        assertAlmostEquals(pv[i][j][k], m, 1e-6);
      }
    }
  }
  tf.dispose([x, a, p]);
  model.dispose();
});

Deno.test("squeezeNet: a CPU-sized variant returns logits, seeded, and trains", () => {
  const opts = { imageSize: 32, numClasses: 4, widthMultiplier: 0.25, dropout: 0 };
  const a = squeezeNet(opts), b = squeezeNet(opts);
  assertEquals(a.getLayer("fire9_concat").outputShape, [null, 1, 1, 128]);
  const x = tf.tensor4d(seededValues(2 * 32 * 32 * 3, 3, 0, 1), [2, 32, 32, 3]);
  const pa = a.predict(x) as tf.Tensor, pb = b.predict(x) as tf.Tensor;
  assertEquals(pa.shape, [2, 4]);
  assertEquals(Array.from(pa.dataSync()), Array.from(pb.dataSync()), "same seed, same model");
  // Logits by default; `softmax: true` adds the final softmax (the same scores, normalized).
  const withSoftmax = squeezeNet({ ...opts, softmax: true });
  assertSoftmaxOfLogits(withSoftmax, a, x, pa);
  const y = tf.oneHot(tf.tensor1d([0, 2], "int32"), 4);
  const grads = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(y, a.apply(x, { training: true }) as tf.Tensor)
  );
  assert(Object.keys(grads.grads).length === a.trainableWeights.length, "a gradient per weight");
  // With batch norm: one BN per convolution but the classifier's, and no conv biases.
  const bn = squeezeNet({ ...opts, batchNorm: true });
  const bnLayers = bn.layers.filter((l) => l.getClassName() === "BatchNormalization");
  assertEquals(bnLayers.length, 25);
  const convs = bn.layers.filter((l) => l.getClassName() === "Conv2D");
  const bnWeights = bnLayers.reduce((s, l) => s + l.countParams(), 0);
  const convBiases = convs.filter((l) => l.name !== "conv10")
    .reduce((s, l) => s + (l.getConfig().filters as number), 0);
  assertEquals(bn.countParams(), a.countParams() - convBiases + bnWeights);
  const pbn = bn.predict(x) as tf.Tensor;
  assertEquals(pbn.shape, [2, 4]);
  tf.dispose(pbn);
  bn.dispose();
  tf.dispose([x, y, pa, pb, grads.value, ...Object.values(grads.grads)]);
  assertThrows(() => squeezeNet({ version: "2.0" as "1.0" }), Error, "unknown version");
  assertThrows(() => squeezeNet({ imageSize: 20 }), Error, "below the smallest");
  a.dispose();
  b.dispose();
});
