// Multi-layer pooled Darknet-tiny features of a 224-px clothing dataset, every split, each photo and
// its mirror, cached (issue 11, session 3). Usage:
//   nice -n 10 deno run -A tools/chapter3/multilayer.ts <dataset id, e.g. clothing5-224-crop-v1>
import * as tf from "@tensorflow/tfjs";
import { projectRoot } from "../../lib/data/mod.ts";
import { type ImageDataset, loadImageDataset } from "../../lib/dataset/mod.ts";
import { loadDarknetTiny } from "../../lib/models/mod.ts";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { cachedFeatures, extractFeatures } from "../../lib/transfer/mod.ts";
import { pooledLayers } from "../../lib/transfer/probe.ts";

/** The layers read (mean over positions), with their widths; the last is the 1000 logits. */
export const LAYERS: [string, number][] = [
  ["leaky_re_lu_8", 256],
  ["leaky_re_lu_10", 256],
  ["leaky_re_lu_12", 512],
  ["leaky_re_lu_14", 512],
  ["leaky_re_lu_15", 128],
  ["global_average_pooling2d_1", 1000],
];
export const WIDTH = LAYERS.reduce((a, [, w]) => a + w, 0);

const datasets = new Map<string, Promise<ImageDataset>>();
/** Each dataset decoded once per process. */
export function dataset(id: string): Promise<ImageDataset> {
  if (!datasets.has(id)) {
    datasets.set(id, loadImageDataset(`${projectRoot()}/data/datasets/${id}`, { verify: false }));
  }
  return datasets.get(id)!;
}

/** The cached multi-layer features of one split of dataset `id` (`flip`: of the mirrored photos). */
export async function multiLayerFeatures(
  id: string,
  split: "train" | "val" | "test",
  flip: boolean,
) {
  const d = await dataset(id);
  const n = d.splits[split].labels.length;
  const f = await cachedFeatures(`${projectRoot()}/data/cache/features`, {
    dataset: id,
    split,
    flip,
    layer: LAYERS.map(([l]) => l).join("+"),
    size: 224,
    n,
  }, async () => {
    await useWasm();
    const net = await loadDarknetTiny({ inputSize: 224 });
    const model = pooledLayers(net, LAYERS.map(([l]) => l));
    const t = performance.now();
    const r = await extractFeatures(model, d.splits[split].images, 224, { flip, batchSize: 16 });
    console.log(
      `${id} ${split} flip=${flip}: ${n} photos in ${
        ((performance.now() - t) / 1000).toFixed(0)
      } s`,
    );
    return r;
  });
  return { data: f.data, labels: d.splits[split].labels, classes: d.classes, n };
}

if (import.meta.main) {
  await useWasm();
  const id = Deno.args[0];
  for (const split of ["val", "train", "test"] as const) {
    for (const flip of [false, true]) {
      const f = await multiLayerFeatures(id, split, flip);
      console.log(id, split, flip, f.n, f.data.length / f.n, tf.getBackend());
    }
  }
}
