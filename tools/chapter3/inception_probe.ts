// nsfwjs' InceptionV3 as a frozen feature extractor for chapter 3 (issue 11, session 4): pooled
// mixed5 ‖ mixed7 ‖ mixed9 ‖ mixed10 (768 + 768 + 2048 + 2048 = 5,632-d) computed once per split
// (cached), then the chapter's convex probe (fitSoftmaxRegression on standardized features, λ
// on validation) on several subsets of those layers. With --flip the mirrored photos are
// extracted too: the probe trains on photos + mirrors and validation averages photo and mirror.
// Test is read only with --test, for one setting given as --layers L --l2 X (chosen on val).
// --extract L1,L2 pools other layers; --scale pm1 feeds [-1, 1] (Keras' ImageNet scaling) instead
// of nsfwjs' [0, 1]; a feature set may name "darknet": the chapter's Darknet φ(x) (pooled
// leaky_re_lu_14 ‖ 1000 logits from the cached maps, tools/chapter3/part1.ts) beside Inception's.
// Usage: deno run -A tools/chapter3/inception_probe.ts <5|10> [--size 224] [--flip] [--scale pm1]
//          [--extract mixed5,mixed7] [--sets mixed5;mixed5+darknet] [--l2 0.01] [--test]
import * as tf from "@tensorflow/tfjs";
import { projectRoot } from "../../lib/data/mod.ts";
import { loadImageDataset } from "../../lib/dataset/mod.ts";
import { loadInceptionV3, pooledOutputs } from "../../lib/models/inception.ts";
import { useWasm } from "../../lib/tfjs/mod.ts";
import {
  cachedFeatures,
  extractFeatures,
  featureStats,
  fitSoftmaxRegression,
  regressionLogits,
  viewAveraged,
} from "../../lib/transfer/mod.ts";

type Split = "train" | "val" | "test";
const arg = (name: string) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
};
const K = Deno.args[0] ?? "5";
const size = Number(arg("--size") ?? 224);
const flip = Deno.args.includes("--flip");
const withTest = Deno.args.includes("--test");
const LAYERS = (arg("--extract") ?? "mixed5,mixed7,mixed9,mixed10").split(",");
const pm1 = arg("--scale") === "pm1";

await useWasm();
const id = `clothing${K}-224-v1`;
const d = await loadImageDataset(`${projectRoot()}/data/datasets/${id}`, { verify: false });
const net = await loadInceptionV3({ inputSize: size });
const model = pooledOutputs(net, LAYERS);
const DIMS: Record<string, number> = Object.fromEntries(
  LAYERS.map((l) => [l, (net.getLayer(l).outputShape as number[]).at(-1)!]),
);
DIMS.darknet = 1512;

async function features(split: Split, mirrored: boolean): Promise<tf.Tensor2D> {
  const t = performance.now();
  const images = d.splits[split].images;
  // The chapter's own cache entry (photos, mixed5 only, [0, 1]) is shared with it.
  const chapterKey = !mirrored && !pm1 && LAYERS.join() === "mixed5";
  const parts: Record<string, string | number | boolean> = chapterKey
    ? {
      dataset: id,
      split,
      backbone: "nsfwjs@4.4.0/inception_v3",
      layer: "mixed5",
      size,
      quick: false,
      n: d.splits[split].labels.length,
    }
    : {
      dataset: id,
      split,
      flip: mirrored,
      backbone: "nsfwjs@4.4.0/inception_v3",
      layers: LAYERS.join("+"),
      size,
      ...(pm1 ? { scale: "pm1" } : {}),
      n: d.splits[split].labels.length,
    };
  const inc = await cachedFeatures(`${projectRoot()}/data/cache/features`, parts, () => {
    let x = images;
    if (size !== 224 || pm1) {
      const t = tf.tidy(() => {
        const t = tf.tensor4d(images, [d.splits[split].labels.length, 224, 224, 3]);
        const r = size === 224 ? t : tf.image.resizeBilinear(t, [size, size]);
        return pm1 ? tf.sub(tf.mul(r, 2), 1) : r;
      });
      x = t.dataSync() as Float32Array;
      t.dispose();
    }
    return extractFeatures(model, x, size, { flip: mirrored, batchSize: 8 });
  });
  console.log(
    `${id} ${split}${mirrored ? " mirrored" : ""}: ${
      inc.cached ? "cached" : `extracted in ${((performance.now() - t) / 1000).toFixed(0)} s`
    } (${d.splits[split].labels.length} photos, ${
      ((performance.now() - t) / d.splits[split].labels.length).toFixed(0)
    } ms each)`,
  );
  const x = tf.tensor2d(inc.data, [d.splits[split].labels.length, inc.shape[0]]);
  return darknetPhi ? tf.concat([x, await darknetPhi(split, mirrored)], 1) : x;
}

