// Probe variants on cached Darknet features, chosen on validation (targeted run for chapter 3).
import * as tf from "@tensorflow/tfjs";
import { layersBetween } from "../../lib/models/mod.ts";
import { linearHead } from "../../lib/transfer/mod.ts";
import { evaluateClassifier, fitLightning, type TensorDataset } from "../../lib/train/mod.ts";
import { CUT, part1, type Split } from "./part1.ts";

const K = Deno.args[0] ?? "5";
const p1 = await part1(K, { verify: false });
const { id, d, net } = p1;
const nc = d.classes.length;
const toPooled = layersBetween(net, CUT, "leaky_re_lu_14");
const toLogits = layersBetween(net, "leaky_re_lu_14", "global_average_pooling2d_1");
async function feats(split: Split, flip: boolean) {
  const n = d.splits[split].labels.length;
  const maps = await p1.cutFeatures(split, flip, true);
  return await p1.pooledLogitsFeatures(split, flip, async () => {
    const out = new Float32Array(n * 1512);
    for (let i = 0; i < n; i += 64) {
      const c = Math.min(64, n - i);
      const r = tf.tidy(() => {
        const m = tf.tensor4d(maps.data.subarray(i * 14 * 14 * 64, (i + c) * 14 * 14 * 64), [
          c,
          14,
          14,
          64,
        ]);
        const a = toPooled.predict(m) as tf.Tensor;
        return tf.concat([tf.mean(a, [1, 2]), toLogits.predict(a) as tf.Tensor], 1);
      });
      out.set(await r.data() as Float32Array, i * 1512);
      r.dispose();
    }
    return { data: out, shape: [1512] };
  });
}
const lab = (s: Split, times = 1) => p1.oneHot(s, times);
const t0 = performance.now();
const tr = [await feats("train", false), await feats("train", true)];
const va = await feats("val", false), te = await feats("test", false);
console.log("features", ((performance.now() - t0) / 1000).toFixed(0), "s");
const pick = (f: { data: Float32Array }[], dim: number) => {
  const all = tf.concat(f.map((x) => tf.tensor2d(x.data, [x.data.length / 1512, 1512])));
  const r = dim === 1512 ? all : all.slice([0, 0], [-1, 512]);
  return r;
};
const variants = [
  {
    name: "pooled 512, dropout 0.3, ls 0.1, lr 3e-3, 40 ep (chapter)",
    dim: 512,
    dropout: 0.3,
    ls: 0.1,
    lr: 3e-3,
    epochs: 40,
  },
  {
    name: "pooled 512, dropout 0, ls 0, lr 3e-3, 40 ep",
    dim: 512,
    dropout: 0,
    ls: 0,
    lr: 3e-3,
    epochs: 40,
  },
  {
    name: "pooled 512 + 1000 logits, dropout 0.3, ls 0.1, lr 3e-3, 40 ep",
    dim: 1512,
    dropout: 0.3,
    ls: 0.1,
    lr: 3e-3,
    epochs: 40,
  },
  {
    name: "pooled 512 + 1000 logits, dropout 0.5, ls 0.1, lr 1e-3, 60 ep",
    dim: 1512,
    dropout: 0.5,
    ls: 0.1,
    lr: 1e-3,
    epochs: 60,
  },
];
// `probe.ts 10 chapter` runs only the chapter's probe.
for (const v of Deno.args[1] === "chapter" ? variants.slice(0, 1) : variants) {
  const train: TensorDataset = { x: pick(tr, v.dim), y: lab("train", 2) };
  const val: TensorDataset = { x: pick([va], v.dim), y: lab("val") };
  const test: TensorDataset = { x: pick([te], v.dim), y: lab("test") };
  // Standardise with the training set's statistics (logits and pooled features differ in scale).
  const { mean, variance } = tf.moments(train.x, 0);
  const z = (x: tf.Tensor) => tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6)));
  train.x = z(train.x);
  val.x = z(val.x);
  test.x = z(test.x);
  const head = linearHead({ inputDim: v.dim, numClasses: nc, seed: 1, dropout: v.dropout });
  const r = await fitLightning(head, train, val, {
    epochs: v.epochs,
    batchSize: 64,
    lr: v.lr,
    warmupEpochs: 0,
    labelSmoothing: v.ls,
    seed: 1,
    monitor: "val_acc",
    log: () => {},
  }, `${Deno.makeTempDirSync()}/probe-${K}`);
  const ev = await evaluateClassifier((b) => ({ pred: head.predict(b.x) as tf.Tensor }), test, {
    batchSize: 64,
    numClasses: nc,
  });
  console.log(
    `${id} | ${v.name} | val ${r.history[r.bestEpoch].val_acc.toFixed(4)} (epoch ${
      r.bestEpoch + 1
    }) | test ${ev.report!.accuracy.toFixed(4)} | ${r.trainSeconds.toFixed(0)} s`,
  );
}
