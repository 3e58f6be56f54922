// Targeted measurement of chapter 3 part 1 (same library calls and settings as the notebook cells):
// `finetune.ts K [finetuneEpochs]` — the standardized probe on the cached pooled features (written
// by probe.ts), then the fine-tune from it.
import * as tf from "@tensorflow/tfjs";
import { featureStats, linearHead } from "../../lib/transfer/mod.ts";
import { part1, type Split } from "./part1.ts";

const K = Deno.args[0] ?? "5";
const finetuneEpochs = Number(Deno.args[1] ?? 3);
const p1 = await part1(K);
const maps = await p1.mapsAtCut();
async function cachedPooled(split: Split, flip: boolean) {
  const f = await p1.pooledLogitsFeatures(split, flip);
  return tf.tensor2d(f.data, [p1.d.splits[split].labels.length, 1512]).slice([0, 0], [-1, 512]);
}
const p = {
  train: {
    x: tf.concat([await cachedPooled("train", false), await cachedPooled("train", true)]),
    y: p1.oneHot("train", 2),
  },
  val: { x: await cachedPooled("val", false), y: p1.oneHot("val") },
  test: { x: await cachedPooled("test", false), y: p1.oneHot("test") },
};
const head = linearHead({
  inputDim: 512,
  numClasses: p1.d.classes.length,
  seed: 1,
  name: "head_lightning",
  stats: featureStats(p.train.x as tf.Tensor2D),
});
await p1.probe(head, p);
if (finetuneEpochs > 0) await p1.fineTune(head, maps, finetuneEpochs);
