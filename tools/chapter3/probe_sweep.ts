// Probes on cached multi-layer features (tools/chapter3/multilayer.ts), L2 chosen on validation
// (issue 11, session 3). Prints validation accuracy for each feature set × view scheme × λ; test is
// printed only with --test for the listed final settings.
// Usage: nice -n 10 deno run -A tools/chapter3/probe_sweep.ts <dataset id> [--sets a,b] [--test]
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { cachedFeatures, featureStats } from "../../lib/transfer/mod.ts";
import { projectRoot } from "../../lib/data/mod.ts";
import { fitSoftmaxRegression, regressionLogits } from "../../lib/transfer/probe.ts";
import { dataset, LAYERS, multiLayerFeatures, WIDTH } from "./multilayer.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    sets: { type: "string", default: "14+logits,14,12+14,10+12+14,12+14+logits,all" },
    views: { type: "string", default: "single,flipaug" },
    l2: { type: "string", default: "1e-4,3e-4,1e-3,3e-3,1e-2,3e-2" },
    steps: { type: "string", default: "300" },
    test: { type: "boolean", default: false },
  },
});
await useWasm();
const id = positionals[0];
const offsets = new Map<string, [number, number]>();
// The padded datasets' older cache: 512 pooled leaky_re_lu_14 + 1000 logits, val/test not mirrored.
const legacy = id.endsWith("-224-v1");
if (legacy) {
  offsets.set("14", [0, 512]);
  offsets.set("logits", [512, 1000]);
} else {
  let o = 0;
  for (const [name, w] of LAYERS) {
    const short = name === "global_average_pooling2d_1"
      ? "logits"
      : name.replace("leaky_re_lu_", "");
    offsets.set(short, [o, w]);
    o += w;
  }
}
const legacyFeatures = async (split: "train" | "val" | "test", flip: boolean) => {
  const d = await dataset(id);
  const n = d.splits[split].labels.length;
  const parts = {
    dataset: id,
    split,
    flip: flip && split === "train",
    layer: "pooled14+logits",
    size: 224,
    n,
  };
  const f = await cachedFeatures(`${projectRoot()}/data/cache/features`, parts, () => {
    throw new Error(`not cached: ${JSON.stringify(parts)}`);
  });
  return { data: f.data, labels: d.splits[split].labels, classes: d.classes, n };
};
const width = legacy ? 1512 : WIDTH;
const needFlip = values.views!.split(",").some((v) => v !== "single");
const load = async (split: "train" | "val" | "test") => {
  const get = legacy
    ? legacyFeatures
    : (s: typeof split, f: boolean) => multiLayerFeatures(id, s, f);
  const a = await get(split, false);
  const b = needFlip ? await get(split, true) : a;
  return {
    plain: tf.tensor2d(a.data, [a.n, width]),
    flip: tf.tensor2d(b.data, [b.n, width]),
    labels: a.labels,
    k: a.classes.length,
  };
};
const t0 = performance.now();
const sp = {
  train: await load("train"),
  val: await load("val"),
  test: values.test ? await load("test") : await load("val"),
};
console.log(`features loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const cols = (x: tf.Tensor2D, set: string) =>
  tf.concat(
    set.split("+").map((s) => {
      const [o, w] = offsets.get(s)!;
      return x.slice([0, o], [-1, w]);
    }),
    1,
  ) as tf.Tensor2D;
const oneHot = (labels: ArrayLike<number>, k: number, times = 1) =>
  tf.oneHot(tf.tensor1d(Array.from({ length: times }, () => Array.from(labels)).flat(), "int32"), k)
    .toFloat() as tf.Tensor2D;
const acc = (logits: tf.Tensor2D, labels: ArrayLike<number>) => {
  const p = logits.argMax(1).dataSync();
  let c = 0;
  for (let i = 0; i < p.length; i++) c += p[i] === labels[i] ? 1 : 0;
  return c / p.length;
};
const k = sp.train.k;
for (const set of values.sets!.split(",")) {
  const X = {
    train: [cols(sp.train.plain, set), cols(sp.train.flip, set)],
    val: [cols(sp.val.plain, set), cols(sp.val.flip, set)],
    test: [cols(sp.test.plain, set), cols(sp.test.flip, set)],
  };
  for (const view of values.views!.split(",")) {
    // single: train on the photos, evaluate on the photos.
    // flipaug: train on photos + mirrors; evaluate on the average of photo and mirror logits.
    // flipmean: train on the mean of photo and mirror features; evaluate the same way.
    const trainX = view === "single"
      ? X.train[0]
      : view === "flipaug"
      ? tf.concat(X.train)
      : tf.div(tf.add(X.train[0], X.train[1]), 2);
    const trainY = oneHot(sp.train.labels, k, view === "flipaug" ? 2 : 1);
    const stats = featureStats(trainX as tf.Tensor2D);
    const z = (x: tf.Tensor2D) => tf.div(tf.sub(x, stats.mean), stats.std) as tf.Tensor2D;
    const zTrain = z(trainX as tf.Tensor2D);
    const logitsOf = (m: ReturnType<typeof fitSoftmaxRegression>, xs: tf.Tensor2D[]) =>
      tf.tidy(() =>
        view === "single" ? regressionLogits(m, z(xs[0])) : view === "flipaug"
          ? tf.div(
            tf.add(
              tf.softmax(regressionLogits(m, z(xs[0]))),
              tf.softmax(regressionLogits(m, z(xs[1]))),
            ),
            2,
          ) as tf.Tensor2D
          : regressionLogits(m, z(tf.div(tf.add(xs[0], xs[1]), 2) as tf.Tensor2D))
      );
    let init: { w: tf.Tensor2D; b: tf.Tensor1D } | undefined;
    const l2s = values.l2!.split(",").map(Number).sort((a, b) => b - a); // large → small, warm starts
    for (const l2 of l2s) {
      const t = performance.now();
      const m = fitSoftmaxRegression(zTrain, trainY, { l2, steps: Number(values.steps), init });
      init = { w: m.w, b: m.b };
      const trAcc = acc(
        logitsOf(m, view === "flipaug" ? [X.train[0], X.train[1]] : X.train),
        sp.train.labels,
      );
      const vAcc = acc(logitsOf(m, X.val), sp.val.labels);
      const line = `${id} | ${set} (${zTrain.shape[1]}-d) | ${view} | l2 ${l2} | loss ${
        m.loss.toFixed(4)
      } | train ${trAcc.toFixed(4)} | val ${vAcc.toFixed(4)}`;
      const tAcc = values.test
        ? ` | TEST ${acc(logitsOf(m, X.test), sp.test.labels).toFixed(4)}`
        : "";
      console.log(`${line}${tAcc} | ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  }
}
