// Targeted measurement scripts for chapter 3 (RESULTS.md names them); each repeats the notebook cells of one part with the same library calls.
import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../../lib/tfjs/backend.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { loadUsps } from "../../lib/data/usps.ts";
import { dannAccuracy, dannNets, trainDann } from "../../lib/transfer/dann.ts";
await useWasm();
const [steps, bs, lr, nM] = [
  Number(Deno.args[0] ?? 1000),
  Number(Deno.args[1] ?? 32),
  Number(Deno.args[2] ?? 0.01),
  Number(Deno.args[3] ?? 10000),
];
const mnist = await loadMnist({ limitTrain: nM, limitTest: 10 });
const uTrain = await loadUsps("train"), uTest = await loadUsps("test");
const toUsps28 = (s: { images: Float32Array; labels: Uint8Array; count: number }) =>
  tf.tidy(() => ({
    x: tf.pad(tf.image.resizeBilinear(tf.tensor4d(s.images, [s.count, 16, 16, 1]), [20, 20]), [
      [0, 0],
      [4, 4],
      [4, 4],
      [0, 0],
    ]) as tf.Tensor4D,
    y: tf.tensor1d(Int32Array.from(s.labels), "int32") as tf.Tensor1D,
  }));
const src = {
  x: tf.tensor4d(mnist.train.images, [mnist.train.count, 28, 28, 1]),
  y: tf.tensor1d(Int32Array.from(mnist.train.labels), "int32") as tf.Tensor1D,
};
const tgt = toUsps28(uTrain), tst = toUsps28(uTest);
for (const adapt of (Deno.args[4] ?? "false,true").split(",").map((s) => s === "true")) {
  const nets = dannNets({ side: 28, numClasses: 10, seed: 1 });
  const t = performance.now();
  await trainDann(nets, src, tgt, {
    steps,
    batchSize: bs,
    lr,
    adapt,
    logEvery: 250,
    onLog: (s, l) => console.log(adapt, s, JSON.stringify(l)),
  });
  console.log(
    adapt ? "DANN" : "source-only",
    "usps test",
    await dannAccuracy(nets, tst),
    "time",
    ((performance.now() - t) / 1000).toFixed(0),
  );
}
