/**
 * SqueezeNet (Iandola et al., 2016) with the functional `tf.layers` API, in torchvision's two
 * layouts: v1.0 (the paper's: a 7×7 stem with 96 filters, pools after fire4 and fire8) and v1.1
 * (a 3×3 stem with 64 filters, pools after fire3 and fire5: the same accuracy for 2.4× less
 * computation). At 224×224 and 1000 classes the parameter counts equal torchvision's
 * `squeezenet1_0` (1,248,424) and `squeezenet1_1` (1,235,496), and every layer's output shape
 * equals theirs (see `squeezenet_test.ts`).
 *
 * The building block is the **Fire module**: a 1×1 "squeeze" convolution to few channels, then
 * two "expand" convolutions side by side — 1×1 and 3×3 — whose outputs are concatenated. The head
 * has no dense layer: dropout → a 1×1 convolution to one channel per class → ReLU → global average
 * pooling: the class scores (logits), as torchvision returns them; `softmax: true` adds the final
 * softmax, otherwise `tf.softmax` turns them into probabilities where a page needs them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { seededDropout } from "../tfjs/seeded_dropout.ts";

/** The two torchvision layouts. */
export type SqueezeNetVersion = "1.0" | "1.1";

/** Options of {@link squeezeNet}. */
export interface SqueezeNetOptions {
  /** `"1.0"` or `"1.1"` (default `"1.1"`). */
  version?: SqueezeNetVersion;
  /** Number of classes (default 1000). */
  numClasses?: number;
  /** Side of the square input (default 224). */
  imageSize?: number;
  /** Input channels (default 3). */
  channels?: number;
  /** Multiplies every convolution's filter count except the classifier's (default 1). */
  widthMultiplier?: number;
  /**
   * Batch normalization after every convolution but the classifier's (default false: torchvision
   * has none; the convolutions then have no bias). Not the reference architecture (BN adds 4
   * weights per channel), but from scratch with Adam on small data only this version trains:
   * without it the activations blow up within a few steps and the softmax saturates (chapter 4).
   */
  batchNorm?: boolean;
  /** Dropout rate before the classifier convolution (default 0.5, as torchvision; seeded). */
  dropout?: number;
  /** End with a softmax layer (default false: the model returns the pooled class scores). */
  softmax?: boolean;
  /** Seed of the weight initializers (default 1). */
  seed?: number;
  /** Model name (default `squeezenet1_0` / `squeezenet1_1`). */
  name?: string;
}

/** One Fire module's filter counts: squeeze 1×1, expand 1×1, expand 3×3. */
export interface FireSpec {
  squeeze: number;
  expand1x1: number;
  expand3x3: number;
}

/** A step of the feature extractor: a Fire module (numbered as in the paper) or a max pool. */
type Step = { fire: number; spec: FireSpec } | { pool: number };

const fire = (n: number, squeeze: number, expand: number): Step => ({
  fire: n,
  spec: { squeeze, expand1x1: expand, expand3x3: expand },
});

/** The layouts: stem convolution, then Fire modules and pools (torchvision's `features`). */
const LAYOUTS: Record<
  SqueezeNetVersion,
  { stem: { filters: number; kernel: number }; steps: Step[] }
> = {
  "1.0": {
    stem: { filters: 96, kernel: 7 },
    steps: [
      { pool: 1 },
      fire(2, 16, 64),
      fire(3, 16, 64),
      fire(4, 32, 128),
      { pool: 4 },
      fire(5, 32, 128),
      fire(6, 48, 192),
      fire(7, 48, 192),
      fire(8, 64, 256),
      { pool: 8 },
      fire(9, 64, 256),
    ],
  },
  "1.1": {
    stem: { filters: 64, kernel: 3 },
    steps: [
      { pool: 1 },
      fire(2, 16, 64),
      fire(3, 16, 64),
      { pool: 3 },
      fire(4, 32, 128),
      fire(5, 32, 128),
      { pool: 5 },
      fire(6, 48, 192),
      fire(7, 48, 192),
      fire(8, 64, 256),
      fire(9, 64, 256),
    ],
  },
};

/** Scales a filter count by the width multiplier (at least 1). */
export function scaleFilters(filters: number, multiplier: number): number {
  return Math.max(1, Math.round(filters * multiplier));
}

type Init = () => ReturnType<typeof tf.initializers.heNormal>;

/**
 * One Fire module on `x`: squeeze 1×1 + ReLU, then expand 1×1 + ReLU ‖ expand 3×3 ("same"
 * padding) + ReLU, concatenated along channels. Layers are named `<name>_squeeze1x1`,
 * `<name>_expand1x1`, `<name>_expand3x3`, their ReLUs `..._relu`, and `<name>_concat`.
 */