/** The chapter's Darknet φ(x) of a split (1,512-d), from the cached maps. */
let darknetPhi: ((split: Split, mirrored: boolean) => Promise<tf.Tensor2D>) | undefined;
if (Deno.args.some((a) => a.includes("darknet"))) {
  const { part1, CUT } = await import("./part1.ts");
  const { layersBetween } = await import("../../lib/models/mod.ts");
  const { pooledLayers } = await import("../../lib/transfer/mod.ts");
  const p1 = await part1(K, { verify: false });
  const phiModel = pooledLayers(
    layersBetween(p1.net, CUT, "global_average_pooling2d_1"),
    ["leaky_re_lu_14", "global_average_pooling2d_1"],
  );
  darknetPhi = async (split, mirrored) => {
    const maps = await p1.cutMaps(split, mirrored);
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < maps.shape[0]; i += 64) {
      const n = Math.min(64, maps.shape[0] - i);
      parts.push(tf.tidy(() => phiModel.predict(maps.slice(i, n)) as tf.Tensor));
    }
    maps.dispose();
    return tf.concat(parts) as tf.Tensor2D;
  };
}

/** Columns of the named layers in the concatenated features. */
function columns(x: tf.Tensor2D, names: string[]): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  let start = 0;
  for (const l of [...LAYERS, ...(darknetPhi ? ["darknet"] : [])]) {
    if (names.includes(l)) parts.push(x.slice([0, start], [-1, DIMS[l]]));
    start += DIMS[l];
  }
  return tf.concat(parts, 1);
}

const oneHot = (split: Split, times: number) =>
  tf.oneHot(
    tf.tensor1d(
      Array.from({ length: times }, () => Array.from(d.splits[split].labels)).flat(),
      "int32",
    ),
    d.classes.length,
  ).toFloat() as tf.Tensor2D;
const accOf = (p: tf.Tensor, labels: ArrayLike<number>) => {
  const a = p.argMax(1).dataSync();
  let c = 0;
  for (let i = 0; i < a.length; i++) c += a[i] === labels[i] ? 1 : 0;
  return c / a.length;
};

const trainAll = flip
  ? tf.concat([await features("train", false), await features("train", true)]) as tf.Tensor2D
  : await features("train", false);
const viewsOf = async (s: Split) =>
  flip
    ? tf.stack([await features(s, false), await features(s, true)], 1)
    : tf.expandDims(await features(s, false), 1);
const valAll = await viewsOf("val");
// --cache-test: also extract (and cache) the test split's features, without reading any accuracy.
if (Deno.args.includes("--cache-test")) (await features("test", false)).dispose();
const trainY = oneHot("train", flip ? 2 : 1);

const sets = arg("--sets")
  ? arg("--sets")!.split(";").map((set) => set.split("+"))
  : [["mixed10"], ["mixed9"], ["mixed7"], ["mixed5"], ["mixed9", "mixed10"], [
    "mixed7",
    "mixed10",
  ], LAYERS];
const grid = arg("--l2") ? [Number(arg("--l2"))] : [0.1, 0.03, 0.01, 0.003, 0.001];
for (const names of sets) {
  const train = columns(trainAll, names);
  const stats = featureStats(train);
  const z = (x: tf.Tensor2D) => tf.div(tf.sub(x, stats.mean), stats.std) as tf.Tensor2D;
  const u = z(train);
  let init: { w: tf.Tensor2D; b: tf.Tensor1D } | undefined;
  const predictWith = (m: ReturnType<typeof fitSoftmaxRegression>) => (x: tf.Tensor) =>
    regressionLogits(m, z(columns(x as tf.Tensor2D, names)));
  for (const l2 of grid) {
    const t = performance.now();
    const m = fitSoftmaxRegression(u, trainY, { l2, steps: 300, init });
    init = m;
    const photos = accOf(
      tf.tidy(() => predictWith(m)(valAll.gather([0], 1).squeeze([1]))),
      d.splits.val.labels,
    );
    const avg = accOf(tf.tidy(() => viewAveraged(predictWith(m))(valAll)), d.splits.val.labels);
    console.log(
      `${id} | ${size} px${pm1 ? " [-1,1]" : ""} | ${names.join("+")} | ${
        flip ? "photos+mirrors" : "photos"
      } | λ ${l2} | ` +
        `val photos ${photos.toFixed(4)} | val averaged ${avg.toFixed(4)} | ${
          ((performance.now() - t) / 1000).toFixed(0)
        } s`,
    );
    if (withTest) {
      const testAll = await viewsOf("test");
      console.log(
        `TEST (once) ${id} ${names.join("+")} λ ${l2}: photos ${
          accOf(
            tf.tidy(() => predictWith(m)(testAll.gather([0], 1).squeeze([1]))),
            d.splits.test.labels,
          ).toFixed(4)
        } averaged ${
          accOf(tf.tidy(() => viewAveraged(predictWith(m))(testAll)), d.splits.test.labels)
            .toFixed(4)
        }`,
      );
    }
  }
  tf.dispose([train, u]);
}
