import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { fileIO } from "../tfjs/io.ts";
import { seededValues } from "../tfjs/reference.ts";
import { cnnClassifier } from "./cnn_classifier.ts";

await useWasm();

const x = tf.tensor4d(seededValues(2 * 16 * 16 * 3, 1, 0, 1), [2, 16, 16, 3]);

Deno.test("cnnClassifier: class logits, seeded weights, max or GeM pooling", () => {
  const a = cnnClassifier({ numClasses: 4, imageSize: 16, filters: [4, 8, 8] });
  const b = cnnClassifier({ numClasses: 4, imageSize: 16, filters: [4, 8, 8] });
  const pa = a.predict(x) as tf.Tensor, pb = b.predict(x) as tf.Tensor;
  assertEquals(pa.shape, [2, 4]);
  const rows = tf.softmax(pa).sum(1).dataSync();
  rows.forEach((s) => assertAlmostEquals(s, 1, 1e-5));
  assertEquals(Array.from(pa.dataSync()), Array.from(pb.dataSync()), "same seed, same model");
  assertEquals(a.layers.filter((l) => l.name.endsWith("maxpool")).length, 3);

  const head = cnnClassifier({ numClasses: 4, imageSize: 16, filters: [4, 8, 8], pooling: "gem" });
  const gemNames = (m: tf.LayersModel) =>
    m.layers.filter((l) => l.getClassName() === "GemPooling2D").map((l) => l.name);
  assertEquals(gemNames(head), ["block3_global_gempool"]);
  head.dispose();
  const ops = cnnClassifier({
    numClasses: 4,
    imageSize: 16,
    filters: [4, 8, 8],
    pooling: "gem-all",
  });
  const cg = cnnClassifier({
    numClasses: 4,
    imageSize: 16,
    filters: [4, 8, 8],
    pooling: "gem-all",
    gemImpl: "customGrad",
  });
  assertEquals(gemNames(ops), ["block1_gempool", "block2_gempool", "block3_global_gempool"]);
  const po = ops.predict(x) as tf.Tensor, pc = cg.predict(x) as tf.Tensor;
  const vo = po.dataSync(), vc = pc.dataSync();
  vo.forEach((v, i) => assertAlmostEquals(vc[i], v, 1e-5));
  assertThrows(() => cnnClassifier({ numClasses: 2, imageSize: 20 }), Error, "divisible");
  tf.dispose([pa, pb, po, pc]);
  [a, b, ops, cg].forEach((m) => m.dispose());
});

Deno.test("cnnClassifier with GeM and batch norm survives a save/load round trip", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cnn-" });
  try {
    const m = cnnClassifier({
      numClasses: 3,
      imageSize: 16,
      filters: [4, 8],
      pooling: "gem",
      batchNorm: true,
    });
    await m.save(fileIO(dir));
    const loaded = await tf.loadLayersModel(fileIO(dir));
    const p1 = m.predict(x) as tf.Tensor, p2 = loaded.predict(x) as tf.Tensor;
    const v2 = p2.dataSync();
    p1.dataSync().forEach((v, i) => assertAlmostEquals(v2[i], v, 1e-6));
    assert(loaded.layers.some((l) => l.name === "block1_bn"), "batch norm kept");
    tf.dispose([p1, p2]);
    m.dispose();
    loaded.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
