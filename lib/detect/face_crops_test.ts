import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import { assert, assertEquals } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/mod.ts";
import {
  cutFaceCrop,
  type FaceBox,
  faceCropDataset,
  faceCropKey,
  faceCropPixels,
  faceCropsOf,
  type FaceFinder,
  MaskDetector,
  type RgbImage,
} from "./mod.ts";

const OPTIONS = { size: 8, margin: 0.25, minScore: 0.6, finder: "stand-in" };

/** A stand-in face finder: a face wherever the image has a pure red pixel's bounding box. */
function redFinder(): FaceFinder & { calls: number } {
  return {
    calls: 0,
    detect(image: RgbImage): Promise<FaceBox[]> {
      this.calls++;
      let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          const i = 3 * (y * image.width + x);
          if (image.data[i] === 255 && image.data[i + 1] === 0 && image.data[i + 2] === 0) {
            [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
          }
        }
      }
      return Promise.resolve(
        x1 < 0 ? [] : [{ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1, score: 0.9 }],
      );
    },
  };
}

/** A `w × h` grey image with a red `side × side` square at (x, y). */
function picture(w: number, h: number, square?: { x: number; y: number; side: number }): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      const red = square && x >= square.x && x < square.x + square.side && y >= square.y &&
        y < square.y + square.side;
      data.set(red ? [255, 0, 0] : [(7 * x + 3 * y) % 200, 100, (x * y) % 250], i);
    }
  }
  return { data, width: w, height: h };
}

Deno.test("faceCropPixels: a region of the crop's own size is copied pixel for pixel", async () => {
  await useWasm();
  const image = picture(20, 16);
  const t = faceCropPixels(image, [{ x: 5, y: 3, width: 8, height: 8 }], 8);
  const got = Uint8Array.from(await t.data(), (v) => Math.round(v * 255));
  t.dispose();
  const want = new Uint8Array(8 * 8 * 3);
  for (let y = 0; y < 8; y++) {
    want.set(image.data.subarray(3 * ((3 + y) * 20 + 5), 3 * ((3 + y) * 20 + 13)), 24 * y);
  }
  assertEquals(got, want);
});

Deno.test("cutFaceCrop: the face grown by the margin, or the whole photo when there is none", async () => {
  await useWasm();
  const crop = await cutFaceCrop(redFinder(), picture(40, 30, { x: 10, y: 8, side: 8 }), OPTIONS);
  assertEquals(crop.face, { x: 10, y: 8, width: 8, height: 8, score: 0.9 });
  assertEquals(crop.region, { x: 8, y: 6, width: 12, height: 12 });
  assertEquals(crop.pixels.length, 8 * 8 * 3);
  assertEquals([crop.faces, crop.imageWidth, crop.imageHeight], [1, 40, 30]);
  // The crop's centre is the red square.
  assertEquals([...crop.pixels.subarray(3 * (4 * 8 + 4), 3 * (4 * 8 + 4) + 3)], [255, 0, 0]);
  const none = await cutFaceCrop(redFinder(), picture(40, 30), OPTIONS);
  assertEquals([none.face, none.faces], [null, 0]);
  assertEquals(none.region, { x: 0, y: 0, width: 40, height: 30 });
});

Deno.test("the detector feeds its classifier exactly the crop that training used", async () => {
  await useWasm();
  const image = picture(48, 40, { x: 20, y: 12, side: 10 });
  const crop = await cutFaceCrop(redFinder(), image, OPTIONS);
  // A fixed linear classifier: any difference in the input pixels shows in the logits.
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [8, 8, 3] }),
      tf.layers.dense({
        units: 2,
        kernelInitializer: tf.initializers.randomNormal({ seed: 3 }),
      }),
    ],
  });
  const detector = new MaskDetector(redFinder(), model, {
    classes: ["a", "b"],
    inputSize: 8,
    margin: OPTIONS.margin,
  });
  const [det] = await detector.detect(image);
  assertEquals(det.crop, crop.region);
  const p = tf.tidy(() =>
    tf.softmax(
      model.predict(tf.tensor4d(crop.pixels, [1, 8, 8, 3], "float32").div(255)) as tf.Tensor2D,
    ).dataSync()
  );
  assertEquals(det.confidence, Math.max(p[0], p[1]));
  model.dispose();
});

