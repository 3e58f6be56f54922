/**
 * Saving and loading weights in the safetensors format: an 8-byte little-endian header length,
 * a JSON header mapping each tensor name to its dtype, shape and byte range, then the raw
 * little-endian float32 data. Python's `safetensors` package reads the same files.
 *
 * @module
 */

import { dirname } from "node:path";
import { formatShape, sizeOf } from "./ndarray.ts";
import type { Module } from "./nn.ts";

/** A named tensor as stored on disk. */
export interface StoredTensor {
  /** The values. */
  data: Float32Array;
  /** The dimensions. */
  shape: number[];
}

/** Encodes named tensors as safetensors bytes (names sorted, so output is deterministic). */
export function encodeSafetensors(
  tensors: Map<string, { data: Float32Array; shape: readonly number[] }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    header[name] = {
      dtype: "F32",
      shape: [...t.shape],
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned.
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += " ";
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes safetensors bytes; `source` names the file in errors. Rejects truncated files, bad
 * headers, unsupported dtypes and byte ranges that do not match the shapes.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = "safetensors",
): Map<string, StoredTensor> {
  if (bytes.length < 8) throw new Error(`${source}: file too short (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) {
    throw new Error(`${source}: header length ${headerLength} exceeds file size ${bytes.length}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new Error(`${source}: header is not valid JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new Error(
      `${source}: header must be a JSON object of tensors, got ${
        header === null ? "null" : Array.isArray(header) ? "an array" : typeof header
      }`,
    );
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const out = new Map<string, StoredTensor>();
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const where = `${source}: tensor '${name}'`;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`${where}: header entry must be an object, got ${JSON.stringify(value)}`);
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (entry.dtype !== "F32") {
      throw new Error(`${where} has dtype ${entry.dtype}, only F32 is supported`);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${where}: shape must be a list of sizes, got ${JSON.stringify(shape)}`);
    }
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o))
    ) {
      throw new Error(
        `${where}: data_offsets must be [start, end] byte offsets, got ${JSON.stringify(offsets)}`,
      );
    }
    const [start, end] = offsets as [number, number];
    // Offsets count from the end of the header: a negative start would read the header itself.
    if (start < 0 || end < start || end > dataLength) {
      throw new Error(
        `${where}: data_offsets [${start}, ${end}] are outside the ${dataLength} data bytes` +
          (end > dataLength ? " (truncated file?)" : ""),
      );
    }
    if (end - start !== sizeOf(shape) * 4) {
      throw new Error(`${where} of shape ${formatShape(shape)} has ${end - start} bytes`);
    }
    const copy = bytes.slice(dataStart + start, dataStart + end);
    out.set(name, { data: new Float32Array(copy.buffer), shape });
  }
  return out;
}

/** Writes a module's parameters and buffers to `path` atomically (temp file, then rename). */
export async function saveWeights(
  module: Module,
  path: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeFile(temp, encodeSafetensors(module.stateDict(), metadata));
  await Deno.rename(temp, path);
}

/** Loads weights saved by {@link saveWeights} into `module` (names and shapes must match). */
export async function loadWeights(module: Module, path: string): Promise<void> {
  const tensors = decodeSafetensors(await Deno.readFile(path), path);
  try {
    module.loadStateDict(tensors);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
