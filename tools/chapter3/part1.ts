/**
 * The shared setup of chapter 3's part-1 measurement scripts (`probe.ts`, `supervised.ts`,
 * `finetune.ts`): the 224-px clothing dataset, Darknet-tiny cut after `leaky_re_lu_13`, its cached
 * maps, pooled features, one-hot labels, the probe recipe and the Lightning fine-tune — the same
 * library calls and settings as the notebook's cells.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { projectRoot } from "../../lib/data/mod.ts";
import { type ImageDataset, loadImageDataset } from "../../lib/dataset/mod.ts";
import { cutAt, layersBetween, loadDarknetTiny } from "../../lib/models/mod.ts";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { cachedFeatures, extractFeatures, TransferModule } from "../../lib/transfer/mod.ts";
import {
  evaluateClassifier,
  fitLightning,
  type FitSettings,
  type TensorDataset,
} from "../../lib/train/mod.ts";

/** Where the backbone is cut: everything up to here is frozen and cached. */
export const CUT = "leaky_re_lu_13";
/** A dataset split. */
export type Split = "train" | "val" | "test";
/** The feature cache folder. */
export const FEATURE_CACHE = `${projectRoot()}/data/cache/features`;

/** The probe settings of the chapter (head only, on pooled features). */
export const PROBE_SETTINGS: FitSettings = {
  epochs: 40,
  batchSize: 64,
  lr: 3e-3,
  warmupEpochs: 0,
  labelSmoothing: 0.1,
  seed: 1,
  monitor: "val_acc",
  log: () => {},
};

