import * as path from "node:path";
import sharp from "sharp";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/asserts.ts";
import { buildDataset } from "./build.ts";
import { main } from "./cli.ts";
import type { DatasetConfig } from "./config.ts";
import { DatasetIntegrityError, loadImageDataset, verifyDataset } from "./loader.ts";
import { MANIFEST_HEADER, parseManifest } from "./manifest.ts";
import {
  CLOTHING,
  FACE_MASK,
  inCI,
  requireMirror,
  startImageServer,
  syntheticPhoto,
  writeTree,
} from "./test_helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Three classes of generated photos plus one of every kind of trouble. */
async function messyTree(root: string): Promise<void> {
  const files: Record<string, Uint8Array> = {};
  let seed = 1;
  for (const cls of ["apple", "banana", "cherry"]) {
    for (let i = 0; i < 10; i++) files[`${cls}/${i}.jpg`] = await syntheticPhoto(seed++);
  }
  files["apple/copy of 0.jpg"] = files["apple/0.jpg"]; // exact duplicate
  const shared = await syntheticPhoto(500);
  files["banana/shared.jpg"] = shared; // same file under two classes
  files["cherry/shared.jpg"] = shared;
  // A near-duplicate: photo apple/1 re-encoded smaller and at a lower quality.
  files["apple/1-small.jpg"] = new Uint8Array(
    await sharp(files["apple/1.jpg"]).resize(72, 60).jpeg({ quality: 50 }).toBuffer(),
  );
  files["apple/png-named.jpg"] = await syntheticPhoto(600, 90, 90, "png");
  files["apple/empty.jpg"] = new Uint8Array(0);
  const jpg = await syntheticPhoto(700, 300, 200);
  files["banana/truncated.jpg"] = jpg.slice(0, Math.floor(jpg.length / 2));
  files["cherry/tiny.jpg"] = await syntheticPhoto(800, 20, 20);
  files["cherry/page.jpg"] = enc("<!doctype html><title>Access denied</title>");
  files["cherry/.DS_Store"] = enc("junk");
  files["durian/0.jpg"] = await syntheticPhoto(900); // not a configured class
  await writeTree(root, files);
}

function config(root: string, outDir: string, extra: Partial<DatasetConfig> = {}): DatasetConfig {
  return {
    name: "fruit",
    version: 1,
    classes: ["cherry", "banana", "apple"],
    sources: [{ kind: "folder", root, license: "test images" }],
    imageSize: 32,
    split: { train: 0.6, val: 0.2, test: 0.2, seed: 7 },
    minSize: 32,
    nearDuplicateDistance: 6,
    outDir,
    ...extra,
  };
}

