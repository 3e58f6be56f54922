/**
 * Darknet-tiny, a 1.05M-parameter ImageNet classifier (Joseph Redmon's Darknet reference "tiny"
 * network, converted to a TensorFlow.js LayersModel by ml5.js), and the tools chapter 3 uses to
 * transfer it: cutting the network at a layer, freezing, and folding batch normalization into the
 * convolutions.
 *
 * The 33 files (topology, 31 weight shards, the 1000 labels in this model's own order) are
 * resolved through the asset layer (`lib/data/assets.ts`): cache → mirror
 * (`models/darknet-tiny/`) → github.com/ml5js/ml5-data-and-models at commit 0612a3e7, each
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
import { type Asset, resolveAsset, type ResolveOptions } from "../data/assets.ts";

/** Side of the images Darknet-tiny was trained on. */
export const DARKNET_INPUT_SIZE = 224;

const DARKNET_DIR = "models/darknet-tiny";
const DARKNET_URL =
  "https://github.com/ml5js/ml5-data-and-models/raw/0612a3e7/models/darknetclassifier/darknettiny";

/** SHA-256 of each file of the model (as listed in the mirror's `SHA256SUMS`). */
const DARKNET_SUMS: Record<string, string> = {
  "model.json": "5a5ee1ddb33ac7948b303197f4c63f72a80fc00a7d2870d30843004ddd5b4b51",
  "group1-shard1of1": "1a95595a3f6c497f27747d40276649a10988d0808a121ddfb3f6b368133f44c5",
  "group2-shard1of1": "8226135041fbafc7c3a838d0673badb8d3e4211a4d550781951d15a09445ea47",
  "group3-shard1of1": "3a465f4bbcbcd7721caa77b704829cfe20eadab670a8d91a352e76e4cfca1a02",
  "group4-shard1of1": "3e661974c4740795f3ca9b882ae80dc3521951dac2b262ac054329f17aaefb10",
  "group5-shard1of1": "5f1fa7779fe01d2b06ea3804f84e5cf6a25688dc458617a9f35a1018356abcbf",
  "group6-shard1of1": "e054b14e9e866da448ab351f04d3920ae216032b3df680396163a77b8925a009",
  "group7-shard1of1": "2aed907302664d64b85669a293c8f5a492521b4d025b9b3a19943f951a7e32df",
  "group8-shard1of1": "99e0418ac61cd6093df0bb4a5a67750ec0b0fbb8edb2125c0cfda67e3cb3f1a4",
  "group9-shard1of1": "4fb47f3aa4f19f7fabd7d4271cf81e8af7735fcfc89bf4b9174f379bb60b129d",
  "group10-shard1of1": "2afc82f4d423cb8272e4089b69c5dba2755eea8499935b4f0020e27b5d559557",
  "group11-shard1of1": "8957dc1caa88193522d8071f6ac3171634818bb50223b1e98ace21f010b414cc",
  "group12-shard1of1": "bced27a16699c0eca4ee4d15c4e5fac46532a6f2850b53445818c0e2e69af7b1",
  "group13-shard1of1": "5e6172c6d71505fce1a9388e733aaddf21f6ab14f9ccaf10d2986a94b8f19b42",
  "group14-shard1of1": "adfb4ad19dea5c1ba0c9b7e7d90f6265aac136a7d98e0f0eed4362d62e5e51f8",
  "group15-shard1of1": "79131184270263a2c585240efbfdd3ed13fc005c67b761ced984c70265209511",
  "group16-shard1of1": "d70b0b9f3db3d51bd5613246885f4723998aef2e56845c7dec75743221f1ef5e",
  "group17-shard1of1": "3dad37a465ab881c2d2006072cd60d83144d04a5c5448f49e15308472bbb145a",
  "group18-shard1of1": "c7a7f19a7a9e3a780bd1aedfe30a7e594821ea8d57d6e72d148c033b0f24f5fa",
  "group19-shard1of1": "4f16fe423091d9b32d59bff14cd19f1a6a233bc98adade4a1e0ef0d2972752b5",
  "group20-shard1of1": "1efd0b489da0d04808a02175c2803528313f7e9abadb18a5dc3ae0b5bd5c0331",
  "group21-shard1of1": "9d024d14a803a3b078df0e9829bcc13a8901c3a6043456632ce5697be5734155",
  "group22-shard1of1": "0c18a3238859e649bac990e90dc4738861ffd07e9bee725139bec9ef3b8545ef",
  "group23-shard1of1": "2116862cb9cd43b21a3bfa3ea41e43dbe33284a97a8a22c5afe8d768f5a767af",
  "group24-shard1of1": "35c4204cee6796300f50addf2a2202a137eaa8a42999a79168f9226f60c8a62b",
  "group25-shard1of1": "9a37816bda07b3be24b88103a11dcc5d3eea15749a15594492b03ba3177a6a5e",
  "group26-shard1of1": "697677a6c94bd84fb0b558421629b5424101c4ea16601be53096275f43891f6c",
  "group27-shard1of1": "ef48b33bcf06fed0a9cc8b41017bccbf4f32fceeae946c00e0fd130fc467f9e4",
  "group28-shard1of1": "2831d9d4368b4cad678f9a3df4c9575bc35e1c2a7ef6ebed887c02c06a4f6dab",
  "group29-shard1of1": "720e58d7e54901e8db21d698fc094ffcb65a5991397895fef827ce53094b2a15",
  "group30-shard1of1": "a68c7913477828b28c2fe1924b191139877f7825e5f1a2e1c1b0e0e92accc669",
  "group31-shard1of1": "7985bd42bc5c0333e563998ad6d4616b0afaf1765f2b8c4c6df3944cf8f13992",
};

/** The model's files as assets (model.json first, then the weight shards). */
export const DARKNET_TINY_ASSETS: Asset[] = Object.entries(DARKNET_SUMS).map(([file, sha256]) => ({
  name: `${DARKNET_DIR}/${file}`,
  sha256,
  urls: [`${DARKNET_URL}/${file}`],
}));

/**
 * The 1000 ImageNet labels in Darknet's order (from ml5-library's
 * `src/utils/IMAGENET_CLASSES_DARKNET.js`, MIT). Only the mirror holds this JSON form.
 */
export const DARKNET_LABELS_ASSET: Asset = {
  name: `${DARKNET_DIR}/classes_darknet.json`,
  sha256: "2ea34a8a5584dbf4c0cbe2a33340e4969cebbe08d2568772346924e87da111cd",
  urls: [],
};

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
  const paths = await Promise.all(DARKNET_TINY_ASSETS.map((a) => resolveAsset(a, options)));
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
  const byFile = new Map(DARKNET_TINY_ASSETS.map((a, i) => [a.name.split("/").pop()!, paths[i]]));
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
    await Deno.readTextFile(await resolveAsset(DARKNET_LABELS_ASSET, options)),
  );
  if (!Array.isArray(labels) || labels.length !== 1000) {
    throw new Error(`${DARKNET_LABELS_ASSET.name}: expected a JSON array of 1000 labels`);
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
