/**
 * From our tfjs models to Keras 3, for readers who outgrow one machine: {@link exportToKeras}
 * saves a Layers model in the tfjs format and runs `tools/tfjs_to_keras.py` (in a Python with
 * Keras 3 and TensorFlow) to turn it into a `.keras` file; given a batch, it also has Keras predict
 * it, and returns the largest difference from tfjs's own predictions.
 *
 * Why Python: the `.keras` format (a zip of `config.json` and an HDF5 weights file) is Keras' own,
 * and the only faithful check of an export is Keras loading it. The tfjs `model.json` topology is
 * already Keras JSON, so the tool is short: rebuild the graph layer by layer, set the weights by
 * name, save. (The `tensorflowjs` PyPI converter does the same but pins old TensorFlow and JAX
 * versions; we avoid that dependency.)
 *
 * The Python is found as `$KERAS_PYTHON`, else `data/cache/keras-venv/bin/python` (made by
 * `.ci/run`: `python3 -m venv data/cache/keras-venv && data/cache/keras-venv/bin/pip install
 * tensorflow-cpu==2.21.0`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { projectRoot } from "../data/assets.ts";
import { readNpy } from "../data/npy.ts";
import { fileIO } from "../tfjs/io.ts";

/** The Python with Keras 3, or `undefined` when there is none. */
export function kerasPython(): string | undefined {
  const fromEnv = Deno.env.get("KERAS_PYTHON");
  if (fromEnv) return fromEnv;
  const venv = `${projectRoot()}/data/cache/keras-venv/bin/python`;
  try {
    Deno.statSync(venv);
    return venv;
  } catch {
    return undefined;
  }
}

/** A float32 array as `.npy` bytes (format 1.0, little-endian, C order). */
export function npyFloat32(data: Float32Array, shape: number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${
    shape.length === 1 ? "," : ""
  }), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64
  // and ended by a newline.
  const unpadded = 10 + dict.length + 1;
  const header = dict + " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Options of {@link exportToKeras}. */
export interface KerasExportOptions {
  /** A batch to predict in both frameworks (NHWC, float32). */
  checkBatch?: tf.Tensor;
  /** The Python to run (default {@link kerasPython}). */
  python?: string;
}

/** What {@link exportToKeras} did. */
export interface KerasExportResult {
  /** The `.keras` file written. */
  file: string;
  /** Parameters Keras counts in the exported model. */
  kerasParams: number;
  /** Largest |tfjs − Keras| over the check batch's predictions (when one was given). */
  maxAbsDiff?: number;
  /** The tool's own output. */
  log: string;
}

/**
 * Exports `model` to the Keras 3 file `kerasFile`: saves it as tfjs next to it
 * (`<kerasFile without .keras>.tfjs/`), converts with `tools/tfjs_to_keras.py`, and compares
 * predictions on `checkBatch`. Throws with the tool's output when the conversion fails.
 */
export async function exportToKeras(
  model: tf.LayersModel,
  kerasFile: string,
  opts: KerasExportOptions = {},
): Promise<KerasExportResult> {
  const python = opts.python ?? kerasPython();
  if (!python) {
    throw new Error(
      "exportToKeras: no Python with Keras (set KERAS_PYTHON, or: python3 -m venv " +
        "data/cache/keras-venv && data/cache/keras-venv/bin/pip install tensorflow-cpu==2.21.0)",
    );
  }
  if (!kerasFile.endsWith(".keras")) throw new Error(`${kerasFile}: must end in .keras`);
  const base = kerasFile.slice(0, -".keras".length);
  const tfjsDir = `${base}.tfjs`;
  await model.save(fileIO(tfjsDir));
  const args = [`${projectRoot()}/tools/tfjs_to_keras.py`, tfjsDir, kerasFile];
  let expected: Float32Array | undefined;
  if (opts.checkBatch) {
    const x = opts.checkBatch;
    await Deno.writeFile(
      `${base}.check-x.npy`,
      npyFloat32(await x.data() as Float32Array, x.shape),
    );
    const y = model.predict(x) as tf.Tensor;
    expected = await y.data() as Float32Array;
    y.dispose();
    args.push("--check-input", `${base}.check-x.npy`, "--check-output", `${base}.check-y.npy`);
  }
  const run = await new Deno.Command(python, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { TF_CPP_MIN_LOG_LEVEL: "3", PYTHONUNBUFFERED: "1" },
  }).output();
  const log = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
  if (!run.success) throw new Error(`tools/tfjs_to_keras.py failed:\n${log}`);
  const params = /(\d+) parameters/.exec(log);
  const result: KerasExportResult = {
    file: kerasFile,
    kerasParams: params ? Number(params[1]) : NaN,
    log: log.trim(),
  };
  if (expected) {
    const got = (await readNpy(`${base}.check-y.npy`)).data as Float32Array;
    if (got.length !== expected.length) {
      throw new Error(`Keras predicted ${got.length} values, tfjs ${expected.length}`);
    }
    result.maxAbsDiff = expected.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
  }
  return result;
}
