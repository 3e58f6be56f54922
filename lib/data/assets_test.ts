import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/asserts.ts";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import {
  type Asset,
  AssetNotFoundError,
  cacheDirFor,
  ChecksumError,
  mirrorDirsFor,
  resolveAsset,
  type ResolveOptions,
  sha256File,
  sha256Hex,
  verifyChecksums,
} from "./assets.ts";

const CONTENT = new TextEncoder().encode(
  "the quick brown fox jumps over the lazy dog\n".repeat(50),
);
const OTHER = new TextEncoder().encode("something else entirely\n");

/** A fresh temp folder with `cache/` and `mirror/`, removed after `fn`. */
async function withDirs(
  fn: (dirs: { root: string; cache: string; mirror: string }) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "book-assets-" });
  const dirs = { root, cache: path.join(root, "cache"), mirror: path.join(root, "mirror") };
  await Deno.mkdir(dirs.cache);
  await Deno.mkdir(dirs.mirror);
  try {
    await fn(dirs);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function write(file: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(path.dirname(file), { recursive: true });
  await Deno.writeFile(file, bytes);
}

function asset(extra: Partial<Asset> = {}): Asset {
  return { name: "set/file.txt", sha256: sha256Hex(CONTENT), urls: [], ...extra };
}

/** Options that only look where the test says, and collect notes instead of printing them. */
function opts(
  dirs: { cache: string; mirror: string },
  notes: string[],
  extra: ResolveOptions = {},
): ResolveOptions {
  return {
    cacheDir: dirs.cache,
    mirrorDirs: [dirs.mirror],
    offline: true,
    progress: false,
    log: (m) => notes.push(m),
    ...extra,
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      for (const f of await listFiles(path.join(dir, e.name))) out.push(`${e.name}/${f}`);
    } else out.push(e.name);
  }
  return out.sort();
}

