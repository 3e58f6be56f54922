/**
 * The builder against a torture set generated here: each defect found by hand (issue 10 §4) has
 * a test that fails without its fix.
 */
import * as path from "node:path";
import sharp from "sharp";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../testing/asserts.ts";
import { buildDataset } from "./build.ts";
import { interruptHandler } from "./cli.ts";
import { type DatasetConfig, resolveConfig } from "./config.ts";
import { ImageRejectedError, processImage } from "./image.ts";
import { startImageServer, syntheticPhoto, writeTree } from "./test_helpers.ts";

const OPTS = { size: 32, fit: "crop" as const, minSize: 32 };

/** A 400×300 noisy JPEG (a real scan to damage). */
async function noisyJpeg(): Promise<Uint8Array> {
  const b = await sharp({
    create: {
      width: 400,
      height: 300,
      channels: 3,
      background: "#000000",
      noise: { type: "gaussian", mean: 128, sigma: 60 },
    },
  }).jpeg({ quality: 90 }).toBuffer();
  return new Uint8Array(b);
}

/** The first half of the file with the end-of-image marker put back. */
function truncatedWithEnd(jpg: Uint8Array): Uint8Array {
  return new Uint8Array([...jpg.subarray(0, jpg.length >> 1), 0xff, 0xd9]);
}

/** 2 KB of garbage written over the middle of the scan. */
function garbageInScan(jpg: Uint8Array): Uint8Array {
  const out = jpg.slice();
  for (let i = 0; i < 2048; i++) out[(jpg.length >> 1) + i] = (i * 97 + 13) & 0xff;
  return out;
}

/** A 64×64 JPEG whose frame header claims `side × side`. */
async function lyingHeader(side: number): Promise<Uint8Array> {
  const jpg = new Uint8Array(
    await sharp({ create: { width: 64, height: 64, channels: 3, background: "#808080" } })
      .jpeg().toBuffer(),
  );
  for (let i = 2; i < jpg.length - 9; i++) {
    if (jpg[i] === 0xff && (jpg[i + 1] === 0xc0 || jpg[i + 1] === 0xc2)) {
      jpg.set([side >> 8, side & 255, side >> 8, side & 255], i + 5);
      return jpg;
    }
  }
  throw new Error("no SOF marker");
}

async function rejection(bytes: Uint8Array, extra = {}): Promise<string> {
  const e = await assertRejects(
    () => processImage(bytes, { ...OPTS, ...extra }),
    ImageRejectedError,
  );
  return e.reason;
}

Deno.test("defect 1: corrupt JPEGs that libjpeg decodes with only a warning are rejected", async () => {
  const jpg = await noisyJpeg();
  await processImage(jpg, OPTS); // the undamaged original is fine
  assertEquals(
    await rejection(truncatedWithEnd(jpg)),
    "corrupt jpeg (damaged or missing data: decoder warnings)",
  );
  assertEquals(
    await rejection(garbageInScan(jpg)),
    "corrupt jpeg (damaged or missing data: decoder warnings)",
  );
  // Under the pixel cap, a header claiming 3000² over 64² of data is corrupt too.
  assertStringIncludes(await rejection(await lyingHeader(3000)), "corrupt jpeg");
});

Deno.test("defects 2 and 3: the pixel cap applies from the header, before decoding, with its true reason", async () => {
  const liar = await lyingHeader(16000);
  const rss0 = Deno.memoryUsage().rss;
  const t0 = performance.now();
  assertEquals(
    await rejection(liar),
    "too many pixels: 16000x16000 (limit 40000000 pixels)",
  );
  assert(performance.now() - t0 < 1000, "rejected without decoding");
  assert(Deno.memoryUsage().rss - rss0 < 100e6, "no 16000² buffer was allocated");
  // A real, valid PNG over a configured cap: the reason says so (not "corrupt png").
  const png = await syntheticPhoto(3, 400, 300, "png");
  assertEquals(
    await rejection(png, { maxPixels: 100_000 }),
    "too many pixels: 400x300 (limit 100000 pixels)",
  );
  await processImage(png, { ...OPTS, maxPixels: 120_000 });
});

const base = (root: string, out: string, extra: Partial<DatasetConfig> = {}): DatasetConfig => ({
  name: "torture",
  classes: ["good", "bad"],
  sources: [{ kind: "folder", root }],
  imageSize: 16,
  split: { train: 0.5, val: 0.25, test: 0.25, seed: 1 },
  nearDuplicateDistance: -1,
  maxPixels: 150_000,
  outDir: out,
  ...extra,
});

