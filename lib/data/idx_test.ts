import { assertEquals, assertRejects, assertThrows } from "../testing/asserts.ts";
import * as path from "node:path";
import { parseIdx, readIdx } from "./idx.ts";

/** Builds an IDX file: magic 0x0000 <type> <rank>, big-endian dims, then `data`. */
function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

Deno.test("parseIdx reads images (0x00000803) and labels (0x00000801)", () => {
  const images = parseIdx(idx([2, 2, 3], [...Array(12).keys()]), "img");
  assertEquals(images.dims, [2, 2, 3]);
  assertEquals(images.data, new Uint8Array([...Array(12).keys()]));
  const labels = parseIdx(idx([3], [5, 0, 4]), "lab");
  assertEquals(labels.dims, [3]);
  assertEquals(labels.data, new Uint8Array([5, 0, 4]));
  // A view into a larger buffer at an offset works too.
  const file = idx([1, 256], [...Array(256).keys()]);
  const padded = new Uint8Array(file.length + 3);
  padded.set(file, 3);
  assertEquals(parseIdx(padded.subarray(3), "view").data[255], 255);
  // Dimensions of 0 items are fine.
  assertEquals(parseIdx(idx([0, 28, 28], []), "empty").dims, [0, 28, 28]);
});

Deno.test("parseIdx names the file for a wrong magic number", () => {
  const bad = idx([3], [1, 2, 3]);
  bad[0] = 0x12;
  assertThrows(
    () => parseIdx(bad, "labels.idx"),
    Error,
    "labels.idx: wrong magic number 0x12000801",
  );
  const gz = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
  assertThrows(() => parseIdx(gz, "x.gz"), Error, "gzipped");
});

Deno.test("parseIdx rejects unsupported data types and empty headers", () => {
  assertThrows(
    () => parseIdx(idx([1], [0, 0, 0, 0], 0x0d), "f.idx"),
    Error,
    "f.idx: unsupported IDX data type 0x0d (float32)",
  );
  assertThrows(() => parseIdx(new Uint8Array([0, 0, 8, 0]), "z.idx"), Error, "z.idx: ");
});

Deno.test("parseIdx reports truncated files", () => {
  const full = idx([2, 3], [1, 2, 3, 4, 5, 6]);
  assertThrows(
    () => parseIdx(full.subarray(0, full.length - 1), "t.idx"),
    Error,
    "t.idx: truncated IDX file: dims [2, 3] need 6 data bytes after the 12-byte header, found 5",
  );
  assertThrows(() => parseIdx(full.subarray(0, 9), "h.idx"), Error, "h.idx: truncated IDX file");
  assertThrows(() => parseIdx(full.subarray(0, 2), "s.idx"), Error, "s.idx: truncated IDX file");
});

Deno.test("parseIdx reports trailing garbage", () => {
  const full = idx([2], [7, 8]);
  const longer = new Uint8Array(full.length + 3);
  longer.set(full);
  assertThrows(() => parseIdx(longer, "g.idx"), Error, "g.idx: 3 bytes of trailing garbage");
});

Deno.test("readIdx reads from disk and names the path in errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "book-idx-" });
  try {
    const file = path.join(dir, "labels-idx1-ubyte");
    await Deno.writeFile(file, idx([2], [3, 4]));
    assertEquals((await readIdx(file)).data, new Uint8Array([3, 4]));
    await Deno.writeFile(file, idx([3], [3, 4]));
    await assertRejects(() => readIdx(file), Error, `${file}: truncated`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
