// Targeted measurement of chapter 3 part 3 (same library calls and settings as the notebook cells).
import { projectRoot } from "../../lib/data/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { cnnClassifier, cutAt } from "../../lib/models/mod.ts";
import { linearHead, pretrainSimclr, projectionHead } from "../../lib/transfer/mod.ts";
import { loadImageDataset } from "../../lib/dataset/mod.ts";
import { evaluateClassifier, fitLightning, imageTensors } from "../../lib/train/mod.ts";
await useWasm();
const epochs = Number(Deno.args[0] ?? 10);
const small5 = await loadImageDataset(`${projectRoot()}/data/datasets/clothing5-v2`);
const smallSize = 64;
function chapter2Encoder(): tf.LayersModel {
  const model = cnnClassifier({
    numClasses: 5,
    imageSize: smallSize,
    filters: [16, 32, 64, 128, 256],
    batchNorm: false,
    pooling: "gem",
    seed: 1,
  });
  return cutAt(model, "block5_global_gempool");
}
async function probeEncoder(enc: tf.LayersModel, tag: string): Promise<number> {
  const feats = (split: "train" | "val" | "test") => {
    const t = imageTensors(small5.splits[split], 5, smallSize);
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < t.x.shape[0]; i += 128) {
      parts.push(enc.predict(t.x.slice(i, Math.min(128, t.x.shape[0] - i))) as tf.Tensor);
    }
    return { x: tf.concat(parts), y: t.y };
  };
  const train = feats("train"), val = feats("val"), test = feats("test");
  const head = linearHead({
    inputDim: 256,
    numClasses: 5,
    seed: 1,
    dropout: 0,
    name: `probe_${tag}`,
  });
  const r = await fitLightning(head, train, val, {
    epochs: 40,
    batchSize: 64,
    lr: 1e-3,
    warmupEpochs: 0,
    labelSmoothing: 0.1,
    seed: 1,
    monitor: "val_acc",
    log: () => {},
  }, `${Deno.makeTempDirSync()}/simclr/${tag}`);
  const ev = await evaluateClassifier((b) => ({ pred: head.predict(b.x) as tf.Tensor }), test, {
    batchSize: 64,
    numClasses: 5,
  });
  console.log(
    `PROBE ${tag}: val ${r.history[r.bestEpoch].val_acc.toFixed(4)} (best ${
      r.bestEpoch + 1
    }) test ${ev.report!.accuracy.toFixed(4)}`,
  );
  return ev.report!.accuracy;
}
await probeEncoder(chapter2Encoder(), "random");
const unlabelled = imageTensors(small5.splits.train, 5, smallSize);
const encoder = chapter2Encoder();
const projector = projectionHead({ inputDim: 256, hidden: 256, outputDim: 64, seed: 1 });
const r = await pretrainSimclr(encoder, projector, unlabelled.x as tf.Tensor4D, {
  epochs,
  batchSize: 64,
  lr: 1e-3,
  temperature: 0.2,
  seed: 1,
  log: (l) => console.log(l),
});
console.log("simclr seconds", r.seconds.toFixed(0));
await probeEncoder(encoder, "pretrained");
