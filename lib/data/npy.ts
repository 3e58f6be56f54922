/**
 * NumPy's `.npy` and `.npz` files, read in plain TypeScript (MedMNIST and ModelNet ship as them).
 *
 * An `.npy` file is the magic `\x93NUMPY`, a version (1.0: 2-byte header length; 2.0 and 3.0:
 * 4-byte), then a Python dict literal such as
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (890, 1, 32, 32, 32), }` padded with spaces,
 * then the raw elements. We check the dtype (byte order, kind, size), the shape and that the data is
 * exactly as long as the shape says; big-endian data is byte-swapped and Fortran-order data is
 * reordered, so the result is always little-endian, row-major (C order).
 *
 * An `.npz` file is a zip archive of `.npy` files (`np.savez`: stored; `np.savez_compressed`:
 * deflated). We read the zip's central directory (end record → entries, zip64 sizes included),
 * inflate each member with `node:zlib`'s `inflateRawSync` and check its CRC-32. No library: the
 * formats are small, and a hand-written reader lets every error name the file and what is wrong.
 * A gzip-compressed `.npy` (`.npy.gz`) is recognised by its magic bytes and gunzipped first.
 *
 * @module
 */
import { gunzipSync, inflateRawSync } from "node:zlib";
import { crc32 } from "./crc.ts";

/** The element types we read, by NumPy's name. */
export type NpyDtype =
  | "bool"
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64";

/** A typed array holding an array's elements (64-bit integers are converted to float64). */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** A parsed array: elements in C order, little-endian, as a typed array. */
export interface NpyArray {
  /** NumPy's dtype name, e.g. `"uint8"`. */
  dtype: NpyDtype;
  /** Shape, outermost axis first (`[]` for a scalar). */
  shape: number[];
  /** The elements in row-major order. */
  data: NpyData;
}

