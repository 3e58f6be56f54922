import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/asserts.ts";
import { AssetNotFoundError, mirrorDirsFor } from "./assets.ts";
import {
  gitBlobId,
  type GitTree,
  readTreeList,
  resolveGitTree,
  resolveGitTreeCopy,
  type TreeFile,
  TreeVerificationError,
} from "./git_tree.ts";
import { namedTree } from "./registry.ts";
import { readTar } from "./untar.ts";
import { githubArchive } from "./test_archive.ts";

const enc = new TextEncoder();
const CLOTHING = namedTree("clothing-dataset-small");

/** The mirror's clothing folder; tests that need it fail in CI and are ignored elsewhere. */
function clothingMirror(): string | undefined {
  for (const dir of mirrorDirsFor()) {
    const p = path.join(dir, "clothing-dataset-small");
    try {
      if (Deno.statSync(p).isDirectory) return p;
    } catch { /* next */ }
  }
  return undefined;
}
const MIRROR = clothingMirror();
const needsMirror = MIRROR === undefined && !(Deno.env.get("CI") ?? "");

/** A local server for `archive`; honours `Range`; counts requests. */
function serve(archive: () => Uint8Array<ArrayBuffer>) {
  const seen: { ranges: (string | null)[] } = { ranges: [] };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const range = req.headers.get("range");
    seen.ranges.push(range);
    const data = archive();
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      const start = Number(m[1]);
      return new Response(data.subarray(start), {
        status: 206,
        headers: { "content-range": `bytes ${start}-${data.length - 1}/${data.length}` },
      });
    }
    return new Response(data, { headers: { "content-length": String(data.length) } });
  });
  const url = `http://127.0.0.1:${server.addr.port}/archive.tar.gz`;
  return { server, url, seen };
}

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "git-tree-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A subset of the committed clothing list (real blob ids) written as its own list file. */
async function subsetTree(dir: string, n: number): Promise<{ tree: GitTree; files: TreeFile[] }> {
  const all = await readTreeList(CLOTHING);
  const files = all.filter((f) => f.path.startsWith("train/hat/")).slice(0, n);
  const list = path.join(dir, "subset.tsv.gz");
  await Deno.writeFile(
    list,
    gzipSync(enc.encode(files.map((f) => `${f.blob}\t${f.size}\t${f.path}\n`).join(""))),
  );
  return { tree: { ...CLOTHING, name: "clothing-subset", list }, files };
}

async function mirrorBytes(files: TreeFile[]): Promise<[string, Uint8Array][]> {
  return await Promise.all(
    files.map(async (f) => [f.path, await Deno.readFile(path.join(MIRROR!, f.path))] as const),
  ) as [string, Uint8Array][];
}

