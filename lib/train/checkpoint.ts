/**
 * Training checkpoints: variable values, optimizer slots and a JSON training state, written so a
 * kill at any moment leaves the previous complete checkpoint readable.
 *
 * Layout of a checkpoint directory: `checkpoint.json` (state, weight specs, names) pointing at one
 * `weights-<n>.bin`. The `.bin` is written first, then the JSON is replaced atomically by rename,
 * then older `.bin` files are removed. Variables are stored by position, not by tfjs's global
 * variable names (which depend on how many layers the process created before).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { writeJsonAtomic } from "./results.ts";

/** A tensor with a name, as optimizers' `getWeights`/`setWeights` use. */
export interface NamedTensor {
  /** The name. */
  name: string;
  /** The value. */
  tensor: tf.Tensor;
}

/** What a checkpoint holds once loaded. */
export interface LoadedCheckpoint<S> {
  /** The JSON state saved with it. */
  state: S;
  /** Variable values, in the order they were saved. */
  variables: tf.Tensor[];
  /** Optimizer weights (`optimizer.getWeights()` order). */
  optimizer: NamedTensor[];
}

interface CheckpointJson<S> {
  format: "deep-learning-in-deno/checkpoint@1";
  weightsFile: string;
  specs: tf.io.WeightsManifestEntry[];
  variableCount: number;
  optimizerNames: string[];
  state: S;
}

/** Saves `variables`, `optimizer`'s slots and `state` into `dir`. */
export async function saveCheckpoint<S>(
  dir: string,
  variables: tf.Variable[],
  optimizer: tf.Optimizer | null,
  state: S,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const optWeights = optimizer ? await optimizer.getWeights() : [];
  const named: NamedTensor[] = [
    ...variables.map((v, i) => ({ name: `v${i}`, tensor: v as tf.Tensor })),
    ...optWeights.map((w, i) => ({ name: `o${i}`, tensor: w.tensor })),
  ];
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
  const weightsFile = `weights-${Date.now()}-${Deno.pid}.bin`;
  const tmp = join(dir, `${weightsFile}.tmp`);
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, join(dir, weightsFile));
  const json: CheckpointJson<S> = {
    format: "deep-learning-in-deno/checkpoint@1",
    weightsFile,
    specs,
    variableCount: variables.length,
    optimizerNames: optWeights.map((w) => w.name),
    state,
  };
  await writeJsonAtomic(join(dir, "checkpoint.json"), json);
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("weights-") && e.name !== weightsFile) {
      await Deno.remove(join(dir, e.name)).catch(() => {});
    }
  }
}

/** Loads a checkpoint from `dir`, or returns null when there is none. */
export async function loadCheckpoint<S>(dir: string): Promise<LoadedCheckpoint<S> | null> {
  let json: CheckpointJson<S>;
  try {
    json = JSON.parse(await Deno.readTextFile(join(dir, "checkpoint.json")));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const bytes = await Deno.readFile(join(dir, json.weightsFile));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const map = tf.io.decodeWeights(buffer as ArrayBuffer, json.specs);
  const variables = Array.from({ length: json.variableCount }, (_, i) => map[`v${i}`]);
  const optimizer = json.optimizerNames.map((name, i) => ({ name, tensor: map[`o${i}`] }));
  return { state: json.state, variables, optimizer };
}

/** Assigns loaded values to `variables` (same order and shapes) and disposes the loaded tensors. */
export function restoreVariables(variables: tf.Variable[], values: tf.Tensor[]): void {
  if (variables.length !== values.length) {
    throw new Error(`checkpoint has ${values.length} variables, the module ${variables.length}`);
  }
  variables.forEach((v, i) => {
    if (v.shape.join() !== values[i].shape.join()) {
      throw new Error(
        `variable ${i} (${v.name}): shape ${v.shape} vs checkpoint ${values[i].shape}`,
      );
    }
    v.assign(values[i]);
  });
  tf.dispose(values);
}
