/**
 * Frozen features, computed once: run a frozen backbone over a split in batches and keep the
 * result on disk, so that every later probe or fine-tuning run starts from the cached activations
 * instead of paying for the backbone again.
 *
 * A cache file is `<dir>/<key>.f32` (little-endian float32) beside `<key>.json` (shape and the key's
 * parts); the key is the caller's description of everything the features depend on (dataset
 * checksum, split, backbone, layer, flip). Files are written to a temporary name and renamed, so a
 * killed run never leaves a truncated cache.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { sha256Hex } from "../data/assets.ts";

/** Options of {@link extractFeatures}. */
export interface ExtractOptions {
  /** Images per forward pass (default 16). */
  batchSize?: number;
  /** Mirror each image left-right before the backbone (default false). */
  flip?: boolean;
  /** Called after each batch with (done, total). */
  onBatch?: (done: number, total: number) => void;
}

/**
 * Runs `backbone` (inference mode) over `images` (`N × size × size × 3` floats) in batches;
 * returns the features as one array and their per-example shape.
 */
export async function extractFeatures(
  backbone: tf.LayersModel,
  images: Float32Array,
  size: number,
  options: ExtractOptions = {},
): Promise<{ data: Float32Array; shape: number[] }> {
  const per = size * size * 3;
  const n = images.length / per;
  if (!Number.isInteger(n)) {
    throw new Error(
      `extractFeatures: ${images.length} floats is not N images of ${size}x${size}x3`,
    );
  }
  const batchSize = options.batchSize ?? 16;
  let out: Float32Array | null = null;
  let shape: number[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const y = tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(images.subarray(start * per, (start + count) * per), [
        count,
        size,
        size,
        3,
      ]);
      if (options.flip) x = tf.image.flipLeftRight(x);
      return backbone.predict(x) as tf.Tensor;
    });
    const values = await y.data() as Float32Array;
    if (!out) {
      shape = y.shape.slice(1);
      out = new Float32Array(n * (values.length / count));
    }
    out.set(values, start * (values.length / count));
    y.dispose();
    options.onBatch?.(start + count, n);
  }
  return { data: out ?? new Float32Array(0), shape };
}

/**
 * Features computed once for a larger set of images, reused for some of the same images: the rows
 * of `data` (`keys.length × dim`, row `i` belongs to the image `keys[i]`, e.g. its SHA-256) for the
 * images `wanted`, in that order. Throws naming the first wanted image that has no row.
 */
export function gatherRows(
  data: Float32Array,
  dim: number,
  keys: readonly string[],
  wanted: readonly string[],
): Float32Array {
  if (data.length !== keys.length * dim) {
    throw new Error(`gatherRows: ${data.length} floats is not ${keys.length} rows of ${dim}`);
  }
  const row = new Map(keys.map((k, i) => [k, i]));
  const out = new Float32Array(wanted.length * dim);
  wanted.forEach((k, j) => {
    const i = row.get(k);
    if (i === undefined) throw new Error(`gatherRows: no features for image ${k}`);
    out.set(data.subarray(i * dim, (i + 1) * dim), j * dim);
  });
  return out;
}

/** A short, file-name-safe key from a description of what the features depend on. */
export function featureKey(parts: Record<string, string | number | boolean>): string {
  const text = JSON.stringify(parts, Object.keys(parts).sort());
  return sha256Hex(text).slice(0, 24);
}

/**
 * {@link extractFeatures} with a disk cache: returns the cached features for `parts` when
 * `<dir>/<key>.json` and `.f32` exist and agree in size, else computes and stores them.
 */
export async function cachedFeatures(
  dir: string,
  parts: Record<string, string | number | boolean>,
  compute: () => Promise<{ data: Float32Array; shape: number[] }>,
): Promise<{ data: Float32Array; shape: number[]; cached: boolean }> {
  const key = featureKey(parts);
  const meta = `${dir}/${key}.json`;
  const bin = `${dir}/${key}.f32`;
  try {
    const info = JSON.parse(await Deno.readTextFile(meta)) as { shape: number[]; count: number };
    const bytes = await Deno.readFile(bin);
    const per = info.shape.reduce((a, b) => a * b, 1);
    if (bytes.byteLength === 4 * per * info.count) {
      const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      return { data, shape: info.shape, cached: true };
    }
  } catch { /* not cached yet */ }
  const { data, shape } = await compute();
  await Deno.mkdir(dir, { recursive: true });
  const per = shape.reduce((a, b) => a * b, 1);
  const tmp = `${bin}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  await Deno.rename(tmp, bin);
  const count = per > 0 ? data.length / per : 0;
  await Deno.writeTextFile(`${meta}.tmp-${Deno.pid}`, JSON.stringify({ ...parts, shape, count }));
  await Deno.rename(`${meta}.tmp-${Deno.pid}`, meta);
  return { data, shape, cached: false };
}
