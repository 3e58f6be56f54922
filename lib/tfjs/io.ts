/**
 * Saving and loading tfjs models on the local file system under Deno.
 *
 * tfjs ships `file://` handlers only in `@tensorflow/tfjs-node`, which cannot install here. This
 * IOHandler writes the standard tfjs layout — `model.json` (topology, training config, weights
 * manifest) next to one `weights.bin` — so a model saved here also loads in a browser with
 * `tf.loadLayersModel("https://…/model.json")`. Files are written to a temporary name and renamed,
 * weights first, so a run killed mid-save never leaves a `model.json` pointing at missing weights.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { dirname, join } from "node:path";

/** File name of the model topology + weights manifest. */
export const MODEL_JSON = "model.json";
/** File name of the (single-shard) weights. */
export const WEIGHTS_BIN = "weights.bin";

/** Resolves a directory or a `…/model.json` path to the json path and its folder. */
function locate(path: string): { json: string; dir: string } {
  const p = path.startsWith("file://") ? path.slice("file://".length) : path;
  if (p.endsWith(".json")) return { json: p, dir: dirname(p) };
  return { json: join(p, MODEL_JSON), dir: p };
}

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data == null) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  return new Uint8Array(tf.io.concatenateArrayBuffers(buffers));
}

/**
 * An IOHandler that saves to and loads from `path`: a directory (holding `model.json` and
 * `weights.bin`) or the path of a `.json` file (weights go next to it).
 *
 * @example
 * ```ts
 * await model.save(fileIO("runs/ch2/model"));
 * const again = await tf.loadLayersModel(fileIO("runs/ch2/model"));
 * ```
 */
export function fileIO(path: string): tf.io.IOHandler {
  const { json, dir } = locate(path);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error("fileIO: binary (graph-model) topologies are not supported");
      }
      await Deno.mkdir(dir, { recursive: true });
      const weights = weightBytes(artifacts.weightData);
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) {
        modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
      }
      if (artifacts.modelInitializer != null) {
        modelJSON.modelInitializer = artifacts.modelInitializer;
      }
      await writeAtomic(join(dir, WEIGHTS_BIN), weights);
      await writeAtomic(json, new TextEncoder().encode(JSON.stringify(modelJSON)));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJSON = JSON.parse(await Deno.readTextFile(json)) as tf.io.ModelJSON;
      return await tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const parts: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const bytes = await Deno.readFile(join(dir, p));
            parts.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(parts)];
      });
    },
  };
}

let routed = false;

/**
 * Registers `file://` save and load routers, so `model.save("file://runs/x")` and
 * `tf.loadLayersModel("file://runs/x/model.json")` work as they do with tfjs-node. Idempotent.
 */
export function registerFileRouter(): void {
  if (routed) return;
  routed = true;
  const router = (url: string | string[]) => {
    const u = Array.isArray(url) ? url[0] : url;
    // tfjs routers return null for URLs they do not handle (its IORouter type omits that).
    return (typeof u === "string" && u.startsWith("file://") ? fileIO(u) : null) as tf.io.IOHandler;
  };
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
}
