/**
 * Voxel data sets for chapter 5: AdrenalMNIST3D (MedMNIST v2) and a two-class ModelNet10 subset.
 *
 * Both resolve through the asset registry (`registry.ts`: cache → mirror → original URL, SHA-256
 * checked) and are read with our `.npz`/`.npy` reader. Volumes come back as one `Uint8Array` per
 * split, example after example, each `side³` voxels in `[depth][height][width]` order, with
 * integer labels.
 *
 * @module
 */
import type { ResolveOptions } from "./assets.ts";
import { resolveNamedAsset } from "./registry.ts";
import { shuffledIndices } from "./batches.ts";
import { type NpyArray, readNpy, readNpz } from "./npy.ts";
import { Rng } from "../autograd/random.ts";

/** Volumes of one split. */
export interface VolumeSplit {
  /** `count · side³` voxels, example after example. */
  volumes: Uint8Array;
  /** One integer label per example. */
  labels: Int32Array;
}

/** A voxel data set with train/val/test splits. */
export interface VolumeDataset {
  /** Edge length of the cubes. */
  side: number;
  /** Class names, by label. */
  classes: string[];
  /** The splits. */
  splits: Record<"train" | "val" | "test", VolumeSplit>;
}

/** The two AdrenalMNIST3D classes (label 1: adrenal mass). */
export const ADRENAL_CLASSES = ["normal", "mass"];

function expectShape(a: NpyArray, shape: number[], what: string) {
  if (a.shape.length !== shape.length || a.shape.some((d, i) => shape[i] >= 0 && d !== shape[i])) {
    throw new Error(`${what}: expected shape (${shape.join(", ")}), found (${a.shape.join(", ")})`);
  }
}

/** Loads AdrenalMNIST3D (official train 1,188 / val 98 / test 298 split), 28³ uint8 volumes. */
export async function loadAdrenalMnist3d(options: ResolveOptions = {}): Promise<VolumeDataset> {
  const file = await resolveNamedAsset("medmnist3d/adrenalmnist3d.npz", options);
  const arrays = await readNpz(file);
  const split = (name: string): VolumeSplit => {
    const x = arrays.get(`${name}_images`);
    const y = arrays.get(`${name}_labels`);
    if (!x || !y) throw new Error(`${file}: missing ${name}_images or ${name}_labels`);
    expectShape(x, [-1, 28, 28, 28], `${file}:${name}_images`);
    expectShape(y, [x.shape[0], 1], `${file}:${name}_labels`);
    if (x.dtype !== "uint8") throw new Error(`${file}:${name}_images: dtype ${x.dtype}, not uint8`);
    return { volumes: x.data as Uint8Array, labels: Int32Array.from(y.data) };
  };
  return {
    side: 28,
    classes: ADRENAL_CLASSES,
    splits: { train: split("train"), val: split("val"), test: split("test") },
  };
}

/**
 * Loads the ModelNet10 chair-vs-monitor subset (32³ occupancy grids; label 0 chair, 1 monitor) and
 * splits it per class with a seeded shuffle (fractions `train`/`val`, the rest is test).
 */
export async function loadModelNetSubset(
  opts: { seed?: number; train?: number; val?: number } & ResolveOptions = {},
): Promise<VolumeDataset> {
  const side = 32;
  const cube = side ** 3;
  const perClass: Uint8Array[] = [];
  for (const cls of ["chair", "monitor"] as const) {
    const file = await resolveNamedAsset(`modelnet10-subset/${cls}.npy.gz`, opts);
    const a = await readNpy(file);
    expectShape(a, [-1, 1, side, side, side], file);
    // Occupancy grids stored as float64 0/1: keep them as bytes.
    const bytes = new Uint8Array(a.data.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = a.data[i] > 0.5 ? 1 : 0;
    perClass.push(bytes);
  }
  const counts = perClass.map((v) => v.length / cube);
  const plan = seededClassSplit(counts, opts);
  const build = (items: [number, number][]): VolumeSplit => {
    const volumes = new Uint8Array(items.length * cube);
    const labels = new Int32Array(items.length);
    items.forEach(([label, i], k) => {
      volumes.set(perClass[label].subarray(i * cube, (i + 1) * cube), k * cube);
      labels[k] = label;
    });
    return { volumes, labels };
  };
  return {
    side,
    classes: ["chair", "monitor"],
    splits: { train: build(plan.train), val: build(plan.val), test: build(plan.test) },
  };
}

/**
 * A seeded, stratified split of examples given per class (`counts[k]` examples of class `k`):
 * each class is shuffled and cut at `train` and `train + val` (fractions, defaults 0.7 and 0.15),
 * then each split is shuffled. Returns `[label, index within its class]` pairs per split.
 */
export function seededClassSplit(
  counts: number[],
  opts: { seed?: number; train?: number; val?: number } = {},
): Record<"train" | "val" | "test", [number, number][]> {
  const rng = new Rng(opts.seed ?? 0);
  const parts = {
    train: [] as [number, number][],
    val: [] as [number, number][],
    test: [] as [number, number][],
  };
  counts.forEach((n, label) => {
    const order = shuffledIndices(n, () => rng.next());
    const nTrain = Math.round(n * (opts.train ?? 0.7));
    const nVal = Math.round(n * (opts.val ?? 0.15));
    order.forEach((i, k) => {
      parts[k < nTrain ? "train" : k < nTrain + nVal ? "val" : "test"].push([label, i]);
    });
  });
  for (const items of Object.values(parts)) {
    const order = shuffledIndices(items.length, () => rng.next());
    const copy = items.slice();
    order.forEach((j, k) => (items[k] = copy[j]));
  }
  return parts;
}
