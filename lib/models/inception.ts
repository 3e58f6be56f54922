/**
 * InceptionV3 (Szegedy et al. 2016, Keras' `InceptionV3`) as shipped in the npm package
 * `nsfwjs@4.4.0` (MIT, github.com/infinitered/nsfwjs): a TensorFlow.js LayersModel of 23.8M
 * parameters whose weights are stored 8-bit quantized (uint8 with a per-tensor min and scale).
 *
 * What these weights are: Keras' ImageNet InceptionV3, **fine-tuned on the five NSFW classes**
 * of GantMan's nsfw_model (drawings, hentai, neutral, porn, sexy). The model's own topology says
 * which part kept its ImageNet weights: every layer up to and including `mixed5` was frozen
 * (`trainable: false`) during that fine-tuning, everything from `mixed6` on was trained further.
 * So `mixed5` and below are ImageNet features (after 8-bit quantization); `mixed6`–`mixed10` are
 * ImageNet features adapted to another task. Its 5-class NSFW head is not loaded here.
 *
 * The files are the package's own (`dist/models/inception_v3/`: a topology and six weight shards,
 * each a UMD JavaScript module holding JSON or base64). The package version is pinned in
 * `deno.json` and its tarball's integrity in `deno.lock`; the decoded weights are checked against
 * {@link INCEPTION_WEIGHTS_SHA256} before use.
 *
 * ```ts
 * const net = await loadInceptionV3({ inputSize: 224 }); // [N, 224, 224, 3] in [0, 1] → mixed10
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { sha256Hex } from "../data/assets.ts";
import { decodeBase64 } from "../common/base64.ts";

/** The pinned package the weights come from. */
export const INCEPTION_PACKAGE = "nsfwjs@4.4.0";

/** Side of the images InceptionV3 was trained on. */
export const INCEPTION_INPUT_SIZE = 299;

/** SHA-256 of the six weight shards' decoded bytes, concatenated in the manifest's order. */
export const INCEPTION_WEIGHTS_SHA256 =
  "8a457f3fdec7db18b16e44323454db0eaeb8f314eda0046b2e293e58a5bfabf4";

/** The last layer kept: the head after it (pool 8×8, dense layers) is nsfwjs' NSFW classifier. */
const LAST_LAYER = "mixed10";

/** The folder of the pinned package's InceptionV3 files. */
export function inceptionDir(): string {
  return decodeURIComponent(
    new URL("../../node_modules/nsfwjs/dist/models/inception_v3", import.meta.url).pathname,
  );
}

/** Options of {@link loadInceptionV3}. */
export interface InceptionOptions {
  /**
   * Input side in pixels (default 299). Everything up to `mixed10` is convolutional, so smaller
   * inputs work (at least 75); `mixed10`'s maps are then smaller than 8×8.
   */
  inputSize?: number;
}

interface LayerJson {
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

/**
 * Loads nsfwjs' InceptionV3 up to `mixed10`: `[N, size, size, 3]` RGB in [0, 1] (nsfwjs' own
 * scaling, x / 255) → `[N, h, w, 2048]` maps (8×8 at 299 px). Every layer is frozen
 * (`trainable = false`); batch normalization runs in inference mode.
 */
export async function loadInceptionV3(options: InceptionOptions = {}): Promise<tf.LayersModel> {
  const size = options.inputSize ?? INCEPTION_INPUT_SIZE;
  if (!Number.isInteger(size) || size < 75) {
    throw new Error(`loadInceptionV3: inputSize ${size} must be an integer of at least 75`);
  }
  const dir = inceptionDir();
  const require = createRequire(`${dir}/`);
  const load = (file: string): unknown => {
    try {
      return require(`${dir}/${file}`);
    } catch (e) {
      throw new Error(
        `cannot read ${dir}/${file} (is ${INCEPTION_PACKAGE} installed? run \`deno install\`): ${
          (e as Error).message
        }`,
      );
    }
  };
  const json = load("model.min.js") as {
    modelTopology: {
      model_config: {
        config: { layers: LayerJson[]; output_layers: unknown[] };
      };
    };
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const config = structuredClone(json.modelTopology.model_config.config);
  const last = config.layers.findIndex((l) => l.name === LAST_LAYER);
  if (last < 0) throw new Error(`${dir}/model.min.js: no layer ${LAST_LAYER}`);
  config.layers = config.layers.slice(0, last + 1);
  config.layers[0].config.batch_input_shape = [null, size, size, 3];
  for (const layer of config.layers) layer.config.trainable = false;
  config.output_layers = [[LAST_LAYER, 0, 0]];
  const kept = new Set(config.layers.map((l) => l.name));

  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const base64 = load(`${p}.min.js`);
      if (typeof base64 !== "string") throw new Error(`${dir}/${p}.min.js: not a base64 string`);
      buffers.push(decodeBase64(base64));
    }
  }
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.length;
  }
  const digest = sha256Hex(weightData);
  if (digest !== INCEPTION_WEIGHTS_SHA256) {
    throw new Error(
      `${dir}: the InceptionV3 weights' SHA-256 is ${digest}, expected ${INCEPTION_WEIGHTS_SHA256} ` +
        `(a different ${INCEPTION_PACKAGE}? run \`deno install\`)`,
    );
  }
  // The weights of the dropped NSFW head stay in the buffer; non-strict loading skips them.
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: {
        ...json.modelTopology,
        model_config: { ...json.modelTopology.model_config, config },
      } as unknown as tf.io.ModelJSON["modelTopology"],
      weightSpecs: specs,
      weightData: weightData.buffer,
    }),
    { strict: false },
  );
  if (model.layers.some((l) => !kept.has(l.name))) throw new Error("loadInceptionV3: bad cut");
  model.trainable = false;
  return model;
}

/**
 * A model with `model`'s input whose output is the named layers' outputs, each averaged over its
 * spatial positions, concatenated in the given order (one forward pass). For a graph-shaped
 * network such as InceptionV3, where `pooledLayers`' chain walk does not apply.
 */
export function pooledOutputs(model: tf.LayersModel, names: string[]): tf.LayersModel {
  const outputs = names.map((n) => {
    const layer = model.layers.find((l) => l.name === n);
    if (!layer) {
      throw new Error(`pooledOutputs: ${model.name} has no layer ${n}`);
    }
    const y = layer.output as tf.SymbolicTensor;
    return y.shape.length === 4
      ? tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor
      : y;
  });
  return tf.model({
    inputs: model.inputs,
    outputs: outputs.length === 1
      ? outputs[0]
      : tf.layers.concatenate({}).apply(outputs) as tf.SymbolicTensor,
    name: `${model.name}_pooled`,
  });
}
