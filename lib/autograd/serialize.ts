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
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new Error(`${source}: header is not valid JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const out = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (entry.dtype !== "F32") {
      throw new Error(
        `${source}: tensor '${name}' has dtype ${entry.dtype}, only F32 is supported`,
      );
    }
    const [start, end] = entry.data_offsets;
    if (end - start !== sizeOf(entry.shape) * 4) {
      throw new Error(
        `${source}: tensor '${name}' of shape ${formatShape(entry.shape)} has ${end - start} bytes`,
      );
    }
    if (dataStart + end > bytes.length) {
      throw new Error(`${source}: tensor '${name}' runs past the end of the file (truncated?)`);
    }
    const copy = bytes.slice(dataStart + start, dataStart + end);
    out.set(name, { data: new Float32Array(copy.buffer), shape: entry.shape });
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
