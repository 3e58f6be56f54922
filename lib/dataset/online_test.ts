/**
 * "A fresh clone online, with no mirror": chapter 2's photos come from GitHub's archive of the
 * pinned commit, verified file by file, and the dataset builds from them. Simulated with a local
 * HTTP server (`BOOK_DOWNLOAD_BASE`) that serves an archive made here from the mirror's files,
 * which are byte-identical to the commit, so the committed blob ids must match.
 */
import * as path from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/asserts.ts";
import { AssetNotFoundError } from "../data/assets.ts";
import { readTreeList } from "../data/git_tree.ts";
import { namedTree } from "../data/registry.ts";
import { githubArchive } from "../data/test_archive.ts";
import type { DatasetConfig } from "./config.ts";
import { ensureDataset } from "./ensure.ts";
import { inCI, mirrorPath } from "./test_helpers.ts";

const MIRROR = mirrorPath("clothing-dataset-small");
const TREE = namedTree("clothing-dataset-small");

/** Runs `fn` with the given environment variables, restoring them afterwards. */
async function withEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    await fn();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

const CONFIG: DatasetConfig = {
  name: "clothing-online",
  classes: ["hat", "skirt"],
  sources: [{
    kind: "folder",
    root: "asset:clothing-dataset-small",
    splitDirs: { validation: "val" },
  }],
  imageSize: 16,
  fit: "pad",
  outDir: "out",
};

Deno.test({
  name: "fresh clone online, no mirror: the whole pinned archive is downloaded, verified, built",
  ignore: MIRROR === undefined && !inCI,
  async fn() {
    if (MIRROR === undefined) throw new Error("this test needs the data mirror (BOOK_MIRROR)");
    const t0 = performance.now();
    const files = await readTreeList(TREE);
    const archive = githubArchive(
      TREE.commit,
      await Promise.all(
        files.map(async (f) =>
          [f.path, await Deno.readFile(path.join(MIRROR, f.path))] as [string, Uint8Array]
        ),
      ),
    );
    const requests: string[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const p = new URL(req.url).pathname;
      requests.push(p);
      // codeload "fails", so the second URL (github.com/…/archive) is exercised too.
      if (p === `/github.com/${TREE.repo}/archive/${TREE.commit}.tar.gz`) {
        return new Response(archive, { headers: { "content-length": String(archive.length) } });
      }
      return new Response("not here", { status: 404 });
    });
    const tmp = await Deno.makeTempDir({ prefix: "online-" });
    try {
      await withEnv({
        BOOK_MIRROR: path.join(tmp, "no-mirror"),
        BOOK_CACHE: path.join(tmp, "cache"),
        BOOK_DOWNLOAD_BASE: `http://127.0.0.1:${server.addr.port}`,
        BOOK_OFFLINE: "",
      }, async () => {
        const ds = await ensureDataset(CONFIG, { baseDir: tmp });
        assert(ds.built);
        assertEquals(ds.report.counts.candidates, 26);
        assert(ds.report.counts.published >= 24, `published ${ds.report.counts.published}`);
        assertEquals(requests, [
          `/codeload.github.com/${TREE.repo}/tar.gz/${TREE.commit}`,
          `/github.com/${TREE.repo}/archive/${TREE.commit}.tar.gz`,
        ]);
        const cached = path.join(tmp, "cache", "clothing-dataset-small");
        assertEquals([...Deno.readDirSync(cached)].map((e) => e.name).sort(), [
          "test",
          "train",
          "validation",
        ]);
        // The archive is gone once extracted; the same sources as the mirror give the same report.
        assertEquals([...Deno.readDirSync(path.join(tmp, "cache", "downloads"))], []);
        assertEquals(ds.report.settings.sources, [{
          ...CONFIG.sources[0],
          copy: `${TREE.repo}@${TREE.commit}, the commit's own files (each checked by git blob id)`,
        }]);
      });
      // Built from the mirror instead, the dataset is byte for byte the same.
      await withEnv({
        BOOK_MIRROR: path.dirname(MIRROR),
        BOOK_CACHE: path.join(tmp, "cache-2"),
        BOOK_OFFLINE: "1",
      }, async () => {
        const fromMirror = await ensureDataset({ ...CONFIG, outDir: "out-2" }, { baseDir: tmp });
        for (const file of ["manifest.csv", "build-report.json", "SHA256SUMS"]) {
          assertEquals(
            await Deno.readTextFile(path.join(fromMirror.dir, file)),
            await Deno.readTextFile(path.join(tmp, "out", "clothing-online-v1", file)),
            file,
          );
        }
      });
    } finally {
      await server.shutdown();
      await Deno.remove(tmp, { recursive: true });
    }
    console.log(`  (whole archive round trip: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  },
});

Deno.test("offline with no mirror, building chapter 2's dataset stops with one clear message", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "offline-" });
  try {
    await withEnv({
      BOOK_MIRROR: path.join(tmp, "no-mirror"),
      BOOK_CACHE: path.join(tmp, "cache"),
      BOOK_OFFLINE: "1",
    }, async () => {
      const err = await assertRejects(
        () => ensureDataset("lib/dataset/configs/clothing5.json", { baseDir: tmp }),
        AssetNotFoundError,
      );
      assertStringIncludes(err.message, "clothing-dataset-small");
      assertStringIncludes(err.message, "go online");
      assertStringIncludes(err.message, "set BOOK_MIRROR");
      assertStringIncludes(err.message, `https://codeload.github.com/${TREE.repo}/tar.gz/`);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
