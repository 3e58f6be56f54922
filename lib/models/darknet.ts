/**
 * Darknet-tiny, a 1.05M-parameter ImageNet classifier (Joseph Redmon's Darknet reference "tiny"
 * network, converted to a TensorFlow.js LayersModel by ml5.js), and the tools chapter 3 uses to
 * transfer it: cutting the network at a layer, freezing, and folding batch normalization into the
 * convolutions.
 *
 * The 33 files (topology, 31 weight shards, the 1000 labels in this model's own order) are
 * resolved through the asset registry (`lib/data/registry.ts`): cache → mirror
 * (`models/darknet-tiny/`) → github.com/ml5js/ml5-data-and-models at the pinned commit, each
 * checked against its SHA-256.
 *
 * ```ts
 * const net = await loadDarknetTiny();            // input [N, 224, 224, 3] in [0, 1] → 1000 logits
 * const labels = await darknetLabels();
 * const features = cutAt(net, "leaky_re_lu_13");  // the backbone up to that layer
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ResolveOptions } from "../data/assets.ts";
import { FILES, resolveNamedAsset } from "../data/registry.ts";

/** Side of the images Darknet-tiny was trained on. */
export const DARKNET_INPUT_SIZE = 224;

const DARKNET_DIR = "models/darknet-tiny";

/** The registry names of the model's files: `model.json`, then the 31 weight shards. */
export const DARKNET_TINY_FILES: string[] = [
  `${DARKNET_DIR}/model.json`,
  ...FILES.map((f) => f.name).filter((n) => n.startsWith(`${DARKNET_DIR}/group`)),
];

/**
 * The registry name of the 1000 ImageNet labels in Darknet's order (from ml5-library's
 * `src/utils/IMAGENET_CLASSES_DARKNET.js`, MIT). Only the cache and the mirror hold this JSON form.
 */
export const DARKNET_LABELS_FILE = `${DARKNET_DIR}/classes_darknet.json`;

/** Options of {@link loadDarknetTiny}. */
export interface DarknetOptions extends ResolveOptions {
  /**
   * Input side in pixels (default 224). The network is fully convolutional up to a global
   * average pool, so any multiple of 16 works; the weights are the same.
   */
  inputSize?: number;
}

/**
 * Loads Darknet-tiny: `[N, size, size, 3]` RGB in [0, 1] → `[N, 1000]` ImageNet logits (no
 * softmax). Every file is resolved and checked by the asset layer first.
 */
export async function loadDarknetTiny(options: DarknetOptions = {}): Promise<tf.LayersModel> {
  const paths = await Promise.all(DARKNET_TINY_FILES.map((f) => resolveNamedAsset(f, options)));
  const json = JSON.parse(await Deno.readTextFile(paths[0])) as {
    modelTopology: { model_config: { config: { layers: { config: Record<string, unknown> }[] } } };
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const size = options.inputSize ?? DARKNET_INPUT_SIZE;
  if (size % 16 !== 0) {
    throw new Error(`loadDarknetTiny: inputSize ${size} is not a multiple of 16`);
  }
  const input = json.modelTopology.model_config.config.layers[0].config;
  input.batch_input_shape = [null, size, size, 3];
  const byFile = new Map(DARKNET_TINY_FILES.map((f, i) => [f.split("/").pop()!, paths[i]]));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = byFile.get(p);
      if (!file) throw new Error(`Darknet-tiny model.json names an unknown weight file ${p}`);
      const bytes = await Deno.readFile(file);
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    }
  }
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology as unknown as tf.io.ModelJSON["modelTopology"],
    weightSpecs: specs,
    weightData: tf.io.concatenateArrayBuffers(buffers),
  }));
}

/** The 1000 ImageNet labels, index = the model's output index. */
export async function darknetLabels(options: ResolveOptions = {}): Promise<string[]> {
  const labels = JSON.parse(
    await Deno.readTextFile(await resolveNamedAsset(DARKNET_LABELS_FILE, options)),
  );
  if (!Array.isArray(labels) || labels.length !== 1000) {
    throw new Error(`${DARKNET_LABELS_FILE}: expected a JSON array of 1000 labels`);
  }
  return labels as string[];
}

/** The `k` largest probabilities of each row of `logits`, with their labels. */
export async function topK(
  logits: tf.Tensor2D,
  labels: string[],
  k = 5,
): Promise<{ label: string; index: number; prob: number }[][]> {
  const { values, indices } = tf.tidy(() => tf.topk(tf.softmax(logits), k));
  const [v, i] = [await values.array(), await indices.array()];
  tf.dispose([values, indices]);
  return v.map((row, r) =>
    row.map((prob, j) => ({ label: labels[i[r][j]], index: i[r][j], prob }))
  );
}

/** The layer named `name` of `model`, or an error listing the layer names. */
function layerOf(model: tf.LayersModel, name: string): tf.layers.Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) {
    throw new Error(
      `${model.name} has no layer ${name}; its layers: ${
        model.layers.map((l) => l.name).join(", ")
      }`,
    );
  }
  return layer;
}