/** NumPy dtype letters+size → our name, bytes per element. */
const DTYPES: Record<string, { name: NpyDtype; size: number }> = {
  b1: { name: "bool", size: 1 },
  u1: { name: "uint8", size: 1 },
  i1: { name: "int8", size: 1 },
  u2: { name: "uint16", size: 2 },
  i2: { name: "int16", size: 2 },
  u4: { name: "uint32", size: 4 },
  i4: { name: "int32", size: 4 },
  u8: { name: "uint64", size: 8 },
  i8: { name: "int64", size: 8 },
  f4: { name: "float32", size: 4 },
  f8: { name: "float64", size: 8 },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The header of an `.npy` file. */
interface NpyHeader {
  littleEndian: boolean;
  dtype: { name: NpyDtype; size: number };
  fortranOrder: boolean;
  shape: number[];
}

function parseHeader(text: string, fileName: string): NpyHeader {
  const field = (key: string, pattern: string): string => {
    const m = new RegExp(`['"]${key}['"]\\s*:\\s*${pattern}`).exec(text);
    if (!m) throw new Error(`${fileName}: .npy header has no valid '${key}' field: ${text.trim()}`);
    return m[1];
  };
  const descr = field("descr", `['"]([^'"]*)['"]`);
  const dm = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const dtype = dm ? DTYPES[`${dm[2]}${dm[3]}`] : undefined;
  if (!dm || !dtype) {
    throw new Error(
      `${fileName}: unsupported dtype '${descr}' (supported: ${
        Object.keys(DTYPES).map((k) => `<${k}`).join(", ")
      }, and their big-endian forms)`,
    );
  }
  const fortran = field("fortran_order", "(True|False)") === "True";
  const shapeText = field("shape", "\\(([^)]*)\\)");
  const parts = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const shape = parts.map((p) => {
    if (!/^\d+L?$/.test(p)) throw new Error(`${fileName}: bad shape (${shapeText}) in .npy header`);
    return parseInt(p, 10);
  });
  // '|' (not applicable) and '=' (native; NumPy writes it only for 1-byte types) count as little.
  return { littleEndian: dm[1] !== ">", dtype, fortranOrder: fortran, shape };
}

function typedArray(name: NpyDtype, bytes: Uint8Array, count: number): NpyData {
  // Copy into a fresh, aligned buffer: the element data of an .npy need not be aligned.
  const buf = bytes.slice(0, count * (DTYPES[codeOf(name)].size)).buffer;
  switch (name) {
    case "bool":
    case "uint8":
      return new Uint8Array(buf);
    case "int8":
      return new Int8Array(buf);
    case "uint16":
      return new Uint16Array(buf);
    case "int16":
      return new Int16Array(buf);
    case "uint32":
      return new Uint32Array(buf);
    case "int32":
      return new Int32Array(buf);
    case "float32":
      return new Float32Array(buf);
    case "float64":
      return new Float64Array(buf);
    case "int64":
      return Float64Array.from(new BigInt64Array(buf), Number);
    case "uint64":
      return Float64Array.from(new BigUint64Array(buf), Number);
  }
}

function codeOf(name: NpyDtype): string {
  return Object.keys(DTYPES).find((k) => DTYPES[k].name === name)!;
}

/** Reverses the byte order of each `size`-byte element, in place. */
function byteSwap(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Reorders Fortran-order (column-major) elements into C order. */
function fortranToC(data: NpyData, shape: number[]): NpyData {
  const n = data.length;
  if (shape.length < 2 || n === 0) return data;
  const out = new (data.constructor as { new (n: number): NpyData })(n);
  const rank = shape.length;
  const fStride = new Array<number>(rank);
  fStride[0] = 1;
  for (let k = 1; k < rank; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = data[src];
    // Advance the C-order multi-index (last axis fastest) and the Fortran offset with it.
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      src += fStride[k];
      if (index[k] < shape[k]) break;
      src -= fStride[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}

/**
 * Parses the bytes of an `.npy` file (or a gzipped one). `fileName` labels every error: not an
 * `.npy` file, an unsupported version or dtype, a malformed header, a file shorter than its shape
 * needs (truncated) or with bytes after the data.
 */
export function parseNpy(bytes: Uint8Array, fileName: string): NpyArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new Error(`${fileName}: gzip data is corrupt or truncated: ${(e as Error).message}`);
    }
  }
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error(
      `${fileName}: not an .npy file (it must start with \\x93NUMPY; ` +
        `${bytes.length < 10 ? `only ${bytes.length} bytes` : "magic bytes differ"})`,
    );
  }
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw new Error(`${fileName}: unsupported .npy version ${major}.${bytes[7]} (1.0-3.0 known)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new Error(`${fileName}: truncated .npy header`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLength;
  if (bytes.length < dataStart) {
    throw new Error(
      `${fileName}: truncated .npy file: header says ${headerLength} bytes, file has ` +
        `${bytes.length - 8 - lenBytes} after the preamble`,
    );
  }
  const decoder = new TextDecoder(major === 3 ? "utf-8" : "latin1");
  const header = parseHeader(decoder.decode(bytes.subarray(8 + lenBytes, dataStart)), fileName);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const need = count * header.dtype.size;
  const have = bytes.length - dataStart;
  if (have < need) {
    throw new Error(
      `${fileName}: truncated .npy file: shape (${header.shape.join(", ")}) of ` +
        `${header.dtype.name} needs ${need} data bytes, found ${have}`,
    );
  }
  if (have > need) {
    throw new Error(
      `${fileName}: ${have - need} unexpected bytes after the data of shape ` +
        `(${header.shape.join(", ")}) ${header.dtype.name}`,
    );
  }
  const raw = bytes.slice(dataStart);
  if (!header.littleEndian && header.dtype.size > 1) byteSwap(raw, header.dtype.size);
  let data = typedArray(header.dtype.name, raw, count);
  if (header.fortranOrder) data = fortranToC(data, header.shape);
  return { dtype: header.dtype.name, shape: header.shape, data };
}

/** Reads an `.npy` (or `.npy.gz`) file from disk; errors name the path. */
export async function readNpy(filePath: string): Promise<NpyArray> {
  return parseNpy(await Deno.readFile(filePath), filePath);
}

/** One member of a zip archive, from its central directory. */
interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Lists the members of a zip archive from its central directory. */
function zipEntries(bytes: Uint8Array, fileName: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is 22 bytes plus a comment of up to 65,535 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw new Error(
      `${fileName}: not a zip/.npz file, or truncated: no end-of-central-directory record` +
        (bytes[0] === 0x93 && bytes[1] === 0x4e ? " (it looks like a plain .npy file)" : ""),
    );
  }
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    // Zip64: a locator 20 bytes before the end record points at the zip64 end record.
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) {
      throw new Error(`${fileName}: zip64 archive without a zip64 locator`);
    }
    const z = Number(view.getBigUint64(loc + 8, true));
    if (z + 56 > bytes.length || view.getUint32(z, true) !== 0x06064b50) {
      throw new Error(`${fileName}: zip64 end record missing or truncated`);
    }
    count = Number(view.getBigUint64(z + 32, true));
    cdSize = Number(view.getBigUint64(z + 40, true));
    cdOffset = Number(view.getBigUint64(z + 48, true));
  }
  if (cdOffset + cdSize > bytes.length) {
    throw new Error(`${fileName}: truncated zip: central directory runs past the end of the file`);
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) {
      throw new Error(`${fileName}: corrupt zip central directory at entry ${k + 1} of ${count}`);
    }
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const entry: ZipEntry = {
      name: new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength)),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
    };
    // Zip64 extended information (header id 1) holds the 64-bit values that overflowed.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const next = () => {
          const v = Number(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (entry.size === 0xffffffff) entry.size = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localOffset === 0xffffffff) entry.localOffset = next();
      }
      e += 4 + len;
    }
    entries.push(entry);
    p = extraEnd + commentLength;
  }
  return entries;
}

/** The uncompressed bytes of one zip member, CRC-checked. */
function zipMember(bytes: Uint8Array, entry: ZipEntry, fileName: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = entry.localOffset;
  const where = `${fileName}: member ${entry.name}`;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== 0x04034b50) {
    throw new Error(`${where}: local header missing (corrupt or truncated zip)`);
  }
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) {
    throw new Error(
      `${where}: truncated: needs ${entry.compressedSize} bytes, ${bytes.length - start} left`,
    );
  }
  const packed = bytes.subarray(start, end);
  let out: Uint8Array;
  if (entry.method === 0) out = packed;
  else if (entry.method === 8) {
    try {
      out = new Uint8Array(inflateRawSync(packed));
    } catch (e) {
      throw new Error(`${where}: deflate data is corrupt: ${(e as Error).message}`);
    }
  } else {
    throw new Error(`${where}: unsupported compression method ${entry.method} (0 and 8 known)`);
  }
  if (out.length !== entry.size) {
    throw new Error(
      `${where}: ${out.length} bytes after inflating, the directory says ${entry.size}`,
    );
  }
  const crc = crc32(out);
  if (crc !== entry.crc) {
    throw new Error(
      `${where}: CRC-32 mismatch (stored ${entry.crc.toString(16)}, computed ${crc.toString(16)})`,
    );
  }
  return out;
}

/**
 * Parses the bytes of an `.npz` archive into its arrays, keyed by name without `.npy`
 * (`train_images`, ...). `only` limits which members are decoded. Errors name the file and member.
 */
export function parseNpz(
  bytes: Uint8Array,
  fileName: string,
  only?: readonly string[],
): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  const entries = zipEntries(bytes, fileName);
  const names = entries.map((e) => e.name.replace(/\.npy$/, ""));
  for (const want of only ?? []) {
    if (!names.includes(want)) {
      throw new Error(`${fileName}: no array '${want}' (it holds: ${names.join(", ")})`);
    }
  }
  entries.forEach((entry, i) => {
    if (only && !only.includes(names[i])) return;
    const member = `${fileName}:${entry.name}`;
    arrays.set(names[i], parseNpy(zipMember(bytes, entry, fileName), member));
  });
  return arrays;
}

/** Reads an `.npz` file from disk; see {@link parseNpz}. */
export async function readNpz(
  filePath: string,
  only?: readonly string[],
): Promise<Map<string, NpyArray>> {
  return parseNpz(await Deno.readFile(filePath), filePath, only);
}
