import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import {
  dHashFromGrey9x8,
  dHashHex,
  groupNearDuplicates,
  hammingDistance,
  parseDHash,
  thumbnailDifference,
} from "./dhash.ts";
import { formatManifest, parseCsv, parseManifest } from "./manifest.ts";
import { mapPool } from "./pool.ts";
import { formatFromExtension, sniffFormat } from "./sniff.ts";
import { type SplitItem, stratifiedGroupSplit } from "./split.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("sniffFormat reads magic bytes, not names", () => {
  assertEquals(sniffFormat(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0)), "jpeg");
  assertEquals(sniffFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0)), "png");
  assertEquals(sniffFormat(text("RIFF\0\0\0\0WEBPVP8 ")), "webp");
  assertEquals(sniffFormat(text("GIF89a....")), "gif");
  assertEquals(sniffFormat(bytes(0x49, 0x49, 0x2a, 0x00, 8, 0)), "tiff");
  assertEquals(sniffFormat(text("\0\0\0\x1cftypavif\0\0")), "avif");
  assertEquals(sniffFormat(text("\0\0\0\x1cftypheic\0\0")), "heic");
  assertEquals(sniffFormat(text("\n  <!DOCTYPE html><html>")), "html");
  assertEquals(sniffFormat(text("<HTML><HEAD>")), "html");
  assertEquals(sniffFormat(text('<?xml version="1.0"?><svg>')), "svg");
  assertEquals(sniffFormat(text('{"error": 1}')), "json");
  assertEquals(sniffFormat(text("BM\0\0\0\0\0\0\0\0\0\0\0\0")), "bmp");
  assertEquals(sniffFormat(new Uint8Array(0)), "empty");
  assertEquals(sniffFormat(bytes(1, 2, 3)), "unknown");
  assertEquals(formatFromExtension("a/b/IMG.JPEG"), "jpeg");
  assertEquals(formatFromExtension("x.png"), "png");
  assertEquals(formatFromExtension("x.jpg_1088Wx1632H"), undefined);
});

Deno.test("dHash: bits, hex round trip, Hamming distance", () => {
  const grey = new Uint8Array(72);
  for (let r = 0; r < 8; r++) for (let c = 0; c < 9; c++) grey[r * 9 + c] = 200 - c * 10;
  const h = dHashFromGrey9x8(grey); // every pixel brighter than its right neighbour
  assertEquals(dHashHex(h), "ffffffffffffffff");
  assertEquals(parseDHash(dHashHex(h)), h);
  const zero = { hi: 0, lo: 0 };
  assertEquals(hammingDistance(h, zero), 64);
  assertEquals(hammingDistance({ hi: 0b1011, lo: 1 << 31 }, zero), 4);
  assertThrows(() => dHashFromGrey9x8(new Uint8Array(64)), Error, "72");
});

Deno.test("groupNearDuplicates joins transitively and leaves the rest alone", () => {
  const h = (hi: number, lo = 0) => ({ hi, lo });
  // 0 ~ 1 (2 bits), 1 ~ 2 (2 bits), 0 and 2 differ by 4; 3 is far from everything.
  const hashes = [h(0), h(0b11), h(0b1111), h(0xffff0000), h(0, 0xff)];
  const g = groupNearDuplicates(hashes, 2);
  assertEquals(g.groups, [[0, 1, 2]]);
  assertEquals([...g.groupOf], [0, 0, 0, 3, 4]);
  assertEquals(g.pairs.map((p) => [p.a, p.b, p.distance]), [[0, 1, 2], [1, 2, 2]]);
  assertEquals(groupNearDuplicates(hashes, -1).groups, []);
  assertEquals(groupNearDuplicates(hashes, 8).groups, [[0, 1, 2, 4]]);
  // The confirmation can veto a pair: without 0 ~ 1 the chain 0-1-2 breaks.
  const veto = groupNearDuplicates(hashes, 2, (a, b) => !(a === 0 && b === 1));
  assertEquals(veto.groups, [[1, 2]]);
});