/** Loads `clothing<K>-224-v1` and Darknet-tiny at 224 px; returns the helpers around them. */
export async function part1(K: string, opts: { verify?: boolean } = {}) {
  await useWasm();
  const id = `clothing${K}-224-v1`;
  const d: ImageDataset = await loadImageDataset(`${projectRoot()}/data/datasets/${id}`, opts);
  const net = await loadDarknetTiny({ inputSize: 224 });

  /** The cached maps at the cut (computed when missing unless `cachedOnly`). */
  const cutFeatures = (split: Split, flip: boolean, cachedOnly = false) =>
    cachedFeatures(FEATURE_CACHE, {
      dataset: id,
      split,
      flip,
      layer: CUT,
      size: 224,
      quick: false,
      n: d.splits[split].labels.length,
    }, () => {
      if (cachedOnly) throw new Error(`${id} ${split}: maps at ${CUT} not cached`);
      return extractFeatures(cutAt(net, CUT), d.splits[split].images, 224, { flip, batchSize: 16 });
    });

  /**
   * The cached 1,512-d features (512 pooled + 1,000 ImageNet logits) that `probe.ts` writes;
   * without `compute` they must be cached already.
   */
  const pooledLogitsFeatures = (
    split: Split,
    flip: boolean,
    compute?: () => Promise<{ data: Float32Array; shape: number[] }>,
  ) =>
    cachedFeatures(
      FEATURE_CACHE,
      {
        dataset: id,
        split,
        flip,
        layer: "pooled14+logits",
        size: 224,
        n: d.splits[split].labels.length,
      },
      compute ?? (() => {
        throw new Error(`${id} ${split}: pooled features not cached (run probe.ts first)`);
      }),
    );

  /** The maps at the cut as a tensor `[N, 14, 14, 64]`. */
  const cutMaps = async (split: Split, flip = false) => {
    const t = performance.now();
    const f = await cutFeatures(split, flip);
    console.log(
      split,
      flip,
      f.cached ? "cached" : `computed ${((performance.now() - t) / 1000).toFixed(0)} s`,
    );
    return tf.tensor4d(
      f.data,
      [d.splits[split].labels.length, ...f.shape] as [number, number, number, number],
    );
  };

  /** One-hot labels of a split, repeated `times` times (for the mirrored copies). */
  const oneHot = (split: Split, times = 1) => {
    const labels = Array.from({ length: times }, () => Array.from(d.splits[split].labels)).flat();
    return tf.oneHot(tf.tensor1d(labels, "int32"), d.classes.length).toFloat() as tf.Tensor2D;
  };

  /** Train (photos + mirrored photos), val and test maps at the cut. */
  const mapsAtCut = async () => {
    const [a, b] = [await cutMaps("train"), await cutMaps("train", true)];
    const train: TensorDataset = { x: tf.concat([a, b]), y: oneHot("train", 2) };
    tf.dispose([a, b]);
    const val: TensorDataset = { x: await cutMaps("val"), y: oneHot("val") };
    const test: TensorDataset = { x: await cutMaps("test"), y: oneHot("test") };
    return { train, val, test };
  };

  /** φ(x): maps through the frozen top block, averaged over positions (512-d). */
  const pooled = (maps: TensorDataset): TensorDataset => {
    const top = layersBetween(net, CUT, "leaky_re_lu_14");
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < maps.x.shape[0]; i += 64) {
      const n = Math.min(64, maps.x.shape[0] - i);
      parts.push(tf.tidy(() => tf.mean(top.predict(maps.x.slice(i, n)) as tf.Tensor, [1, 2])));
    }
    return { x: tf.concat(parts), y: maps.y.clone() };
  };

  /** Accuracy of `f` on a dataset. */
  const accuracy = async (f: (x: tf.Tensor) => tf.Tensor, ds: TensorDataset) =>
    (await evaluateClassifier((bb) => ({ pred: f(bb.x) }), ds, {
      batchSize: 64,
      numClasses: d.classes.length,
    })).report!.accuracy;

  /** Fits `head` on pooled features with {@link PROBE_SETTINGS}; prints val and test accuracy. */
  const probe = async (
    head: tf.LayersModel,
    p: { train: TensorDataset; val: TensorDataset; test: TensorDataset },
  ) => {
    const run = await fitLightning(
      head,
      p.train,
      p.val,
      PROBE_SETTINGS,
      `${Deno.makeTempDirSync()}/sup2-${K}/probe`,
    );
    console.log(
      `PROBE ${id}: val ${run.history[run.bestEpoch].val_acc.toFixed(4)} (best epoch ${
        run.bestEpoch + 1
      }) test ${(await accuracy((x) => head.predict(x) as tf.Tensor, p.test)).toFixed(4)} in ${
        run.trainSeconds.toFixed(0)
      } s`,
    );
  };

  /**
   * Lightning-style fine-tune of the top block plus `head` (phase "all", lr 3e-4, half an epoch of
   * batches per epoch) on the maps at the cut; prints val and test accuracy.
   */
  const fineTune = async (
    head: tf.LayersModel,
    maps: { train: TensorDataset; val: TensorDataset; test: TensorDataset },
    epochs: number,
  ) => {
    const settings: FitSettings = {
      epochs,
      batchSize: 32,
      lr: 3e-4,
      warmupEpochs: 0,
      labelSmoothing: 0.1,
      seed: 1,
      monitor: "val_acc",
      limitBatches: Math.ceil(maps.train.x.shape[0] / 2 / 32),
    };
    const netL = await loadDarknetTiny({ inputSize: 224 });
    const module = new TransferModule(layersBetween(netL, CUT, "leaky_re_lu_14"), head, {
      lr: settings.lr,
    });
    module.phase = "all";
    const run = await fitLightning(
      module.model,
      maps.train,
      maps.val,
      settings,
      `${Deno.makeTempDirSync()}/sup2-${K}/lightning`,
      { module },
    );
    console.log(
      `FINETUNE ${id}: val ${run.history[run.bestEpoch].val_acc.toFixed(4)} (best epoch ${
        run.bestEpoch + 1
      }) test ${(await accuracy((x) => module.forward(x, false), maps.test)).toFixed(4)} in ${
        run.trainSeconds.toFixed(0)
      } s`,
    );
  };

  return {
    id,
    d,
    net,
    cutFeatures,
    pooledLogitsFeatures,
    cutMaps,
    oneHot,
    mapsAtCut,
    pooled,
    accuracy,
    probe,
    fineTune,
  };
}