Deno.test("faceCropsOf caches crops by photo content and settings, and re-cuts a damaged entry", async () => {
  await useWasm();
  const dir = await Deno.makeTempDir();
  try {
    const photos = [
      picture(40, 30, { x: 4, y: 6, side: 9 }),
      picture(36, 36),
      picture(40, 30, { x: 4, y: 6, side: 9 }), // the same bytes as the first
    ];
    const files = await Promise.all(photos.map(async (p, i) => {
      const file = `${dir}/photo-${i}.png`;
      await sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } }).png()
        .toFile(file);
      return file;
    }));
    const cache = { cacheDir: `${dir}/cache` };
    const finder = redFinder();
    const first = await faceCropsOf(finder, files, OPTIONS, cache);
    assertEquals([first.computed, first.cached], [2, 1]); // the copy is found by content
    assertEquals(first.crops[1].face, null);
    const again = await faceCropsOf(finder, files, OPTIONS, cache);
    assertEquals([again.computed, again.cached, finder.calls], [0, 3, 2]);
    assertEquals(again.crops, first.crops);
    // Another margin is another key; a truncated entry is cut again and repaired.
    assert(faceCropKey(OPTIONS) !== faceCropKey({ ...OPTIONS, margin: 0.3 }));
    const folder = `${dir}/cache/${faceCropKey(OPTIONS)}`;
    const entries = [...Deno.readDirSync(folder)].flatMap((d) =>
      [...Deno.readDirSync(`${folder}/${d.name}`)].map((f) => `${folder}/${d.name}/${f.name}`)
    );
    assertEquals(entries.length, 2);
    await Deno.writeFile(entries[0], new Uint8Array(10));
    const repaired = await faceCropsOf(finder, files, OPTIONS, cache);
    assertEquals(repaired.computed, 1);
    assertEquals(repaired.crops, first.crops);
    assertEquals((await faceCropsOf(finder, files, OPTIONS, cache)).computed, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("faceCropDataset keeps the published splits and labels, and counts whole photos", async () => {
  await useWasm();
  const dir = await Deno.makeTempDir();
  try {
    const rows = ["file,label,split,sha256,source"];
    const specs: [string, string, boolean][] = [
      ["train", "mask", true],
      ["train", "nomask", false],
      ["train", "nomask", true],
      ["val", "mask", true],
      ["test", "nomask", true],
    ];
    await Deno.mkdir(`${dir}/photos`);
    for (const [i, [split, label, face]] of specs.entries()) {
      const p = picture(30 + i, 30, face ? { x: 5 + i, y: 5, side: 10 } : undefined);
      await sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } }).png()
        .toFile(`${dir}/photos/p${i}.png`);
      rows.push(`images/${split}/${label}/${i}.png,${label},${split},${"0".repeat(64)},p${i}.png`);
    }
    await Deno.writeTextFile(`${dir}/manifest.csv`, rows.join("\n") + "\n");
    const ds = await faceCropDataset(redFinder(), dir, `${dir}/photos`, {
      ...OPTIONS,
      cacheDir: null,
    });
    assertEquals(ds.classes, ["mask", "nomask"]);
    assertEquals([...ds.splits.train.labels], [0, 1, 1]);
    assertEquals(ds.splits.train.sources, ["p0.png", "p1.png", "p2.png"]);
    assertEquals(ds.splits.train.wholePhotos, 1);
    assertEquals(ds.splits.val.sources, ["p3.png"]);
    assertEquals(ds.splits.test.files, ["images/test/nomask/4.png"]);
    assertEquals(ds.splits.train.images.length, 3 * 8 * 8 * 3);
    assertEquals(ds.computed, 5);
    // A seeded stratified subset per split, the same every time.
    const sub = await faceCropDataset(redFinder(), dir, `${dir}/photos`, {
      ...OPTIONS,
      cacheDir: null,
      limit: { train: 2 },
    });
    assertEquals(sub.splits.train.labels.length, 2);
    assertEquals(new Set(sub.splits.train.labels).size, 2);
    assertEquals(sub.splits.val.labels.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
