import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { Rng } from "../autograd/random.ts";
import {
  batches,
  composeAugments,
  epochOrder,
  gaussianNoise,
  numBatches,
  randomBrightnessContrast,
  randomFlipLeftRight,
  randomShift,
  toTfDataset,
} from "./batches.ts";

await useWasm();

Deno.test("epoch order is a permutation fixed by (seed, epoch)", () => {
  const a = epochOrder(50, 3, 7), b = epochOrder(50, 3, 7), c = epochOrder(50, 4, 7);
  if (a.join() !== b.join()) throw new Error("same seed and epoch must give the same order");
  if (a.join() === c.join()) throw new Error("epochs must differ");
  if ([...a].sort((p, q) => p - q).join() !== Array.from({ length: 50 }, (_, i) => i).join()) {
    throw new Error("not a permutation");
  }
  if (epochOrder(5, 0, 1, false).join() !== "0,1,2,3,4") throw new Error("unshuffled");
});

Deno.test("batches cover the data once, tensors are released, augmentation is seeded", async () => {
  const ds = { x: tf.range(0, 10).reshape([10, 1, 1, 1]), y: tf.range(0, 10).reshape([10, 1]) };
  const before = tf.memory().numTensors;
  const seen: number[] = [];
  for (const b of batches(ds, 0, { batchSize: 4, seed: 3 })) {
    seen.push(...(await b.y.data()));
    tf.dispose([b.x, b.y]);
  }
  if (tf.memory().numTensors !== before) throw new Error("batches leaked tensors");
  if ([...seen].sort((p, q) => p - q).join() !== "0,1,2,3,4,5,6,7,8,9") throw new Error(`${seen}`);
  if (
    numBatches(10, { batchSize: 4 }) !== 3 ||
    numBatches(10, { batchSize: 4, dropRemainder: true }) !== 2
  ) {
    throw new Error("numBatches");
  }
  const img = { x: tf.tensor4d([1, 2, 3, 4, 5, 6], [2, 1, 3, 1]), y: tf.tensor2d([0, 1], [2, 1]) };
  const run = async () => {
    const out: number[] = [];
    const opts = { batchSize: 2, seed: 11, shuffle: false, augment: randomFlipLeftRight(0.5) };
    for (let epoch = 0; epoch < 4; epoch++) {
      for (const b of batches(img, epoch, opts)) {
        out.push(...(await b.x.data()));
        tf.dispose([b.x, b.y]);
      }
    }
    return out;
  };
  const r1 = await run(), r2 = await run();
  if (r1.join() !== r2.join()) throw new Error("augmentation not reproducible");
  const rows = Array.from({ length: 8 }, (_, i) => r1.slice(3 * i, 3 * i + 3).join());
  if (!rows.every((r) => ["1,2,3", "3,2,1", "4,5,6", "6,5,4"].includes(r))) {
    throw new Error(`${rows}`);
  }
  if (!rows.some((r) => r === "3,2,1" || r === "6,5,4")) throw new Error("never flipped");
  const noisy = batches(img, 0, { batchSize: 2, augment: gaussianNoise(0.1) }).next().value!;
  if (noisy.x.shape.join() !== "2,1,3,1") throw new Error("noise shape");
  tf.dispose([noisy.x, noisy.y, ds.x, ds.y, img.x, img.y]);
});

Deno.test("toTfDataset yields the same batches as batches(), epoch by epoch", async () => {
  const ds = { x: tf.range(0, 6).reshape([6, 1]), y: tf.range(0, 6).reshape([6, 1]) };
  const opts = { batchSize: 4, seed: 9 };
  const data = toTfDataset(ds, opts);
  for (let epoch = 0; epoch < 2; epoch++) {
    const got: number[] = [];
    await data.forEachAsync((b) => {
      got.push(...b.ys.dataSync());
    });
    const want = [...epochOrder(6, epoch, 9)];
    if (got.join() !== want.join()) throw new Error(`epoch ${epoch}: ${got} vs ${want}`);
  }
  tf.dispose([ds.x, ds.y]);
});

Deno.test("randomShift moves whole images by at most maxShift (mirrored border); composeAugments chains", () => {
  // One 5x5 single-channel image holding 0..24; every shifted output is a window of the
  // reflect-padded image, so its centre pixel (12 unshifted) stays within one pixel.
  const x = tf.range(0, 25).reshape([1, 5, 5, 1]).tile([6, 1, 1, 1]);
  const ds = { x, y: tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1], "int32"), 2) };
  const augment = composeAugments(randomFlipLeftRight(0.5), randomShift(1));
  const before = tf.memory().numTensors;
  const b = batches(ds, 0, { batchSize: 6, seed: 3, augment }).next().value!;
  assertEquals(tf.memory().numTensors, before + 2, "only the batch survives");
  assertEquals(b.x.shape, [6, 5, 5, 1]);
  const v = b.x.dataSync();
  const centres = Array.from({ length: 6 }, (_, i) => v[i * 25 + 12]);
  const allowed = [6, 7, 8, 11, 12, 13, 16, 17, 18];
  assert(centres.every((c) => allowed.includes(c)), `centres ${centres}`);
  assert(centres.some((c) => c !== 12), "some image moved");
  const again = batches(ds, 0, { batchSize: 6, seed: 3, augment }).next().value!;
  assertEquals(Array.from(again.x.dataSync()), Array.from(v), "seeded");
  assertThrows(() => randomShift(-1), Error, "whole number");
  assertThrows(() => randomShift(5)(again, new Rng(1)), Error, "smaller than");
  tf.dispose([x, ds.y, b.x, b.y, again.x, again.y]);
});

Deno.test("randomBrightnessContrast: per-image affine change around the mean, clipped, seeded", () => {
  const x = tf.tensor4d([0.2, 0.4, 0.6, 0.8, 0.5, 0.5, 0.5, 0.5], [2, 2, 2, 1]);
  const y = tf.tensor2d([[1], [0]]);
  const aug = randomBrightnessContrast(0.1, 0.3);
  const out = aug({ x, y }, new Rng(4));
  const v = out.x.arraySync() as number[][][][];
  const first = v[0].flat(2), second = v[1].flat(2);
  // The first image stays evenly spaced (an affine map), its spread scaled by c in [0.7, 1.3].
  const step = first[1] - first[0];
  for (let i = 1; i < 4; i++) assert(Math.abs(first[i] - first[i - 1] - step) < 1e-6);
  assert(step >= 0.2 * 0.7 - 1e-6 && step <= 0.2 * 1.3 + 1e-6, `step ${step}`);
  // A flat image only moves by the brightness offset.
  assert(second.every((p) => Math.abs(p - second[0]) < 1e-6 && Math.abs(p - 0.5) <= 0.1 + 1e-6));
  assertEquals(out.x.arraySync(), aug({ x, y }, new Rng(4)).x.arraySync());
  const bright = randomBrightnessContrast(0.9, 0)({ x, y }, new Rng(1)).x.arraySync();
  assert((bright as number[][][][]).flat(3).every((p) => p >= 0 && p <= 1));
  assertThrows(() => randomBrightnessContrast(1, 0), Error, "brightness and contrast");
  tf.dispose([x, y, out.x, out.y]);
});
