import * as path from "node:path";
import { assert, assertEquals } from "../testing/asserts.ts";
import { downloadUrls, LEDGER_FILE, readLedger, readUrlLists } from "./acquire.ts";
import { DEFAULT_DOWNLOAD } from "./config.ts";
import {
  CLOTHING,
  clothingPhotos,
  startImageServer,
  syntheticPhoto,
  writeTree,
} from "./test_helpers.ts";

/** Real photos from the mirror when it is here, generated ones otherwise. */
async function photos(n: number): Promise<Uint8Array[]> {
  if (CLOTHING) return await Promise.all(clothingPhotos("hat", n).map((f) => Deno.readFile(f)));
  return await Promise.all(Array.from({ length: n }, (_, i) => syntheticPhoto(100 + i, 200, 260)));
}

const settings = {
  ...DEFAULT_DOWNLOAD,
  concurrency: 4,
  // Long enough that a loaded CI machine serves the good files in time (at 400 ms one timed out
  // and was fetched twice); only /slow.jpg, whose body never comes, must hit it.
  timeoutMs: 2000,
  retries: 1,
  backoffMs: 5,
  maxBytes: 1_000_000,
  maxRedirects: 3,
};

Deno.test("readUrlLists: one list per class, comments, bad lines and duplicates", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const enc = (s: string) => new TextEncoder().encode(s);
    await writeTree(tmp, {
      "hat.txt": enc(
        "# exported 2024\nhttps://a.test/1.jpg\n\n  https://a.test/2.jpg  \r\nftp://a.test/3.jpg\n" +
          "not a url\nhttps://a.test/1.jpg\n",
      ),
    });
    const { entries, problems } = await readUrlLists(tmp, ["hat", "shoes"]);
    assertEquals(entries.map((e) => [e.label, e.url, e.line]), [
      ["hat", "https://a.test/1.jpg", 2],
      ["hat", "https://a.test/2.jpg", 4],
    ]);
    assertEquals(problems.map((p) => [path.basename(p.listFile), p.line, p.reason]), [
      ["hat.txt", 5, "not an http(s) URL"],
      ["hat.txt", 6, "not an http(s) URL"],
      ["hat.txt", 7, "duplicate of line 2 (fetched once)"],
      ["shoes.txt", 0, "no URL list for this class"],
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("downloadUrls against a broken local server: checks, retries, redirects, resume", async () => {
  const imgs = await photos(3);
  const server = startImageServer(imgs);
  const tmp = await Deno.makeTempDir();
  try {
    const u = (p: string) => server.base + p;
    const urls = [
      u("/img/0.jpg"),
      u("/img/1.jpg"),
      u("/img/0.jpg"), // duplicate: fetched once
      u("/octet/2"),
      u("/404"),
      u("/slow.jpg"),
      u("/html.jpg"),
      u("/fake.jpg"),
      u("/truncated.jpg"),
      u("/huge.jpg"),
      u("/stream-huge.jpg"),
      u("/redirect/2/1"),
      u("/redirect/5/1"),
      u("/loop"),
      u("/flaky.jpg"),
      "http://127.0.0.1:9/refused.jpg",
    ];
    const first = await downloadUrls(urls, tmp, settings);
    const rec = (p: string) => first.records.get(p.startsWith("http") ? p : u(p))!;
    assertEquals(first.records.size, 15);
    assertEquals(server.hits.get("/img/0.jpg"), 1);
    for (const p of ["/img/0.jpg", "/img/1.jpg", "/octet/2", "/truncated.jpg", "/flaky.jpg"]) {
      assertEquals(rec(p).status, "ok", `${p}: ${rec(p).reason}`);
    }
    assertEquals(
      await Deno.readFile(path.join(tmp, rec("/img/1.jpg").file!)),
      imgs[1],
    );
    assertEquals(rec("/flaky.jpg").attempts, 2);
    assertEquals(rec("/redirect/2/1").status, "ok");
    assertEquals(rec("/redirect/2/1").finalUrl, u("/img/1.jpg"));
    assertEquals(rec("/redirect/2/1").sha256, rec("/img/1.jpg").sha256);
    const failures: [string, string, boolean][] = [
      ["/404", "HTTP 404", true],
      ["/slow.jpg", "timed out after 2000 ms", false],
      ["/html.jpg", "content-type text/html is not an image", true],
      ["/fake.jpg", "not an image (html)", true],
      ["/huge.jpg", "too large: 3000000 bytes", true],
      ["/stream-huge.jpg", "too large: over 1000000 bytes", true],
      ["/redirect/5/1", "more than 3 redirects", true],
      ["/loop", "more than 3 redirects", true],
      ["http://127.0.0.1:9/refused.jpg", "", false],
    ];
    for (const [p, reason, permanent] of failures) {
      const r = rec(p);
      assertEquals(r.status, "failed", p);
      assert(r.reason!.includes(reason), `${p}: ${r.reason}`);
      assertEquals(r.permanent, permanent, `${p} permanent`);
    }
    assertEquals(rec("/slow.jpg").attempts, 2); // retried once
    assertEquals(rec("/404").attempts, 1); // not retried
    assertEquals([first.fetched, first.reused, first.failed], [15, 0, 9]);

    // The ledger is on disk; a second run re-fetches only the transient failures.
    const ledger = await readLedger(tmp);
    assertEquals(ledger.size, 15);
    const before = new Map(server.hits);
    const second = await downloadUrls(urls, tmp, settings);
    assertEquals([second.fetched, second.reused, second.failed], [2, 13, 9]);
    assertEquals(server.hits.get("/img/0.jpg"), before.get("/img/0.jpg"));
    assertEquals(server.hits.get("/404"), before.get("/404"));
    // A damaged file is fetched again; retryFailed retries permanent failures too.
    await Deno.writeFile(path.join(tmp, rec("/img/1.jpg").file!), new Uint8Array([1, 2, 3]));
    const third = await downloadUrls([u("/img/1.jpg"), u("/404")], tmp, {
      ...settings,
      retryFailed: true,
    });
    assertEquals([third.fetched, third.reused], [2, 0]);
    assertEquals(await Deno.readFile(path.join(tmp, rec("/img/1.jpg").file!)), imgs[1]);
    assert((await Deno.readTextFile(path.join(tmp, LEDGER_FILE))).includes('"format"'));
    assertEquals(
      [...Deno.readDirSync(tmp)].filter((e) => e.name.includes(".tmp-")).length,
      0,
      "no temporary files left",
    );
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("downloadUrls stops on abort and still saves the ledger", async () => {
  const imgs = await photos(1);
  const server = startImageServer(imgs);
  const tmp = await Deno.makeTempDir();
  try {
    const controller = new AbortController();
    const urls = Array.from({ length: 6 }, (_, i) => `${server.base}/img/0.jpg?${i}`);
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      if (++calls === 2) controller.abort(new Error("stop"));
      return fetch(input, init);
    };
    let error: Error | undefined;
    try {
      await downloadUrls(urls, tmp, { ...settings, concurrency: 1 }, {
        signal: controller.signal,
        fetch: counting,
      });
    } catch (e) {
      error = e as Error;
    }
    assertEquals(error?.message, "stop");
    const ledger = await readLedger(tmp);
    assert(ledger.size >= 1 && ledger.size < 6, `ledger has ${ledger.size} entries`);
    const resumed = await downloadUrls(urls, tmp, settings);
    assertEquals(resumed.reused, ledger.size);
    assertEquals(resumed.fetched + resumed.reused, 6);
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
