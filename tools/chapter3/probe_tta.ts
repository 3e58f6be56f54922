// The chapter's convex probe on the padded 224-px datasets, measured outside the notebook with the
// same library calls (issue 11, session 3): φ(x) = pooled leaky_re_lu_14 ‖ 1000 logits from the
// cached maps at leaky_re_lu_13, trained on photos + mirrors, λ chosen on validation; validation
// printed with and without averaging each photo with its mirror; test only with --test.
// With --finetune E: then the chapter's Lightning fine-tune (E epochs, lr 1e-4) from the chosen
// probe's head, validation (and with --test, test) scored with photo + mirror averaged.
// Usage: nice -n 10 deno run -A tools/chapter3/probe_tta.ts <5|10> [--test] [--finetune E] [--l2 X]
import * as tf from "@tensorflow/tfjs";
import { layersBetween, loadDarknetTiny } from "../../lib/models/mod.ts";
import { evaluateClassifier, fitLightning } from "../../lib/train/mod.ts";
import {
  featureStats,
  fitSoftmaxRegression,
  linearHead,
  pooledLayers,
  regressionLogits,
  TransferModule,
  viewAveraged,
} from "../../lib/transfer/mod.ts";
import { CUT, part1, type Split } from "./part1.ts";

const K = Deno.args[0] ?? "5";
const withTest = Deno.args.includes("--test");
const p1 = await part1(K, { verify: false });
const phiModel = pooledLayers(
  layersBetween(p1.net, CUT, "global_average_pooling2d_1"),
  ["leaky_re_lu_14", "global_average_pooling2d_1"],
);
const t0 = performance.now();
async function phi(split: Split, flip: boolean): Promise<tf.Tensor2D> {
  const maps = await p1.cutMaps(split, flip);
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < maps.shape[0]; i += 64) {
    const n = Math.min(64, maps.shape[0] - i);
    parts.push(tf.tidy(() => phiModel.predict(maps.slice(i, n)) as tf.Tensor));
  }
  maps.dispose();
  return tf.concat(parts) as tf.Tensor2D;
}
const train = tf.concat([await phi("train", false), await phi("train", true)]) as tf.Tensor2D;
const trainY = p1.oneHot("train", 2);
const views = async (s: Split) => tf.stack([await phi(s, false), await phi(s, true)], 1);
const val = await views("val");
const test = withTest ? await views("test") : null;
console.log(`features: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const stats = featureStats(train);
const z = (x: tf.Tensor) => tf.div(tf.sub(x, stats.mean), stats.std) as tf.Tensor2D;
const u = z(train);
const accOf = (p: tf.Tensor, labels: ArrayLike<number>) => {
  const a = p.argMax(1).dataSync();
  let c = 0;
  for (let i = 0; i < a.length; i++) c += a[i] === labels[i] ? 1 : 0;
  return c / a.length;
};
const labels = (s: Split) => p1.d.splits[s].labels;
let init: { w: tf.Tensor2D; b: tf.Tensor1D } | undefined;
const rows: {
  l2: number;
  single: number;
  tta: number;
  m: ReturnType<typeof fitSoftmaxRegression>;
}[] = [];
// --l2 X: fit only that λ (one already chosen on validation), e.g. before --finetune.
const l2Index = Deno.args.indexOf("--l2");
const grid = l2Index >= 0 ? [Number(Deno.args[l2Index + 1])] : [0.1, 0.03, 0.01, 0.003, 0.001];
for (const l2 of grid) {
  const t = performance.now();
  const m = fitSoftmaxRegression(u, trainY, { l2, steps: 300, init });
  init = m;
  const predict = (x: tf.Tensor) => regressionLogits(m, z(x));
  const single = accOf(tf.tidy(() => predict(val.gather([0], 1).squeeze([1]))), labels("val"));
  const tta = accOf(tf.tidy(() => viewAveraged(predict)(val)), labels("val"));
  rows.push({ l2, single, tta, m });
  console.log(
    `clothing${K}-224-v1 | 14+logits | photos+mirrors | λ ${l2} | loss ${m.loss.toFixed(4)} | ` +
      `val ${single.toFixed(4)} | val photo+mirror ${tta.toFixed(4)} | ${
        ((performance.now() - t) / 1000).toFixed(0)
      } s`,
  );
}
const best = rows.reduce((a, b) => (b.tta > a.tta ? b : a));
// With --finetune, test is read for the fine-tuned model only (the probe's was read without it).
if (test && !Deno.args.includes("--finetune")) {
  const predict = (x: tf.Tensor) => regressionLogits(best.m, z(x));
  console.log(
    `chosen λ ${best.l2} (val photo+mirror ${best.tta.toFixed(4)}): TEST photo+mirror ${
      accOf(tf.tidy(() => viewAveraged(predict)(test)), labels("test")).toFixed(4)
    }`,
  );
}

const ftIndex = Deno.args.indexOf("--finetune");
if (ftIndex >= 0) {
  const epochs = Number(Deno.args[ftIndex + 1]);
  const maps = await p1.mapsAtCut(); // train: photos + mirrors; val, test: photos
  const stackViews = async (s: Split) =>
    tf.stack([await p1.cutMaps(s, false), await p1.cutMaps(s, true)], 1);
  const valViews = { x: await stackViews("val"), y: p1.oneHot("val") };
  const testViews = withTest ? { x: await stackViews("test"), y: p1.oneHot("test") } : null;
  const freshNet = await loadDarknetTiny({ inputSize: 224 });
  const top = pooledLayers(layersBetween(freshNet, CUT, "global_average_pooling2d_1"), [
    "leaky_re_lu_14",
    "global_average_pooling2d_1",
  ]);
  const [inputDim, numClasses] = best.m.w.shape;
  const head = linearHead({ inputDim, numClasses, dropout: 0, name: "head_ft", stats });
  head.layers[head.layers.length - 1].setWeights([best.m.w, best.m.b]);
  const module = new TransferModule(top, head, { lr: 1e-4 });
  module.phase = "all";
  const run = await fitLightning(
    module.model,
    maps.train,
    maps.val,
    {
      epochs,
      batchSize: 32,
      lr: 1e-4,
      warmupEpochs: 0,
      labelSmoothing: 0.1,
      seed: 1,
      monitor: "val_acc",
      limitBatches: Math.ceil(maps.train.x.shape[0] / 2 / 32),
    },
    await Deno.makeTempDir(),
    { module },
  );
  const score = async (ds: { x: tf.Tensor; y: tf.Tensor }) =>
    (await evaluateClassifier(
      (b) => ({ pred: viewAveraged((x) => module.forward(x, false))(b.x) }),
      ds,
      {
        batchSize: 32,
        numClasses,
      },
    )).report!.accuracy;
  console.log(
    `Lightning fine-tune from the probe (λ ${best.l2}), ${epochs} epochs, ${
      run.trainSeconds.toFixed(0)
    } s: ` +
      `val per epoch ${run.history.map((h) => h.val_acc.toFixed(4)).join(" ")}, best epoch ${
        run.bestEpoch + 1
      }; ` +
      `val photo+mirror ${(await score(valViews)).toFixed(4)}` +
      (testViews ? ` | TEST photo+mirror ${(await score(testViews)).toFixed(4)}` : ""),
  );
}
