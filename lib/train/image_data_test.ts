import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import type { ImageSplit } from "../dataset/loader.ts";
import { classCounts, imageTensors, stratifiedSubset } from "./image_data.ts";

await useWasm();

/** `n` 2x2 images whose every value is the image's index; labels cycle through `k` classes. */
function fakeSplit(n: number, labels: number[]): ImageSplit {
  const images = new Float32Array(n * 12);
  for (let i = 0; i < n; i++) images.fill(i, i * 12, (i + 1) * 12);
  return { images, labels: Int32Array.from(labels), files: labels.map((_, i) => `f${i}.png`) };
}

Deno.test("imageTensors: NHWC images and one-hot targets; shape and label errors", () => {
  const split = fakeSplit(3, [2, 0, 1]);
  const t = imageTensors(split, 3, 2);
  assertEquals(t.x.shape, [3, 2, 2, 3]);
  assertEquals(t.y.arraySync(), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
  assertEquals((t.x.arraySync() as number[][][][])[2][1][1][2], 2);
  tf.dispose([t.x, t.y]);
  assertThrows(() => imageTensors(split, 3, 3), Error, "not 3 images of 3x3x3");
  assertThrows(() => imageTensors(split, 2, 2), Error, "label 2 outside 0..1");
});

Deno.test("stratifiedSubset keeps class shares, pixels with their labels, and is seeded", () => {
  const labels = Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : i < 90 ? 1 : 2));
  const split = fakeSplit(100, labels);
  const sub = stratifiedSubset(split, 2, 20, 5);
  assertEquals(classCounts(sub, 3), [12, 6, 2]);
  sub.labels.forEach((l, i) => {
    const src = sub.images[i * 12]; // the source index, stored in every pixel
    assertEquals(l, split.labels[src]);
    assertEquals(sub.files[i], `f${src}.png`);
  });
  const again = stratifiedSubset(split, 2, 20, 5);
  assertEquals(Array.from(again.images), Array.from(sub.images));
  const other = stratifiedSubset(split, 2, 20, 6);
  assert(Array.from(other.images).join() !== Array.from(sub.images).join(), "seed matters");
  // A rare class keeps at least one image; asking for everything returns everything.
  assertEquals(classCounts(stratifiedSubset(split, 2, 5, 1), 3)[2], 1);
  assertEquals(stratifiedSubset(split, 2, 500).labels.length, 100);
});