Deno.test("gitBlobId is git's hash (git hash-object of 'hello\\n')", () => {
  assertEquals(gitBlobId(enc.encode("hello\n")), "ce013625030ba8dba906f756967f9e9ca394464a");
  assertEquals(gitBlobId(new Uint8Array(0)), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
});

Deno.test("the committed lists: 3,781 clothing photos (of 3,783 files), decoded paths", async () => {
  const files = await readTreeList(CLOTHING);
  assertEquals(files.length, 3781);
  assertEquals(files.filter((f) => f.path.endsWith(".jpg")).length, 3781);
  assertEquals((await readTreeList({ ...CLOTHING, include: undefined })).length, 3783);
  const face = await readTreeList(namedTree("face-mask"));
  assertEquals(face.length, 4095);
  assert(face.some((f) => f.path === "with_mask/0_0_≈˙◊¢ 2020-02-23 132115.png"), "C-quoted path");
  assertEquals(face.filter((f) => f.size < 0).map((f) => f.path), ["with_mask/with_mask057.jpg"]);
});

Deno.test("readTar reads pax paths, global headers and GNU long names", async () => {
  const long = `${"d".repeat(90)}/${"f".repeat(40)}.txt`;
  const gz = githubArchive("c0ffee", [["a.txt", enc.encode("A")], [long, enc.encode("BB")]]);
  const globals: Record<string, string>[] = [];
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  const names: string[] = [];
  for await (const m of readTar(stream, (g) => globals.push(g))) names.push(`${m.type}:${m.name}`);
  assertEquals(globals, [{ comment: "c0ffee" }]);
  assertEquals(names, [
    "directory:repo-c0ffee/",
    "file:repo-c0ffee/a.txt",
    `file:repo-c0ffee/${long}`,
  ]);
});

Deno.test({
  name: "resolveGitTree downloads the commit archive, verifies each file, caches, then reuses",
  ignore: needsMirror,
  async fn() {
    await withTmp(async (dir) => {
      const { tree, files } = await subsetTree(dir, 25);
      const archive = githubArchive(tree.commit, await mirrorBytes(files));
      const { server, url, seen } = serve(() => archive);
      try {
        const opts = { cacheDir: path.join(dir, "cache"), mirrorDirs: [], progress: false };
        const out = await resolveGitTree({ ...tree, urls: [url] }, opts);
        assertEquals(out, path.join(dir, "cache", "clothing-subset"));
        for (const f of files) {
          assertEquals(gitBlobId(await Deno.readFile(path.join(out, f.path))), f.blob);
        }
        assertEquals(seen.ranges.length, 1);
        // Second call: the cache, re-verified; no download.
        assertEquals(await resolveGitTree({ ...tree, urls: [url] }, opts), out);
        assertEquals(seen.ranges.length, 1);
        // A damaged cache file is found, moved aside, and the folder fetched again.
        await Deno.writeFile(path.join(out, files[3].path), enc.encode("damaged"));
        const notes: string[] = [];
        await resolveGitTree({ ...tree, urls: [url] }, { ...opts, log: (m) => notes.push(m) });
        assertStringIncludes(notes.join("\n"), files[3].path);
        assertEquals(seen.ranges.length, 2);
      } finally {
        await server.shutdown();
      }
    });
  },
});

Deno.test({
  name: "resolveGitTree: a tampered or missing file in the archive is an error naming it",
  ignore: needsMirror,
  async fn() {
    await withTmp(async (dir) => {
      const { tree, files } = await subsetTree(dir, 6);
      const bytes = await mirrorBytes(files);
      const tampered = bytes.map(([p, d], i): [string, Uint8Array] =>
        i === 2 ? [p, d.map((x, k) => (k === 1000 ? x ^ 1 : x))] : [p, d]
      ).filter((_, i) => i !== 4);
      tampered.push(["train/hat/extra.jpg", enc.encode("not listed")]);
      const archive = githubArchive(tree.commit, tampered);
      const { server, url } = serve(() => archive);
      try {
        const cacheDir = path.join(dir, "cache");
        const err = await assertRejects(
          () =>
            resolveGitTree({ ...tree, urls: [url] }, { cacheDir, mirrorDirs: [], progress: false }),
          TreeVerificationError,
        );
        assertEquals(err.mismatched, [files[2].path]);
        assertEquals(err.missing, [files[4].path]);
        assertEquals(err.unexpected, ["train/hat/extra.jpg"]);
        assertStringIncludes(err.message, files[2].path);
        // Nothing half-verified is left in the cache.
        assertEquals(
          [...Deno.readDirSync(cacheDir)].map((e) => e.name).filter((n) =>
            !n.startsWith("downloads")
          ),
          [],
        );
      } finally {
        await server.shutdown();
      }
    });
  },
});

Deno.test({
  name: "resolveGitTree resumes an interrupted download with a range request",
  ignore: needsMirror,
  async fn() {
    await withTmp(async (dir) => {
      const { tree, files } = await subsetTree(dir, 10);
      const archive = githubArchive(tree.commit, await mirrorBytes(files));
      const partial = path.join(dir, "cache", "downloads", "clothing-subset.tar.gz.partial");
      await Deno.mkdir(path.dirname(partial), { recursive: true });
      await Deno.writeFile(partial, archive.subarray(0, 5000));
      const { server, url, seen } = serve(() => archive);
      try {
        const out = await resolveGitTree({ ...tree, urls: [url] }, {
          cacheDir: path.join(dir, "cache"),
          mirrorDirs: [],
          progress: false,
        });
        assertEquals(seen.ranges, ["bytes=5000-"]);
        assertEquals([...Deno.readDirSync(path.join(out, "train/hat"))].length, 10);
        // A whole archive left by an interrupted extraction is used without a download.
        await Deno.remove(out, { recursive: true });
        await Deno.writeFile(partial.replace(/\.partial$/, ""), archive);
        await resolveGitTree({ ...tree, urls: [url] }, {
          cacheDir: path.join(dir, "cache"),
          mirrorDirs: [],
          progress: false,
        });
        assertEquals(seen.ranges.length, 1);
        assertEquals([...Deno.readDirSync(path.join(out, "train/hat"))].length, 10);
      } finally {
        await server.shutdown();
      }
    });
  },
});

Deno.test("resolveGitTree offline without a mirror: one message naming both ways to get it", async () => {
  await withTmp(async (dir) => {
    const err = await assertRejects(
      () =>
        resolveGitTree(CLOTHING, {
          cacheDir: path.join(dir, "cache"),
          mirrorDirs: [path.join(dir, "no-mirror")],
          offline: true,
        }),
      AssetNotFoundError,
    );
    assertStringIncludes(err.message, "clothing-dataset-small");
    assertStringIncludes(err.message, "go online");
    assertStringIncludes(err.message, "BOOK_MIRROR");
  });
});

Deno.test({
  name: "resolveGitTree checks a mirror copy too, naming a damaged file",
  ignore: needsMirror,
  async fn() {
    await withTmp(async (dir) => {
      const { tree, files } = await subsetTree(dir, 4);
      const mirror = path.join(dir, "mirror");
      for (const [p, d] of await mirrorBytes(files)) {
        await Deno.mkdir(path.join(mirror, "clothing-dataset-small", path.dirname(p)), {
          recursive: true,
        });
        await Deno.writeFile(path.join(mirror, "clothing-dataset-small", p), d);
      }
      const opts = { cacheDir: path.join(dir, "cache"), mirrorDirs: [mirror], offline: true };
      assertEquals(await resolveGitTree(tree, opts), path.join(mirror, "clothing-dataset-small"));
      assertStringIncludes((await resolveGitTreeCopy(tree, opts)).copy, "the commit's own files");
      await Deno.writeFile(
        path.join(mirror, "clothing-dataset-small", files[1].path),
        enc.encode("x"),
      );
      const err = await assertRejects(() => resolveGitTree(tree, opts), TreeVerificationError);
      assertEquals(err.mismatched, [files[1].path]);
    });
  },
});