Deno.test("the torture set through the builder: every bad file dropped, with its true reason", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "torture-" });
  try {
    const jpg = await noisyJpeg();
    const truncated = jpg.slice(0, jpg.length >> 1);
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 8; i++) {
      files[`good/${i}.jpg`] = await syntheticPhoto(10 + i);
      files[`bad/${i}.jpg`] = await syntheticPhoto(30 + i);
    }
    Object.assign(files, {
      "bad/a-truncated.jpg": truncated, // the first of two identical bad files…
      "bad/b-truncated-copy.jpg": truncated, // …whose copy must not be "duplicate of" it
      "bad/trunc-ffd9.jpg": truncatedWithEnd(jpg),
      "bad/garbage.jpg": garbageInScan(jpg),
      "bad/liar.jpg": await lyingHeader(16000),
      "bad/big.png": await syntheticPhoto(50, 500, 400, "png"),
      "bad/.hidden.jpg": await syntheticPhoto(51),
      "bad/.thumbs/x.jpg": await syntheticPhoto(52),
    });
    const src = path.join(tmp, "src");
    await writeTree(src, files);
    await Deno.symlink(path.join(src, "good", "0.jpg"), path.join(src, "bad", "link.jpg"));
    const r = await buildDataset(base(src, path.join(tmp, "out")));
    const reasons = Object.fromEntries(r.report.dropped.map((d) => [d.source, d.reason]));
    assertEquals(reasons, {
      "bad/.hidden.jpg": "hidden file (name starts with .)",
      "bad/.thumbs": "hidden folder (not read)",
      "bad/a-truncated.jpg": "truncated jpeg (no end-of-image marker)",
      "bad/b-truncated-copy.jpg":
        "truncated jpeg (no end-of-image marker) (identical file to bad/a-truncated.jpg)",
      "bad/big.png": "too many pixels: 500x400 (limit 150000 pixels)",
      "bad/garbage.jpg": "corrupt jpeg (damaged or missing data: decoder warnings)",
      "bad/liar.jpg": "too many pixels: 16000x16000 (limit 150000 pixels)",
      "bad/link.jpg": "symbolic link (not followed)",
      "bad/trunc-ffd9.jpg": "corrupt jpeg (damaged or missing data: decoder warnings)",
    });
    assertEquals(r.report.counts.published, 16);
    // No drop points at a file that was itself dropped.
    const droppedSources = new Set(Object.keys(reasons));
    for (const reason of Object.values(reasons)) {
      const m = /duplicate .* of (.+)$/.exec(reason);
      assert(m === null || !droppedSources.has(m[1]), reason);
    }
    const set = r.report.exactDuplicates.find((s) => s.by === "file")!;
    assertEquals(set.kept, undefined);
    assertEquals(set.droppedBecause, "truncated jpeg (no end-of-image marker)");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("defect 4: a failed build still writes its report, and its error names it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "torture-" });
  try {
    const jpg = await noisyJpeg();
    const files: Record<string, Uint8Array> = { "bad/x.jpg": garbageInScan(jpg) };
    for (let i = 0; i < 4; i++) files[`good/${i}.jpg`] = await syntheticPhoto(60 + i);
    await writeTree(path.join(tmp, "src"), files);
    const out = path.join(tmp, "out");
    const err = await assertRejects(() => buildDataset(base(path.join(tmp, "src"), out)));
    const file = path.join(out, "torture-v1.failed-build-report.json");
    assertStringIncludes((err as Error).message, 'class "bad" has no usable images');
    assertStringIncludes((err as Error).message, file);
    const report = JSON.parse(await Deno.readTextFile(file));
    assertEquals(report.failed, true);
    assertEquals(report.counts.candidates, 5);
    assertEquals(report.dropped, [{
      source: "bad/x.jpg",
      label: "bad",
      reason: "corrupt jpeg (damaged or missing data: decoder warnings)",
    }]);
    // Fixed sources: the next build publishes and removes the stale failure report.
    await Deno.writeFile(path.join(tmp, "src", "bad", "x.jpg"), await syntheticPhoto(70));
    await Deno.writeFile(path.join(tmp, "src", "bad", "y.jpg"), await syntheticPhoto(71));
    await buildDataset(base(path.join(tmp, "src"), out));
    assertEquals(
      [...Deno.readDirSync(out)].map((e) => e.name).sort(),
      ["torture-v1", "torture-v1.tar.gz"],
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("defect 6: class names are checked before any work", async () => {
  const cfg = (classes: string[]) => base("/nonexistent", "/nonexistent-out", { classes });
  const long = "a".repeat(100);
  assertThrows(() => resolveConfig(cfg(["ok", long])), Error, "100 characters (at most 64)");
  assertThrows(() => resolveConfig(cfg(["Hat", "hat"])), Error, "differ only in case");
  assertThrows(() => resolveConfig(cfg(["trailing "])), Error, "bad class name");
  assertThrows(
    () => resolveConfig({ ...cfg(["ok"]), name: "n".repeat(60) }),
    Error,
    "too long together",
  );
  // The longest allowed names still fit the archive's ustar headers.
  resolveConfig({ ...cfg(["b".repeat(64)]), name: "n".repeat(57) });
  // buildDataset fails on it at once: no folder is made, no source is read.
  await assertRejects(() => buildDataset(cfg(["ok", long])), Error, "at most 64");
});

Deno.test("defect 5: an abort stops a hanging download and a decode at once", async () => {
  const server = startImageServer([await syntheticPhoto(1)]);
  const tmp = await Deno.makeTempDir({ prefix: "torture-" });
  try {
    const lists = path.join(tmp, "lists");
    await writeTree(lists, {
      "good.txt": new TextEncoder().encode(`${server.base}/slow.jpg\n`),
      "bad.txt": new TextEncoder().encode(`${server.base}/img/0.jpg\n`),
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("interrupted")), 300);
    const t0 = performance.now();
    await assertRejects(
      () =>
        buildDataset(
          base(lists, path.join(tmp, "out"), {
            sources: [{ kind: "urls", dir: lists }],
            downloadDir: path.join(tmp, "dl"),
            download: { timeoutMs: 20_000, retries: 0 },
          }),
          { signal: controller.signal },
        ),
      Error,
      "interrupted",
    );
    const seconds = (performance.now() - t0) / 1000;
    assert(seconds < 3, `stopped after ${seconds.toFixed(1)} s, not the 20 s timeout`);
    // A decode in flight: the promise rejects as soon as the signal fires.
    const big = await noisyJpeg();
    const decode = new AbortController();
    const pending = processImage(big, { ...OPTS, signal: decode.signal });
    decode.abort(new Error("interrupted"));
    await assertRejects(() => pending, Error, "interrupted");
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("defect 5: the first Ctrl-C aborts, the second exits at once", () => {
  const controller = new AbortController();
  const exits: number[] = [];
  const lines: string[] = [];
  const handler = interruptHandler(controller, (c) => exits.push(c), (l) => lines.push(l));
  handler();
  assert(controller.signal.aborted);
  assertEquals(exits, []);
  handler();
  assertEquals(exits, [130]);
  assertStringIncludes(lines.join(""), "again");
});

Deno.test("defect 5: Ctrl-C during a hanging download ends the CLI at once (exit 130), nothing published", async () => {
  const server = startImageServer([await syntheticPhoto(1)]);
  const tmp = await Deno.makeTempDir({ prefix: "torture-cli-" });
  try {
    const lists = path.join(tmp, "lists");
    await writeTree(lists, {
      "good.txt": new TextEncoder().encode(`${server.base}/slow.jpg\n`),
      "bad.txt": new TextEncoder().encode(`${server.base}/slow.jpg?b\n`),
    });
    const cfg = path.join(tmp, "cfg.json");
    await Deno.writeTextFile(
      cfg,
      JSON.stringify(base(lists, path.join(tmp, "out"), {
        sources: [{ kind: "urls", dir: lists }],
        downloadDir: path.join(tmp, "dl"),
        download: { timeoutMs: 60_000, retries: 0 },
      })),
    );
    const cli = new URL("./cli.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "build", cfg],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("downloading")) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value;
    }
    assertStringIncludes(seen, "downloading");
    await new Promise((r) => setTimeout(r, 300)); // the requests are in flight
    const t0 = performance.now();
    child.kill("SIGINT");
    const [status] = await Promise.all([child.status, reader.cancel(), child.stderr.cancel()]);
    const seconds = (performance.now() - t0) / 1000;
    assertEquals(status.code, 130);
    assert(seconds < 3, `exited ${seconds.toFixed(1)} s after Ctrl-C`);
    assertEquals([...Deno.readDirSync(path.join(tmp, "out"))], []);
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