export function fireModule(
  x: tf.SymbolicTensor,
  spec: FireSpec,
  name: string,
  init: Init = () => tf.initializers.heNormal({}),
  batchNorm = false,
): tf.SymbolicTensor {
  const conv = (input: tf.SymbolicTensor, filters: number, kernel: number, suffix: string) => {
    let c = tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      padding: "same",
      useBias: !batchNorm,
      kernelInitializer: init(),
      name: `${name}_${suffix}`,
    }).apply(input) as tf.SymbolicTensor;
    if (batchNorm) {
      c = tf.layers.batchNormalization({ name: `${name}_${suffix}_bn` }).apply(
        c,
      ) as tf.SymbolicTensor;
    }
    return tf.layers.reLU({ name: `${name}_${suffix}_relu` }).apply(c) as tf.SymbolicTensor;
  };
  const s = conv(x, spec.squeeze, 1, "squeeze1x1");
  const e1 = conv(s, spec.expand1x1, 1, "expand1x1");
  const e3 = conv(s, spec.expand3x3, 3, "expand3x3");
  return tf.layers.concatenate({ axis: -1, name: `${name}_concat` }).apply([
    e1,
    e3,
  ]) as tf.SymbolicTensor;
}

/**
 * 3×3 max pooling with stride 2 rounding the output size *up*, as PyTorch's `ceil_mode=True`:
 * out = ⌈(n − 3) / 2⌉ + 1. tfjs pools round down ("valid") or give ⌈n / 2⌉ ("same"), so the
 * missing bottom/right row and column are zero-padded first; the inputs are ReLU outputs (≥ 0),
 * so a zero never wins a max that PyTorch would have taken over fewer elements.
 */
function ceilMaxPool(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const [h, w] = x.shape.slice(1, 3) as number[];
  const pad = (n: number) => (Math.ceil((n - 3) / 2) + 1 - 1) * 2 + 3 - n;
  const ph = pad(h), pw = pad(w);
  if (ph > 0 || pw > 0) {
    x = tf.layers.zeroPadding2d({ padding: [[0, ph], [0, pw]], name: `${name}_pad` })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "valid", name })
    .apply(x) as tf.SymbolicTensor;
}

/** Builds SqueezeNet v1.0 or v1.1 (see the module documentation). */
export function squeezeNet(opts: SqueezeNetOptions = {}): tf.LayersModel {
  const version = opts.version ?? "1.1";
  const layout = LAYOUTS[version];
  if (!layout) throw new Error(`squeezeNet: unknown version ${version} (use "1.0" or "1.1")`);
  const numClasses = opts.numClasses ?? 1000;
  const size = opts.imageSize ?? 224;
  const alpha = opts.widthMultiplier ?? 1;
  if (!(alpha > 0)) throw new Error(`squeezeNet: widthMultiplier must be > 0, got ${alpha}`);
  const minSize = version === "1.0" ? 39 : 31;
  if (size < minSize) {
    throw new Error(`squeezeNet ${version}: imageSize ${size} is below the smallest, ${minSize}`);
  }
  let seed = (opts.seed ?? 1) * 1000;
  const init = () => tf.initializers.heNormal({ seed: seed++ });
  const f = (n: number) => scaleFilters(n, alpha);

  const input = tf.input({ shape: [size, size, opts.channels ?? 3], name: "image" });
  const batchNorm = opts.batchNorm ?? false;
  let h = tf.layers.conv2d({
    filters: f(layout.stem.filters),
    kernelSize: layout.stem.kernel,
    strides: 2,
    padding: "valid",
    useBias: !batchNorm,
    kernelInitializer: init(),
    name: "conv1",
  }).apply(input) as tf.SymbolicTensor;
  if (batchNorm) {
    h = tf.layers.batchNormalization({ name: "conv1_bn" }).apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.reLU({ name: "conv1_relu" }).apply(h) as tf.SymbolicTensor;
  for (const step of layout.steps) {
    if ("pool" in step) {
      h = ceilMaxPool(h, `pool${step.pool}`);
    } else {
      const { squeeze, expand1x1, expand3x3 } = step.spec;
      h = fireModule(
        h,
        { squeeze: f(squeeze), expand1x1: f(expand1x1), expand3x3: f(expand3x3) },
        `fire${step.fire}`,
        init,
        batchNorm,
      );
    }
  }
  h = seededDropout({
    rate: opts.dropout ?? 0.5,
    seed: (opts.seed ?? 1) * 1000 + 999,
    name: "drop9",
  })
    .apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({
    filters: numClasses,
    kernelSize: 1,
    // torchvision: the final convolution starts from N(0, 0.01), the others from Kaiming.
    kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: seed++ }),
    name: "conv10",
  }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: "conv10_relu" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(h) as tf.SymbolicTensor;
  if (opts.softmax ?? false) {
    h = tf.layers.activation({ activation: "softmax", name: "probs" }).apply(
      h,
    ) as tf.SymbolicTensor;
  }
  return tf.model({
    inputs: input,
    outputs: h,
    name: opts.name ?? `squeezenet${version.replace(".", "_")}`,
  });
}