Deno.test("thumbnailDifference ignores a brightness shift, not a different picture", () => {
  const a = new Uint8Array(768);
  for (let i = 0; i < 768; i++) a[i] = (i * 37) % 200;
  const brighter = a.map((v) => v + 20);
  const other = a.map((v, i) => (i % 2 ? v : 199 - v));
  assertEquals(thumbnailDifference(a, a), 0);
  assert(thumbnailDifference(a, brighter) < 1e-9);
  assert(thumbnailDifference(a, other) > 20);
  assertThrows(() => thumbnailDifference(a, new Uint8Array(10)), Error, "768");
});

Deno.test("stratifiedGroupSplit: per-class fractions, seeded, groups never straddle", () => {
  const items: SplitItem[] = [];
  for (let i = 0; i < 100; i++) items.push({ label: 0, group: i, key: `a${i}` });
  for (let i = 0; i < 40; i++) items.push({ label: 1, group: 100 + i, key: `b${i}` });
  // A near-duplicate group of 5 in class 1.
  for (let i = 0; i < 5; i++) items.push({ label: 1, group: 1000, key: `g${i}` });
  const fr = { train: 0.7, val: 0.15, test: 0.15, seed: 42 };
  const s = stratifiedGroupSplit(items, fr);
  const count = (label: number, split: string) =>
    items.filter((it, i) => it.label === label && s[i] === split).length;
  assertEquals([count(0, "train"), count(0, "val"), count(0, "test")], [70, 15, 15]);
  assertEquals(count(1, "train") + count(1, "val") + count(1, "test"), 45);
  assertEquals(new Set(s.slice(140)).size, 1); // the group stays together
  // Same seed → same split, whatever the input order; another seed → another split.
  const reversed = [...items].reverse();
  const s2 = stratifiedGroupSplit(reversed, fr).reverse();
  assertEquals(s2, s);
  assert(stratifiedGroupSplit(items, { ...fr, seed: 7 }).join() !== s.join());
  // Fixed items keep their split.
  const fixed = stratifiedGroupSplit([{ label: 0, group: 0, key: "x", fixed: "test" }], fr);
  assertEquals(fixed, ["test"]);
  assertThrows(() => stratifiedGroupSplit(items, { ...fr, val: 0.3 }), Error, "sum to 1");
});

Deno.test("manifest: CSV quoting round trip and validation", () => {
  const rows = [
    {
      file: "images/val/hat/bbbbbbbb.png",
      label: "hat",
      split: "val" as const,
      sha256: "b".repeat(64),
      source: 'https://x.test/a,b?q="1"',
    },
    {
      file: "images/train/hat/aaaaaaaa.png",
      label: "hat",
      split: "train" as const,
      sha256: "a".repeat(64),
      source: "train/hat/1.jpg",
    },
  ];
  const csv = formatManifest(rows);
  assert(csv.startsWith("file,label,split,sha256,source\nimages/train/"), csv);
  assertEquals(parseManifest(csv), [rows[1], rows[0]]);
  assertEquals(parseCsv('a,"b\nc",d\r\ne,,f'), [["a", "b\nc", "d"], ["e", "", "f"]]);
  assertThrows(() => parseManifest("file,label\n"), Error, "header");
  assertThrows(
    () => parseManifest(`file,label,split,sha256,source\nx.png,a,dev,${"a".repeat(64)},s\n`),
    Error,
    ["row 2", "split"],
  );
  assertThrows(
    () => parseManifest(`file,label,split,sha256,source\n../x.png,a,val,${"a".repeat(64)},s\n`),
    Error,
    "relative path",
  );
});

Deno.test("mapPool keeps order, bounds concurrency and rethrows", async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapPool([5, 1, 4, 2, 3], 2, async (x) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, x));
    inFlight--;
    return x * 10;
  });
  assertEquals(out, [50, 10, 40, 20, 30]);
  assertEquals(peak, 2);
  let failed = false;
  try {
    await mapPool(
      [1, 2, 3],
      2,
      (x) => x === 2 ? Promise.reject(new Error("boom")) : Promise.resolve(x),
    );
  } catch (e) {
    failed = (e as Error).message === "boom";
  }
  assert(failed);
});
