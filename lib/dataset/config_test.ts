import * as path from "node:path";
import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { type DatasetConfig, resolveConfig } from "./config.ts";
import { CLOTHING, inCI } from "./test_helpers.ts";

const base: DatasetConfig = {
  name: "toy",
  classes: ["b", "a"],
  sources: [{ kind: "folder", root: "photos" }],
};

Deno.test("resolveConfig fills defaults and resolves paths against the base folder", () => {
  const c = resolveConfig(base, "/base");
  assertEquals(c.classes, ["a", "b"]);
  assertEquals(c.version, "1");
  assertEquals([c.imageSize, c.fit, c.minSize, c.nearDuplicateDistance], [128, "crop", 32, 4]);
  assertEquals(c.split, { train: 0.7, val: 0.15, test: 0.15, seed: 42 });
  assertEquals(c.sources[0].resolved, path.resolve("/base/photos"));
  assertEquals(c.outDir, path.resolve("/base/data/datasets"));
  assertEquals(c.downloadDir, path.resolve("/base/data/cache/dataset-downloads/toy"));
  assertEquals(resolveConfig({ ...base, version: 3 }, "/base").version, "3");
});

Deno.test("resolveConfig names the bad field", () => {
  const bad = (patch: Record<string, unknown>, msg: string) =>
    assertThrows(() => resolveConfig({ ...base, ...patch } as DatasetConfig, "/b"), Error, msg);
  bad({ name: "../evil" }, "config.name");
  bad({ classes: [] }, "config.classes");
  bad({ classes: ["a/b"] }, "bad class name");
  bad({ classes: ["a", "a"] }, "duplicates");
  bad({ sources: [{ kind: "ftp" }] }, 'config.sources[0].kind must be "folder" or "urls"');
  bad({ sources: [{ kind: "folder", root: "x", keepSplits: true }] }, "keepSplits needs splitDirs");
  bad({ sources: [{ kind: "folder", root: "x", splitDirs: { dev: "dev" } }] }, "splitDirs.dev");
  bad({ imageSize: 3.5 }, "config.imageSize");
  bad({ fit: "stretch" }, "config.fit");
  bad({ split: { train: 0.5, val: 0.1, test: 0.1 } }, "sum to 1");
  bad({ sources: [{ kind: "folder", root: "mirror:no-such-folder-here" }] }, "BOOK_MIRROR");
  bad({ sources: [{ kind: "folder", root: "asset:no-such-asset" }] }, "clothing-dataset-small");
});

Deno.test({
  name: "resolveConfig finds mirror: paths in the data mirror",
  ignore: CLOTHING === undefined && !inCI,
  fn: () => {
    const c = resolveConfig({
      ...base,
      sources: [{ kind: "folder", root: "mirror:clothing-dataset-small" }],
    });
    assertEquals(c.sources[0].resolved, CLOTHING);
  },
});
