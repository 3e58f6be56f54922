// Targeted measurement of chapter 3 part 1 (same library calls and settings as the notebook cells).
import { projectRoot } from "../../lib/data/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { cutAt, layersBetween, loadDarknetTiny } from "../../lib/models/mod.ts";
import {
  cachedFeatures,
  extractFeatures,
  featureStats,
  linearHead,
  TransferModule,
} from "../../lib/transfer/mod.ts";
import { type ImageDataset, loadImageDataset } from "../../lib/dataset/mod.ts";
import {
  evaluateClassifier,
  fitLightning,
  type FitSettings,
  type TensorDataset,
} from "../../lib/train/mod.ts";
await useWasm();
const K = Deno.args[0] ?? "5";
const finetuneEpochs = Number(Deno.args[1] ?? 3);
const id = `clothing${K}-224-v1`;
const d: ImageDataset = await loadImageDataset(`${projectRoot()}/data/datasets/${id}`);
const net = await loadDarknetTiny({ inputSize: 224 });
const CUT = "leaky_re_lu_13";
const low = cutAt(net, CUT);
async function cutMaps(split: "train" | "val" | "test", flip = false) {
  const t = performance.now();
  const f = await cachedFeatures(`${projectRoot()}/data/cache/features`, {
    dataset: id,
    split,
    flip,
    layer: CUT,
    size: 224,
    quick: false,
    n: d.splits[split].labels.length,
  }, () => extractFeatures(low, d.splits[split].images, 224, { flip, batchSize: 16 }));
  console.log(
    split,
    flip,
    f.cached ? "cached" : `computed ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
  return tf.tensor4d(
    f.data,
    [d.splits[split].labels.length, ...f.shape] as [number, number, number, number],
  );
}
const oneHot = (split: "train" | "val" | "test", times = 1) => {
  const labels = Array.from({ length: times }, () => Array.from(d.splits[split].labels)).flat();
  return tf.oneHot(tf.tensor1d(labels, "int32"), d.classes.length).toFloat() as tf.Tensor2D;
};
const [a, b] = [await cutMaps("train"), await cutMaps("train", true)];
const train: TensorDataset = { x: tf.concat([a, b]), y: oneHot("train", 2) };
const val: TensorDataset = { x: await cutMaps("val"), y: oneHot("val") };
const test: TensorDataset = { x: await cutMaps("test"), y: oneHot("test") };
function pooled(maps: TensorDataset): TensorDataset {
  const top = layersBetween(net, CUT, "leaky_re_lu_14");
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < maps.x.shape[0]; i += 64) {
    const n = Math.min(64, maps.x.shape[0] - i);
    parts.push(tf.tidy(() => tf.mean(top.predict(maps.x.slice(i, n)) as tf.Tensor, [1, 2])));
  }
  return { x: tf.concat(parts), y: maps.y.clone() };
}
async function cachedPooled(split: "train" | "val" | "test", flip: boolean) {
  const n = d.splits[split].labels.length;
  const f = await cachedFeatures(`${projectRoot()}/data/cache/features`, {
    dataset: id,
    split,
    flip,
    layer: "pooled14+logits",
    size: 224,
    n,
  }, () => {
    throw new Error("not cached");
  });
  return tf.tensor2d(f.data, [n, 1512]).slice([0, 0], [-1, 512]);
}
const p = {
  train: {
    x: tf.concat([await cachedPooled("train", false), await cachedPooled("train", true)]),
    y: oneHot("train", 2),
  },
  val: { x: await cachedPooled("val", false), y: oneHot("val") },
  test: { x: await cachedPooled("test", false), y: oneHot("test") },
};
void pooled;
const acc = async (f: (x: tf.Tensor) => tf.Tensor, ds: TensorDataset) =>
  (await evaluateClassifier((bb) => ({ pred: f(bb.x) }), ds, {
    batchSize: 64,
    numClasses: d.classes.length,
  })).report!.accuracy;
const probeSettings: FitSettings = {
  epochs: 40,
  batchSize: 64,
  lr: 3e-3,
  warmupEpochs: 0,
  labelSmoothing: 0.1,
  seed: 1,
  monitor: "val_acc",
  log: () => {},
};
const head = linearHead({
  inputDim: 512,
  numClasses: d.classes.length,
  seed: 1,
  name: "head_lightning",
  stats: featureStats(p.train.x as tf.Tensor2D),
});
const probe = await fitLightning(
  head,
  p.train,
  p.val,
  probeSettings,
  `${Deno.makeTempDirSync()}/sup2-${K}/probe`,
);
console.log(
  `PROBE ${id}: val ${probe.history[probe.bestEpoch].val_acc.toFixed(4)} (best epoch ${
    probe.bestEpoch + 1
  }) test ${(await acc((x) => head.predict(x) as tf.Tensor, p.test)).toFixed(4)} in ${
    probe.trainSeconds.toFixed(0)
  } s`,
);
if (finetuneEpochs > 0) {
  const ft: FitSettings = {
    epochs: finetuneEpochs,
    batchSize: 32,
    lr: 3e-4,
    warmupEpochs: 0,
    labelSmoothing: 0.1,
    seed: 1,
    monitor: "val_acc",
    limitBatches: Math.ceil(train.x.shape[0] / 2 / 32),
  };
  const netL = await loadDarknetTiny({ inputSize: 224 });
  const module = new TransferModule(layersBetween(netL, CUT, "leaky_re_lu_14"), head, {
    lr: ft.lr,
  });
  module.phase = "all";
  const run = await fitLightning(
    module.model,
    train,
    val,
    ft,
    `${Deno.makeTempDirSync()}/sup2-${K}/lightning`,
    { module },
  );
  console.log(
    `FINETUNE ${id}: val ${run.history[run.bestEpoch].val_acc.toFixed(4)} (best epoch ${
      run.bestEpoch + 1
    }) test ${(await acc((x) => module.forward(x, false), test)).toFixed(4)} in ${
      run.trainSeconds.toFixed(0)
    } s`,
  );
}