Deno.test("buildDataset: validate, de-duplicate, split, publish; load it back", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const src = path.join(tmp, "src");
    await messyTree(src);
    const out = path.join(tmp, "out");
    const r = await buildDataset(config(src, out));
    const dir = path.join(out, "fruit-v1");
    assertEquals(r.dir, dir);
    assertEquals(r.archive, path.join(out, "fruit-v1.tar.gz"));
    const rows = parseManifest(await Deno.readTextFile(path.join(dir, "manifest.csv")));
    // 30 photos + near-duplicate + png-named kept; exact copy, shared pair, empty, truncated,
    // tiny, html and the hidden .DS_Store dropped.
    assertEquals(rows.length, 32);
    const c = r.report.counts;
    assertEquals([c.candidates, c.published, c.dropped], [40, 32, 8]);
    const reasons = Object.fromEntries(
      r.report.dropped.map((d) => [`${d.label}/${d.source}`, d.reason]),
    );
    assertStringIncludes(
      reasons["apple/apple/copy of 0.jpg"],
      "duplicate (identical file) of apple/0.jpg",
    );
    assertStringIncludes(reasons["banana/banana/shared.jpg"], "conflicting labels");
    assertStringIncludes(reasons["cherry/cherry/shared.jpg"], "conflicting labels");
    assertEquals(reasons["apple/apple/empty.jpg"], "empty file");
    assertStringIncludes(
      reasons["banana/banana/truncated.jpg"],
      "truncated jpeg (no end-of-image marker)",
    );
    assertStringIncludes(reasons["cherry/cherry/tiny.jpg"], "too small: 20x20");
    assertEquals(reasons["cherry/cherry/page.jpg"], "not an image (html)");
    assertEquals(reasons["cherry/cherry/.DS_Store"], "hidden file (name starts with .)");
    assertEquals(r.report.notes, [
      { source: "apple/png-named.jpg", label: "apple", note: "named as jpeg but is png" },
    ]);
    // The near-duplicate pair is one group, in one split.
    const group = r.report.nearDuplicateGroups.find((g) =>
      g.members.some((m) => m.source === "apple/1-small.jpg")
    );
    assert(group !== undefined, "near-duplicate found");
    assertEquals(group.members.map((m) => m.source).sort(), ["apple/1-small.jpg", "apple/1.jpg"]);
    const splitOf = (source: string) => rows.find((x) => x.source === source)!.split;
    assertEquals(splitOf("apple/1-small.jpg"), splitOf("apple/1.jpg"));
    // Stratified: 12 apples → 7/2/3 or so, each class in each split.
    for (const cls of ["apple", "banana", "cherry"]) {
      for (const s of ["train", "val", "test"]) {
        assert(rows.some((x) => x.label === cls && x.split === s), `${cls} in ${s}`);
      }
    }
    for (const x of rows) {
      assert(
        new RegExp(`^images/${x.split}/${x.label}/${x.sha256.slice(0, 8)}\\.png$`).test(x.file),
      );
    }
    const manifest = await Deno.readTextFile(path.join(dir, "manifest.csv"));
    assert(manifest.startsWith(MANIFEST_HEADER + "\n"));
    const sums = await Deno.readTextFile(path.join(dir, "SHA256SUMS"));
    for (
      const f of ["manifest.csv", "card.md", "build-report.json", "dataset.json", rows[0].file]
    ) {
      assertStringIncludes(sums, `  ${f}\n`);
    }
    const card = await Deno.readTextFile(path.join(dir, "card.md"));
    assertStringIncludes(card, "| apple | ");
    assertStringIncludes(card, "license: test images");
    assertEquals((await verifyDataset(dir)).images, 32);

    const ds = await loadImageDataset(dir);
    assertEquals([ds.name, ds.version, ds.imageSize], ["fruit", "1", 32]);
    assertEquals(ds.classes, ["apple", "banana", "cherry"]);
    const n = ds.splits.train.labels.length + ds.splits.val.labels.length +
      ds.splits.test.labels.length;
    assertEquals(n, 32);
    assertEquals(ds.splits.val.images.length, ds.splits.val.labels.length * 32 * 32 * 3);
    assert(ds.splits.train.images.every((v) => v >= 0 && v <= 1));
    const first = rows.find((x) => x.file === ds.splits.test.files[0])!;
    assertEquals(ds.classes[ds.splits.test.labels[0]], first.label);
    const only = await loadImageDataset(dir, { splits: ["val"], verify: false });
    assertEquals(only.splits.train.labels.length, 0);
    assertEquals(only.splits.val.images, ds.splits.val.images);

    // The archive lists the whole folder.
    const list = await new Deno.Command("tar", { args: ["-tzf", r.archive!] }).output();
    const names = new TextDecoder().decode(list.stdout).split("\n");
    assert(names.includes("fruit-v1/manifest.csv") && names.includes(`fruit-v1/${rows[0].file}`));

    // Same sources, same bytes: manifest, sums and archive.
    const r2 = await buildDataset(config(src, path.join(tmp, "out2")));
    for (const f of ["manifest.csv", "SHA256SUMS", "build-report.json", "card.md"]) {
      assertEquals(
        await Deno.readTextFile(path.join(r2.dir, f)),
        await Deno.readTextFile(path.join(dir, f)),
        f,
      );
    }
    assertEquals(await Deno.readFile(r2.archive!), await Deno.readFile(r.archive!));

    // A published version is not overwritten unless asked.
    await assertRejects(() => buildDataset(config(src, out)), Error, "already exists");
    const r3 = await buildDataset(config(src, out, { split: { seed: 8 } }), { overwrite: true });
    assert((await Deno.readTextFile(path.join(r3.dir, "manifest.csv"))) !== manifest);
    assertEquals([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
      "fruit-v1",
      "fruit-v1.tar.gz",
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("loadImageDataset names the file that fails verification", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 4; i++) {
      files[`a/${i}.jpg`] = await syntheticPhoto(i + 1);
      files[`b/${i}.jpg`] = await syntheticPhoto(i + 11);
    }
    await writeTree(path.join(tmp, "src"), files);
    const { dir } = await buildDataset(
      config(path.join(tmp, "src"), path.join(tmp, "out"), {
        classes: ["a", "b"],
        split: { train: 0.5, val: 0.25, test: 0.25, seed: 1 },
      }),
      { archive: false },
    );
    const rows = parseManifest(await Deno.readTextFile(path.join(dir, "manifest.csv")));
    const victim = path.join(dir, rows[1].file);
    const original = await Deno.readFile(victim);
    const changed = original.slice();
    changed[changed.length - 20] ^= 0xff;
    await Deno.writeFile(victim, changed);
    const err = await assertRejects(() => loadImageDataset(dir), DatasetIntegrityError, [
      rows[1].file,
      "SHA-256 mismatch",
    ]);
    assertEquals(err.files, [rows[1].file]);
    await Deno.remove(victim);
    await assertRejects(
      () => verifyDataset(dir),
      DatasetIntegrityError,
      `${rows[1].file}: missing`,
    );
    await Deno.writeFile(victim, original);
    await Deno.writeTextFile(path.join(dir, "extra.txt"), "x");
    await assertRejects(() => verifyDataset(dir), DatasetIntegrityError, "extra.txt: not listed");
    await Deno.remove(path.join(dir, "extra.txt"));
    await verifyDataset(dir);
    await assertRejects(() => loadImageDataset(path.join(tmp, "nope")), Error, "published dataset");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("an interrupted build publishes nothing and leaves the old version intact", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 6; i++) files[`a/${i}.jpg`] = await syntheticPhoto(i + 1);
    await writeTree(path.join(tmp, "src"), files);
    const out = path.join(tmp, "out");
    const cfg = config(path.join(tmp, "src"), out, { classes: ["a"] });
    const abortAt = (needle: string) => {
      const controller = new AbortController();
      return {
        signal: controller.signal,
        log: (m: string) => {
          if (m.includes(needle)) controller.abort(new Error("interrupted"));
        },
      };
    };
    await assertRejects(() => buildDataset(cfg, abortAt("candidate images")), Error, "interrupted");
    assertEquals([...Deno.readDirSync(out)].length, 0, "nothing published, no staging left");

    const first = await buildDataset(cfg);
    const sums = await Deno.readTextFile(path.join(first.dir, "SHA256SUMS"));
    await assertRejects(
      () =>
        buildDataset({ ...cfg, split: { seed: 99 } }, { overwrite: true, ...abortAt("candidate") }),
      Error,
      "interrupted",
    );
    assertEquals(await Deno.readTextFile(path.join(first.dir, "SHA256SUMS")), sums);
    await verifyDataset(first.dir);
    // A staging folder left by a killed process is cleaned up by the next build.
    await Deno.mkdir(path.join(out, ".fruit-v1.staging-dead"));
    await buildDataset(cfg, { overwrite: true });
    assertEquals([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
      "fruit-v1",
      "fruit-v1.tar.gz",
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("buildDataset from URL lists served by a broken local server", async () => {
  const photos = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => syntheticPhoto(s, 120, 100)));
  const server = startImageServer(photos);
  const tmp = await Deno.makeTempDir();
  try {
    const u = (p: string) => server.base + p;
    await writeTree(path.join(tmp, "lists"), {
      "hat.txt": enc(
        [
          u("/img/0.jpg"),
          u("/img/1.jpg"),
          u("/redirect/1/2"),
          u("/404"),
          u("/html.jpg"),
          u("/truncated.jpg"),
          u("/img/0.jpg"),
          u("/img/5.jpg"),
        ].join("\n"),
      ),
      "shoes.txt": enc([u("/img/3.jpg"), u("/octet/4"), u("/img/5.jpg")].join("\n")),
    });
    const cfg: DatasetConfig = {
      name: "web",
      classes: ["hat", "shoes"],
      sources: [{ kind: "urls", dir: path.join(tmp, "lists"), license: "unknown" }],
      imageSize: 32,
      split: { train: 0.34, val: 0.33, test: 0.33, seed: 1 },
      outDir: path.join(tmp, "out"),
      downloadDir: path.join(tmp, "downloads"),
      download: { timeoutMs: 2000, retries: 0, backoffMs: 1 },
    };
    const r = await buildDataset(cfg);
    const rows = parseManifest(await Deno.readTextFile(path.join(r.dir, "manifest.csv")));
    assertEquals(rows.map((x) => `${x.label} ${x.source}`).sort(), [
      `hat ${u("/img/0.jpg")}`,
      `hat ${u("/img/1.jpg")}`,
      `hat ${u("/redirect/1/2")}`,
      `shoes ${u("/img/3.jpg")}`,
      `shoes ${u("/octet/4")}`,
    ]);
    const reasons = r.report.dropped.map((d) => `${d.label} ${d.source}: ${d.reason}`).sort();
    assertEquals(reasons.length, 5);
    assertStringIncludes(reasons.join("\n"), `hat ${u("/404")}: download failed: HTTP 404`);
    assertStringIncludes(
      reasons.join("\n"),
      `hat ${u("/html.jpg")}: download failed: content-type`,
    );
    assertStringIncludes(
      reasons.join("\n"),
      `hat ${u("/truncated.jpg")}: truncated jpeg (no end-of-image marker)`,
    );
    assertStringIncludes(reasons.join("\n"), `hat ${u("/img/5.jpg")}: conflicting labels`);
    assertEquals(r.report.urlListProblems.map((p) => p.reason), [
      "duplicate of line 1 (fetched once)",
    ]);
    assertEquals(server.hits.get("/img/5.jpg"), 1);
    assertEquals(r.downloads, { fetched: 9, reused: 0, failed: 2 });
    // Resumed: a rebuild downloads only what failed transiently (nothing here).
    const again = await buildDataset(cfg, { overwrite: true });
    assertEquals(again.downloads, { fetched: 0, reused: 9, failed: 2 });
    assertEquals(
      await Deno.readTextFile(path.join(again.dir, "manifest.csv")),
      await Deno.readTextFile(path.join(r.dir, "manifest.csv")),
    );
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "clothing mirror: a pre-split folder source, kept split, through the CLI",
  ignore: CLOTHING === undefined && !inCI,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const cfgFile = path.join(tmp, "hats.json");
      await Deno.writeTextFile(
        cfgFile,
        JSON.stringify({
          name: "hats",
          classes: ["hat"],
          sources: [{
            kind: "folder",
            root: "mirror:clothing-dataset-small",
            splitDirs: { train: "train", validation: "val", test: "test" },
            keepSplits: true,
          }],
          imageSize: 16,
          nearDuplicateDistance: -1,
        }),
      );
      const out = path.join(tmp, "out");
      assertEquals(await main(["build", cfgFile, "--out", out, "--quiet", "--no-archive"]), 0);
      const dir = path.join(out, "hats-v1");
      const rows = parseManifest(await Deno.readTextFile(path.join(dir, "manifest.csv")));
      const expected = { train: "train", validation: "val", test: "test" } as Record<
        string,
        string
      >;
      for (const x of rows) assertEquals(x.split, expected[x.source.split("/")[0]], x.source);
      assertEquals(rows.filter((x) => x.source.startsWith("train/")).length, 123);
      assertEquals(await main(["verify", dir]), 0);
      assertEquals(await main(["info", dir]), 0);
      assertEquals(await main(["frobnicate"]), 2);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "face-mask sample: lying extensions and '... copy N' duplicates",
  ignore: FACE_MASK === undefined && !inCI,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const pick = [
        "0_0_0 copy 10.jpg", // identical to with_mask_3.jpg
        "with_mask_3.jpg",
        "with_mask129.jpg", // a PNG
        "black3.jpg_1088Wx1632H", // a WebP
        "black10.webp",
        "0129.png",
        "0323.jpg",
        "0417.jpg",
      ];
      const files: Record<string, Uint8Array> = {};
      for (const f of pick) {
        files[`with_mask/${f}`] = await Deno.readFile(
          path.join(requireMirror("face-mask"), "with_mask", f),
        );
      }
      for (const f of ["0.jpg", "0_0_aidai_0014.jpg", "0_0_aidai_0029.jpg"]) {
        files[`without_mask/${f}`] = await Deno.readFile(
          path.join(requireMirror("face-mask"), "without_mask", f),
        );
      }
      await writeTree(path.join(tmp, "src"), files);
      const r = await buildDataset({
        name: "masks",
        classes: ["with_mask", "without_mask"],
        sources: [{ kind: "folder", root: path.join(tmp, "src") }],
        imageSize: 32,
        outDir: path.join(tmp, "out"),
      }, { archive: false });
      assertEquals(r.report.counts.exactDuplicatesDropped, 1);
      assertEquals(r.report.exactDuplicates[0].kept?.source, "with_mask/0_0_0 copy 10.jpg");
      assertEquals(r.report.notes.map((n) => n.note), ["named as jpeg but is png"]);
      assertEquals(r.report.counts.published, 10);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