Deno.test("sha256Hex hashes bytes and strings (as UTF-8) to known digests", () => {
  const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assertEquals(sha256Hex("abc"), abc);
  assertEquals(sha256Hex(new TextEncoder().encode("abc")), abc);
  assertEquals(sha256Hex("é"), sha256Hex(new Uint8Array([0xc3, 0xa9])));
  assertEquals(
    sha256Hex(new Uint8Array(0)),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("sha256File streams a known digest", async () => {
  await withDirs(async ({ root }) => {
    const file = path.join(root, "abc");
    await Deno.writeTextFile(file, "abc");
    assertEquals(
      await sha256File(file),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    const big = new Uint8Array(3 * (1 << 20) + 17).map((_, i) => i * 7);
    await Deno.writeFile(file, big);
    assertEquals(await sha256File(file), sha256Hex(big));
  });
});

Deno.test("resolveAsset: a verified cache hit is returned as is", async () => {
  await withDirs(async (dirs) => {
    const cached = path.join(dirs.cache, "set", "file.txt");
    await write(cached, CONTENT);
    const notes: string[] = [];
    assertEquals(await resolveAsset(asset(), opts(dirs, notes)), cached);
    assertEquals(notes, []);
  });
});

Deno.test("resolveAsset: a mirror hit is verified and copied into the cache", async () => {
  await withDirs(async (dirs) => {
    await write(path.join(dirs.mirror, "elsewhere", "f.txt"), CONTENT);
    const notes: string[] = [];
    const got = await resolveAsset(
      asset({ mirrorPaths: ["missing.txt", "elsewhere/f.txt"] }),
      opts(dirs, notes),
    );
    assertEquals(got, path.join(dirs.cache, "set", "file.txt"));
    assertEquals(await Deno.readFile(got), CONTENT);
    assertEquals(await listFiles(dirs.cache), ["set/file.txt"]); // no temporary files left
    // Without mirrorPaths the mirror is searched under the asset's name.
    await Deno.remove(got);
    await write(path.join(dirs.mirror, "set", "file.txt"), CONTENT);
    assertEquals(await resolveAsset(asset(), opts(dirs, notes)), got);
    assertEquals(notes, []);
  });
});

Deno.test("resolveAsset: localFiles are tried after the mirrors", async () => {
  await withDirs(async (dirs) => {
    const local = path.join(dirs.root, "pkg", "data", "file.txt");
    await write(local, CONTENT);
    const got = await resolveAsset(asset({ localFiles: [local] }), opts(dirs, []));
    assertEquals(await Deno.readFile(got), CONTENT);
  });
});

Deno.test("resolveAsset: a corrupt cache file is moved aside, noted and re-resolved", async () => {
  await withDirs(async (dirs) => {
    const cached = path.join(dirs.cache, "set", "file.txt");
    await write(cached, OTHER);
    await write(path.join(dirs.mirror, "set", "file.txt"), CONTENT);
    const notes: string[] = [];
    assertEquals(await resolveAsset(asset(), opts(dirs, notes)), cached);
    assertEquals(await Deno.readFile(cached), CONTENT);
    assertEquals(await Deno.readFile(`${cached}.corrupt`), OTHER);
    assertEquals(notes.length, 1);
    assertStringIncludes(notes[0], cached);
    assertStringIncludes(notes[0], sha256Hex(OTHER));
    assertStringIncludes(notes[0], sha256Hex(CONTENT));
  });
});

Deno.test("resolveAsset: a mirror checksum mismatch names the file and both hashes", async () => {
  await withDirs(async (dirs) => {
    const bad = path.join(dirs.mirror, "set", "file.txt");
    await write(bad, OTHER);
    const err = await assertRejects(
      () => resolveAsset(asset(), opts(dirs, [])),
      ChecksumError,
    );
    assertEquals(err.file, bad);
    assertEquals(
      err.message,
      `SHA-256 mismatch for ${bad}: expected ${sha256Hex(CONTENT)}, actual ${sha256Hex(OTHER)}`,
    );
    assertEquals(await listFiles(dirs.cache), []);
  });
});

Deno.test("resolveAsset: nothing found lists every place tried", async () => {
  await withDirs(async (dirs) => {
    const local = path.join(dirs.root, "nowhere.txt");
    const a = asset({
      mirrorPaths: ["a/file.txt", "b/file.txt"],
      localFiles: [local],
      urls: ["https://example.invalid/file.txt"],
    });
    const err = await assertRejects(() => resolveAsset(a, opts(dirs, [])), AssetNotFoundError);
    assertEquals(err.tried, [
      `${path.join(dirs.cache, "set", "file.txt")} (not in cache)`,
      `${path.join(dirs.mirror, "a", "file.txt")} (not found)`,
      `${path.join(dirs.mirror, "b", "file.txt")} (not found)`,
      `${local} (not found)`,
      "https://example.invalid/file.txt (skipped: offline)",
    ]);
    assertStringIncludes(err.message, 'could not resolve data file "set/file.txt"');
    for (const t of err.tried) assertStringIncludes(err.message, t);
  });
});

Deno.test("resolveAsset: bad asset descriptions are rejected by field", async () => {
  await withDirs(async (dirs) => {
    const o = opts(dirs, []);
    await assertRejects(() => resolveAsset(asset({ sha256: "abc" }), o), Error, "sha256");
    await assertRejects(() => resolveAsset(asset({ name: "../x" }), o), Error, "name");
    await assertRejects(() => resolveAsset(asset({ name: "/etc/x" }), o), Error, "name");
    await assertRejects(
      () => resolveAsset(asset({ mirrorPaths: ["../../x"] }), o),
      Error,
      "mirrorPaths",
    );
    await assertRejects(() => resolveAsset(asset({ urls: ["ftp://x/y"] }), o), Error, "url");
  });
});

Deno.test("resolveAsset: BOOK_CACHE and BOOK_MIRROR are honoured", async () => {
  await withDirs(async (dirs) => {
    const saved = {
      cache: Deno.env.get("BOOK_CACHE"),
      mirror: Deno.env.get("BOOK_MIRROR"),
    };
    try {
      const other = path.join(dirs.root, "mirror2");
      Deno.env.set("BOOK_CACHE", dirs.cache);
      Deno.env.set("BOOK_MIRROR", [other, dirs.mirror].join(path.delimiter));
      assertEquals(cacheDirFor(), dirs.cache);
      assertEquals(mirrorDirsFor(), [other, dirs.mirror]);
      await write(path.join(dirs.mirror, "set", "file.txt"), CONTENT);
      const got = await resolveAsset(asset(), { offline: true, log: () => {} });
      assertEquals(got, path.join(dirs.cache, "set", "file.txt"));
      // Options win over the environment.
      assertEquals(cacheDirFor({ cacheDir: dirs.root }), dirs.root);
      assertEquals(mirrorDirsFor({ mirrorDirs: [] }), []);
    } finally {
      for (const [k, v] of [["BOOK_CACHE", saved.cache], ["BOOK_MIRROR", saved.mirror]]) {
        if (v === undefined) Deno.env.delete(k!);
        else Deno.env.set(k!, v);
      }
    }
  });
});

/** A local HTTP server for the download tests. */
async function withServer(fn: (base: string) => Promise<void>): Promise<void> {
  const routes: Record<string, Uint8Array<ArrayBuffer>> = {
    "/good.gz": new Uint8Array(gzipSync(CONTENT)),
    "/wrong.gz": new Uint8Array(gzipSync(OTHER)),
    "/notgzip": CONTENT,
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const { pathname } = new URL(req.url);
      if (pathname === "/stall") {
        // Headers, one chunk, then silence until the client gives up.
        return new Response(
          new ReadableStream<Uint8Array>({
            start(ctl) {
              ctl.enqueue(routes["/good.gz"].slice(0, 10));
            },
          }),
        );
      }
      const body = routes[pathname];
      return body ? new Response(body) : new Response("no such file", { status: 404 });
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("resolveAsset: downloads, gunzips and caches; a 404 falls through to the next URL", async () => {
  await withServer(async (base) => {
    await withDirs(async (dirs) => {
      const notes: string[] = [];
      const a = asset({ urls: [`${base}/missing.gz`, `${base}/good.gz`], gunzip: true });
      const got = await resolveAsset(a, opts(dirs, notes, { offline: false }));
      assertEquals(got, path.join(dirs.cache, "set", "file.txt"));
      assertEquals(await Deno.readFile(got), CONTENT);
      assertEquals(await listFiles(dirs.cache), ["set/file.txt"]);
      assertEquals(notes.length, 1);
      assertStringIncludes(notes[0], `${base}/missing.gz`);
      assertStringIncludes(notes[0], "HTTP 404");
      // Second call: a cache hit, no download.
      assertEquals(await resolveAsset(asset({ urls: [] }), opts(dirs, notes)), got);
    });
  });
});

Deno.test("resolveAsset: a download with the wrong hash is an error and leaves no file", async () => {
  await withServer(async (base) => {
    await withDirs(async (dirs) => {
      const a = asset({ urls: [`${base}/wrong.gz`, `${base}/good.gz`], gunzip: true });
      const err = await assertRejects(
        () => resolveAsset(a, opts(dirs, [], { offline: false })),
        ChecksumError,
      );
      assertEquals(err.file, `${base}/wrong.gz`);
      assertEquals(err.expected, sha256Hex(CONTENT));
      assertEquals(err.actual, sha256Hex(OTHER));
      assertStringIncludes(err.message, `${base}/wrong.gz`);
      assertEquals(await listFiles(dirs.cache), []);
    });
  });
});

Deno.test("resolveAsset: failed downloads (404, not gzip, stalled) are all listed", async () => {
  await withServer(async (base) => {
    await withDirs(async (dirs) => {
      const a = asset({
        urls: [`${base}/missing.gz`, `${base}/notgzip`, `${base}/stall`],
        gunzip: true,
      });
      const notes: string[] = [];
      const err = await assertRejects(
        () => resolveAsset(a, opts(dirs, notes, { offline: false, timeoutMs: 300 })),
        AssetNotFoundError,
      );
      assertEquals(err.tried.length, 5);
      assertStringIncludes(err.tried[2], "HTTP 404");
      assert(err.tried[3].startsWith(`${base}/notgzip (`), err.tried[3]);
      assertStringIncludes(err.tried[4], "timed out");
      assertEquals(notes.length, 3);
      assertEquals(await listFiles(dirs.cache), []);
    });
  });
});

Deno.test("resolveAsset: an unreachable host is reported, not thrown", async () => {
  await withDirs(async (dirs) => {
    // A port that was just free: connections to it are refused.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const url = `http://127.0.0.1:${port}/file.gz`;
    const err = await assertRejects(
      () => resolveAsset(asset({ urls: [url] }), opts(dirs, [], { offline: false })),
      AssetNotFoundError,
    );
    assert(err.tried[2].startsWith(`${url} (`), err.tried[2]);
    assertStringIncludes(err.message, url);
  });
});

Deno.test("verifyChecksums reports matches, missing and mismatched files", async () => {
  await withDirs(async ({ root }) => {
    await write(path.join(root, "a.txt"), CONTENT);
    await write(path.join(root, "sub", "b.bin"), OTHER);
    await Deno.writeTextFile(
      path.join(root, "SHA256SUMS"),
      [
        `${sha256Hex(CONTENT)}  ./a.txt`,
        `# a comment`,
        ``,
        `${sha256Hex(OTHER).toUpperCase()} *sub/b.bin`,
        `${sha256Hex(CONTENT)}  sub/b.bin`,
        `${sha256Hex(CONTENT)}  gone.txt`,
      ].join("\n") + "\n",
    );
    const report = await verifyChecksums(root, "SHA256SUMS");
    assertEquals(report, {
      ok: false,
      checked: 4,
      matched: ["./a.txt", "sub/b.bin"],
      missing: ["gone.txt"],
      mismatched: [{ path: "sub/b.bin", expected: sha256Hex(CONTENT), actual: sha256Hex(OTHER) }],
    });
    await Deno.writeTextFile(path.join(root, "GOOD"), `${sha256Hex(CONTENT)}  a.txt\n`);
    assertEquals((await verifyChecksums(root, path.join(root, "GOOD"))).ok, true);
  });
});

Deno.test("verifyChecksums rejects malformed lines and paths outside the folder", async () => {
  await withDirs(async ({ root }) => {
    const sums = path.join(root, "SUMS");
    await Deno.writeTextFile(sums, `${sha256Hex(CONTENT)}  a.txt\nnot a line\n`);
    await assertRejects(() => verifyChecksums(root, sums), Error, `${sums}:2`);
    await Deno.writeTextFile(sums, `${sha256Hex(CONTENT)}  ../escape.txt\n`);
    await assertRejects(() => verifyChecksums(root, sums), Error, "outside");
    await assertRejects(() => verifyChecksums(root, "NOPE"), Error, "NOPE");
  });
});
