import * as path from "node:path";
import { assert, assertEquals, assertRejects } from "../testing/asserts.ts";
import type { DatasetConfig } from "./config.ts";
import { ensureDataset } from "./ensure.ts";
import { DatasetIntegrityError } from "./loader.ts";
import { syntheticPhoto, writeTree } from "./test_helpers.ts";

Deno.test("ensureDataset builds once, then reuses the published folder (verified)", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "ensure-" });
  try {
    const files: Record<string, Uint8Array> = {};
    let seed = 1;
    for (const cls of ["a", "b"]) {
      for (let i = 0; i < 8; i++) files[`${cls}/${i}.jpg`] = await syntheticPhoto(seed++);
    }
    files["b/empty.jpg"] = new Uint8Array(0);
    await writeTree(path.join(tmp, "src"), files);
    const config: DatasetConfig = {
      name: "tiny",
      version: 3,
      classes: ["a", "b"],
      sources: [{ kind: "folder", root: "src" }],
      imageSize: 16,
      outDir: "out",
    };
    const first = await ensureDataset(config, { baseDir: tmp });
    assert(first.built, "first call builds");
    assertEquals(first.dir, path.join(tmp, "out", "tiny-v3"));
    assertEquals(first.report.counts.published, 16);
    assertEquals(first.report.dropped.map((d) => d.reason), ["empty file"]);

    // The sources are gone: a second call must not need them.
    await Deno.remove(path.join(tmp, "src"), { recursive: true });
    const second = await ensureDataset(config, { baseDir: tmp });
    assert(!second.built, "second call reuses");
    assertEquals(second.report, first.report);

    // A damaged published folder is an error, not a silent rebuild.
    const manifest = await Deno.readTextFile(path.join(first.dir, "manifest.csv"));
    const img = manifest.split("\n")[1].split(",")[0];
    await Deno.writeFile(path.join(first.dir, img), new Uint8Array([1, 2, 3]));
    await assertRejects(() => ensureDataset(config, { baseDir: tmp }), DatasetIntegrityError);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
