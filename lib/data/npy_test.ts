import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { parseNpy, parseNpz, readNpy, readNpz } from "./npy.ts";
import { gzipSync } from "node:zlib";

const here = (name: string) => new URL(`./testdata/${name}`, import.meta.url).pathname;

/** An .npy file as NumPy 1.x writes it (header padded to a multiple of 64 bytes). */
function npyBytes(descr: string, shape: string, data: Uint8Array, version = 1): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pre = version === 1 ? 10 : 12;
  header += " ".repeat((64 - ((pre + header.length + 1) % 64)) % 64) + "\n";
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(data, pre + header.length);
  return out;
}

Deno.test("readNpz reads stored and deflated members (a zip written by Python's zipfile)", async () => {
  const arrays = await readNpz(here("small.npz"));
  assertEquals([...arrays.keys()], ["a", "b"]);
  const a = arrays.get("a")!;
  assertEquals(a.dtype, "uint8");
  assertEquals(a.shape, [2, 3]);
  assertEquals([...a.data], [0, 1, 2, 3, 4, 5]);
  const b = arrays.get("b")!;
  assertEquals(b.dtype, "float32");
  assertEquals(b.shape, [3]);
  assertEquals([...b.data], [1.5, -2, 3]);
  assertEquals([...(await readNpz(here("small.npz"), ["b"])).keys()], ["b"]);
});

Deno.test("readNpy swaps big-endian data and reorders Fortran-order data to C order", async () => {
  const be = await readNpy(here("big_endian_i2.npy"));
  assertEquals(be.dtype, "int16");
  assertEquals([...be.data], [1, -2, 300, -400]);
  const f = await readNpy(here("fortran_f8.npy"));
  assertEquals(f.shape, [2, 3]);
  assertEquals([...f.data], [1, 2, 3, 4, 5, 6]);
});

Deno.test("parseNpy: version 2 headers, scalars, int64, gzip", () => {
  const v2 = parseNpy(npyBytes("<u2", "(2,)", new Uint8Array([1, 0, 0, 1]), 2), "v2.npy");
  assertEquals([...v2.data], [1, 256]);
  const scalar = parseNpy(
    npyBytes("<f8", "()", new Uint8Array(new Float64Array([2.5]).buffer)),
    "s",
  );
  assertEquals(scalar.shape, []);
  assertEquals([...scalar.data], [2.5]);
  const i64 = parseNpy(
    npyBytes("<i8", "(2,)", new Uint8Array(new BigInt64Array([-3n, 7n]).buffer)),
    "i64.npy",
  );
  assertEquals([...i64.data], [-3, 7]);
  const gz = gzipSync(npyBytes("|u1", "(3,)", new Uint8Array([7, 8, 9])));
  assertEquals([...parseNpy(new Uint8Array(gz), "x.npy.gz").data], [7, 8, 9]);
});

Deno.test("parseNpy: truncated, overlong and wrong files are errors naming the file", () => {
  const ok = npyBytes("<f4", "(4, 2)", new Uint8Array(32));
  assertThrows(
    () => parseNpy(ok.subarray(0, ok.length - 1), "cut.npy"),
    Error,
    "cut.npy: truncated",
  );
  assertThrows(() => parseNpy(ok.subarray(0, 40), "cut.npy"), Error, "cut.npy: truncated");
  const long = new Uint8Array(ok.length + 3);
  long.set(ok);
  assertThrows(() => parseNpy(long, "long.npy"), Error, "long.npy: 3 unexpected bytes");
  assertThrows(
    () => parseNpy(new TextEncoder().encode("hello world!"), "t.npy"),
    Error,
    "not an .npy",
  );
  assertThrows(
    () => parseNpy(npyBytes("<c16", "(1,)", new Uint8Array(16)), "c.npy"),
    Error,
    "c.npy: unsupported dtype '<c16'",
  );
  assertThrows(
    () => parseNpy(npyBytes("<f4", "(a, 2)", new Uint8Array(0)), "s.npy"),
    Error,
    "s.npy: bad shape",
  );
  const v9 = ok.slice();
  v9[6] = 9;
  assertThrows(() => parseNpy(v9, "v9.npy"), Error, "unsupported .npy version 9");
});

Deno.test("parseNpz: truncated or corrupt archives are errors naming the file and member", async () => {
  const bytes = await Deno.readFile(here("small.npz"));
  assertThrows(() => parseNpz(bytes.subarray(0, 100), "cut.npz"), Error, "cut.npz: not a zip");
  assertThrows(
    () => parseNpz(bytes, "x.npz", ["c"]),
    Error,
    "x.npz: no array 'c' (it holds: a, b)",
  );
  // Flip the last byte of member a (stored: 30-byte local header + "a.npy" + 134 bytes).
  const bad = bytes.slice();
  bad[30 + 5 + 134 - 1] ^= 0xff;
  assertThrows(() => parseNpz(bad, "bad.npz"), Error, "bad.npz: member a.npy: CRC-32 mismatch");
  assertThrows(
    () => parseNpz(npyBytes("|u1", "(1,)", new Uint8Array(1)), "plain.npz"),
    Error,
    "looks like a plain .npy",
  );
});

const MIRROR = new URL("../../../shared/mirror/medmnist3d/adrenalmnist3d.npz", import.meta.url)
  .pathname;
Deno.test({
  name: "readNpz reads the AdrenalMNIST3D release (when the mirror is present)",
  ignore: !(await Deno.stat(MIRROR).then(() => true, () => false)),
  fn: async () => {
    const a = await readNpz(MIRROR, ["val_images", "val_labels"]);
    assertEquals(a.get("val_images")!.shape, [98, 28, 28, 28]);
    assertEquals(a.get("val_images")!.dtype, "uint8");
    assertEquals(a.get("val_labels")!.shape, [98, 1]);
  },
});
