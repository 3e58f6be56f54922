// Pad vs centre crop and layer sets compared by 5-fold cross-validation WITHIN the validation
// split (no training or test features needed): a cheap proxy used to choose the dataset variant
// while the training features were still being extracted (issue 11, session 3).
// Usage: nice -n 10 deno run -A tools/chapter3/val_cv.ts <K: 5|10> <sets, e.g. 14,14+logits,all>
import * as tf from "@tensorflow/tfjs";
import { projectRoot } from "../../lib/data/mod.ts";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { cachedFeatures, featureStats } from "../../lib/transfer/mod.ts";
import { fitSoftmaxRegression, regressionLogits } from "../../lib/transfer/probe.ts";
import { dataset, LAYERS, multiLayerFeatures, WIDTH } from "./multilayer.ts";

await useWasm();
const K = Deno.args[0];
const sets = (Deno.args[1] ?? "14,14+logits").split(",")
  .map((s) => s === "all" ? "8+10+12+14+15+logits" : s);
const offsets = new Map<string, [number, number]>();
let o = 0;
for (const [name, w] of LAYERS) {
  offsets.set(name === "global_average_pooling2d_1" ? "logits" : name.replace("leaky_re_lu_", ""), [
    o,
    w,
  ]);
  o += w;
}
const padId = `clothing${K}-224-v1`, cropId = `clothing${K}-224-crop-v1`;
const pad = await dataset(padId);
const n = pad.splits.val.labels.length;
const padVal = await cachedFeatures(`${projectRoot()}/data/cache/features`, {
  dataset: padId,
  split: "val",
  flip: false,
  layer: "pooled14+logits",
  size: 224,
  n,
}, () => {
  throw new Error("pad val features not cached");
});
const crop = await multiLayerFeatures(cropId, "val", false);
const labels = Array.from(pad.splits.val.labels);
const cropLabels = Array.from(crop.labels);
const padX = tf.tensor2d(padVal.data, [n, 1512]);
const cropX = tf.tensor2d(crop.data, [n, WIDTH]);
const pick = (x: tf.Tensor2D, set: string, padded: boolean) =>
  tf.concat(
    set.split("+").map((s) => {
      const [a, w] = padded ? (s === "14" ? [0, 512] : [512, 1000]) : offsets.get(s)!;
      return x.slice([0, a], [-1, w]);
    }),
    1,
  ) as tf.Tensor2D;
// The same 5 folds (by index within each class, seeded order) for both variants.
function folds(lab: number[]): number[] {
  const f = new Array(lab.length).fill(0);
  const seen = new Map<number, number>();
  lab.forEach((c, i) => {
    const k = seen.get(c) ?? 0;
    f[i] = k % 5;
    seen.set(c, k + 1);
  });
  return f;
}
async function cv(x: tf.Tensor2D, lab: number[], l2: number) {
  const f = folds(lab);
  const k = Math.max(...lab) + 1;
  let correct = 0;
  for (let fold = 0; fold < 5; fold++) {
    const tr = lab.map((_, i) => i).filter((i) => f[i] !== fold);
    const te = lab.map((_, i) => i).filter((i) => f[i] === fold);
    const xtr = tf.gather(x, tr) as tf.Tensor2D, xte = tf.gather(x, te) as tf.Tensor2D;
    const stats = featureStats(xtr);
    const z = (t: tf.Tensor2D) => tf.div(tf.sub(t, stats.mean), stats.std) as tf.Tensor2D;
    const y = tf.oneHot(tf.tensor1d(tr.map((i) => lab[i]), "int32"), k).toFloat() as tf.Tensor2D;
    const m = fitSoftmaxRegression(z(xtr), y, { l2, steps: 200 });
    const p = await regressionLogits(m, z(xte)).argMax(1).data();
    te.forEach((i, j) => (correct += p[j] === lab[i] ? 1 : 0));
    tf.dispose([xtr, xte, y, m.w, m.b]);
  }
  return correct / lab.length;
}
console.log(`sources identical in order: ${labels.every((l, i) => l === cropLabels[i])}`);
for (const set of sets) {
  for (const l2 of (Deno.args[2] ?? "0.1,0.03,0.01").split(",").map(Number)) {
    const c = await cv(pick(cropX, set, false), cropLabels, l2);
    const p = set.split("+").every((s) => s === "14" || s === "logits")
      ? await cv(pick(padX, set, true), labels, l2)
      : NaN;
    console.log(
      `clothing${K} val 5-fold CV | ${set} | l2 ${l2} | crop ${c.toFixed(4)} | pad ${p.toFixed(4)}`,
    );
  }
}
