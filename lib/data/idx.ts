/**
 * The IDX file format used by MNIST and Fashion-MNIST.
 *
 * An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
 * then one big-endian uint32 per dimension, then the data in row-major order. The MNIST files use
 * type code `0x08` (unsigned byte): magic `0x00000803` for images (count, rows, columns) and
 * `0x00000801` for labels (count). Only unsigned bytes are supported here.
 *
 * @module
 */

/** A parsed IDX file: its dimensions and its bytes in row-major order. */
export interface IdxArray {
  /** Sizes of the dimensions, outermost first, e.g. `[60000, 28, 28]`. */
  dims: number[];
  /** The data; a view into the bytes that were parsed (not a copy). */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/**
 * Parses the bytes of an IDX file of unsigned bytes. `fileName` only labels errors, which are
 * thrown for a wrong magic number, an unsupported data type, a file shorter than its header
 * says (truncated) and bytes after the data (trailing garbage).
 */
export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  if (bytes.length < 4) {
    throw new Error(`${fileName}: truncated IDX file: ${bytes.length} bytes, no room for a header`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
    throw new Error(
      `${fileName}: wrong magic number 0x${magic.toString(16).padStart(8, "0")}: not an IDX ` +
        `file (expected 0x00000803 for images or 0x00000801 for labels)` +
        (bytes[0] === 0x1f && bytes[1] === 0x8b ? "; it looks gzipped, decompress it first" : ""),
    );
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ?? "unknown type";
    throw new Error(
      `${fileName}: unsupported IDX data type 0x${type.toString(16).padStart(2, "0")} (${name}); ` +
        `only 0x08 (unsigned byte) is supported`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) throw new Error(`${fileName}: IDX header declares 0 dimensions`);
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new Error(
      `${fileName}: truncated IDX file: header needs ${headerLength} bytes for ${rank} ` +
        `dimensions, file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  const available = bytes.length - headerLength;
  if (available < size) {
    throw new Error(
      `${fileName}: truncated IDX file: dims [${dims.join(", ")}] need ${size} data bytes ` +
        `after the ${headerLength}-byte header, found ${available}`,
    );
  }
  if (available > size) {
    throw new Error(
      `${fileName}: ${available - size} bytes of trailing garbage after the data ` +
        `(dims [${dims.join(", ")}] need ${size} bytes after the ${headerLength}-byte header)`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Reads and parses an IDX file of unsigned bytes from disk; errors name the path. */
export async function readIdx(filePath: string): Promise<IdxArray> {
  return parseIdx(await Deno.readFile(filePath), filePath);
}