/** The model from `model`'s input up to (and including) layer `name`; weights are shared. */
export function cutAt(model: tf.LayersModel, name: string): tf.LayersModel {
  return tf.model({
    inputs: model.inputs,
    // Node 0: the layer as first applied in `model` (layersBetween re-applies layers elsewhere).
    outputs: layerOf(model, name).getOutputAt(0) as tf.SymbolicTensor,
    name: `${model.name}_to_${name}`,
  });
}

/**
 * The layers strictly after `from` up to and including `to`, as a model whose input is `from`'s
 * output (a chain: Darknet is a plain stack of layers). Weights are shared with `model`.
 */
export function layersBetween(model: tf.LayersModel, from: string, to: string): tf.LayersModel {
  const start = model.layers.indexOf(layerOf(model, from));
  const end = model.layers.indexOf(layerOf(model, to));
  if (end <= start) throw new Error(`layersBetween: ${to} does not come after ${from}`);
  const shape = (model.layers[start].outputShape as (number | null)[]).slice(1) as number[];
  const input = tf.input({ shape, name: `${from}_features` });
  let x: tf.SymbolicTensor = input;
  for (const layer of model.layers.slice(start + 1, end + 1)) {
    x = layer.apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: `${model.name}_${from}_to_${to}` });
}

/** Sets `trainable` on every layer of `model` (and the model itself); returns it. */
export function setTrainable(model: tf.LayersModel, trainable: boolean): tf.LayersModel {
  model.trainable = trainable;
  for (const layer of model.layers) layer.trainable = trainable;
  return model;
}

/**
 * Folds every inference-mode batch normalization into the convolution before it: for a conv with
 * kernel `W` (bias `b`, zero if none) followed by BN with `γ, β`, moving mean `μ` and variance
 * `σ²`, the pair equals one conv with kernel `W·s` and bias `(b − μ)·s + β`, where
 * `s = γ / √(σ² + ε)` per output channel. Returns a new chain model with fresh (copied) weights and
 * no BatchNormalization layers: BN statistics can then neither drift nor be re-estimated from
 * small fine-tuning batches, and each training step skips BN's costly backward pass.
 *
 * `model` must be a chain (each layer feeding the next), such as {@link layersBetween}'s output.
 */
export function foldBatchNorm(
  model: tf.LayersModel,
  name = `${model.name}_folded`,
): tf.LayersModel {
  const inShape = (model.inputs[0].shape as (number | null)[]).slice(1) as number[];
  const input = tf.input({ shape: inShape, name: `${name}_input` });
  let x: tf.SymbolicTensor = input;
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  const pending: { layer: tf.layers.Layer; weights: tf.Tensor[] }[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const cls = layer.getClassName();
    const next = layers[i + 1];
    if (cls === "Conv2D" && next?.getClassName() === "BatchNormalization") {
      const conf = layer.getConfig() as Record<string, unknown>;
      const bn = next.getConfig() as Record<string, unknown>;
      const [w, b] = layer.getWeights();
      const bnW = next.getWeights();
      const folded = tf.tidy(() => {
        let k = 0;
        const gamma = bn.scale === false ? tf.onesLike(bnW[2]) : bnW[k++];
        const beta = bn.center === false ? tf.zerosLike(bnW[k]) : bnW[k++];
        const mean = bnW[k++];
        const variance = bnW[k++];
        const s = tf.div(gamma, tf.sqrt(tf.add(variance, bn.epsilon as number)));
        const bias = b ?? tf.zerosLike(mean);
        return [tf.mul(w, s), tf.add(tf.mul(tf.sub(bias, mean), s), beta)];
      });
      const conv = tf.layers.conv2d({
        filters: conf.filters as number,
        kernelSize: conf.kernelSize as number[],
        strides: conf.strides as number[],
        padding: conf.padding as "same" | "valid",
        dilationRate: conf.dilationRate as [number, number],
        useBias: true,
        name: `${layer.name}_bn`,
      });
      x = conv.apply(x) as tf.SymbolicTensor;
      pending.push({ layer: conv, weights: folded });
      i++; // the BN is consumed
    } else {
      // A fresh layer of the same class and settings (tfjs layers take their own config back).
      const LayerClass = layer.constructor as unknown as new (c: unknown) => tf.layers.Layer;
      const clone = new LayerClass({ ...layer.getConfig(), name: `${layer.name}_f` });
      x = clone.apply(x) as tf.SymbolicTensor;
      const weights = layer.getWeights().map((t) => t.clone());
      if (weights.length > 0) pending.push({ layer: clone, weights });
    }
  }
  const out = tf.model({ inputs: input, outputs: x, name });
  for (const p of pending) {
    p.layer.setWeights(p.weights);
    tf.dispose(p.weights);
  }
  return out;
}
