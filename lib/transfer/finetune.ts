/**
 * Fine-tuning a pretrained backbone under a new head, Lightning style: a {@link TransferModule}
 * holds the backbone and the head, trains only the head's variables in phase `"head"` and all of
 * them in phase `"all"`, and runs the backbone's batch normalization in inference mode in both
 * (its moving statistics stay the pretrained ones; only γ and β may train). The Keras-style
 * counterpart needs no code here: `setTrainable` + `compile` + `fit` (see chapter 3).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ClassifierModule } from "../train/classifier.ts";

/**
 * A fixed per-feature standardization `(x − μ) / σ` (non-trainable weights `mean` and `std`), so a
 * head trained on standardized features applies to raw ones, also inside fine-tuning.
 */
export class Standardize extends tf.layers.Layer {
  /** Class name for tfjs serialization. */
  static className = "Standardize";
  private readonly values: { mean: Float32Array; std: Float32Array };
  private meanWeight: tf.LayerVariable | null = null;
  private stdWeight: tf.LayerVariable | null = null;

  /** `mean` and `std` per feature (from the training set); other fields go to `Layer`. */
  constructor(
    args: { mean: ArrayLike<number>; std: ArrayLike<number>; [layerArg: string]: unknown },
  ) {
    const { mean, std, ...layerArgs } = args;
    super({ ...(layerArgs as Record<string, never>), trainable: false });
    this.values = { mean: Float32Array.from(mean), std: Float32Array.from(std) };
  }

  /** Creates the two fixed weights from the given values. */
  override build(): void {
    const d = this.values.mean.length;
    this.meanWeight = this.addWeight(
      "mean",
      [d],
      "float32",
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.stdWeight = this.addWeight(
      "std",
      [d],
      "float32",
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.meanWeight.write(tf.tensor1d(this.values.mean));
    this.stdWeight.write(tf.tensor1d(this.values.std));
    this.built = true;
  }

  /** `(x − mean) / std`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.div(tf.sub(x, this.meanWeight!.read()), this.stdWeight!.read()));
  }

  /** The layer config with its statistics. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mean: Array.from(this.values.mean),
      std: Array.from(this.values.std),
    };
  }
}

// Registered so that checkpoints (BestCheckpoint saves and reloads the model) can be read back.
tf.serialization.registerClass(Standardize);

/** Per-feature mean and standard deviation of the rows of `x` (σ floored at 1e-3). */
export function featureStats(x: tf.Tensor2D): { mean: Float32Array; std: Float32Array } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return {
      mean: mean.dataSync() as Float32Array,
      std: tf.maximum(tf.sqrt(variance), 1e-3).dataSync() as Float32Array,
    };
  });
}

/**
 * The classifier head on pooled features: an optional fixed standardization (`stats`, from
 * {@link featureStats} of the training features), dropout, then a dense layer to class logits
 * (seeded initial weights).
 */
export function linearHead(
  opts: {
    inputDim: number;
    numClasses: number;
    dropout?: number;
    seed?: number;
    name?: string;
    stats?: { mean: Float32Array; std: Float32Array };
  },
): tf.LayersModel {
  return tf.sequential({
    name: opts.name ?? "head",
    layers: [
      ...(opts.stats ? [new Standardize({ ...opts.stats, inputShape: [opts.inputDim] })] : []),
      tf.layers.dropout({
        inputShape: [opts.inputDim],
        rate: opts.dropout ?? 0.3,
        seed: opts.seed,
      }),
      tf.layers.dense({
        units: opts.numClasses,
        kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed ?? 1 }),
      }),
    ],
  });
}

/** Which variables a {@link TransferModule} trains. */
export type TransferPhase = "head" | "all";

/**
 * Backbone (feature maps → feature maps, averaged over positions; or straight to a feature vector,
 * e.g. a `pooledLayers` model) → head (→ logits), as one `ClassifierModule` for
 * `fitLightning`.
 */
export class TransferModule extends ClassifierModule {
  /** The pretrained part. */
  readonly backbone: tf.LayersModel;
  /** The new classifier. */
  readonly head: tf.LayersModel;
  /** `"head"`: only the head's variables train; `"all"`: the backbone's trainable ones too. */
  phase: TransferPhase = "head";

  /** Wires `backbone` and `head` into one model (shared layers) and wraps it. */
  constructor(
    backbone: tf.LayersModel,
    head: tf.LayersModel,
    opts: { lr: number; labelSmoothing?: number },
  ) {
    const input = tf.input({ shape: (backbone.inputs[0].shape as number[]).slice(1) });
    const out = backbone.apply(input) as tf.SymbolicTensor;
    const pooled = out.shape.length === 4
      ? tf.layers.globalAveragePooling2d({}).apply(out) as tf.SymbolicTensor
      : out;
    const model = tf.model({
      inputs: input,
      outputs: head.apply(pooled) as tf.SymbolicTensor,
      name: "transfer",
    });
    super(model, opts);
    this.backbone = backbone;
    this.head = head;
  }

  /**
   * The backbone always in inference mode — its batch normalization uses the pretrained moving
   * statistics and never updates them — and the head in `training` mode (dropout).
   */
  override forward(x: tf.Tensor, training: boolean): tf.Tensor {
    return tf.tidy(() => {
      const out = this.backbone.apply(x, { training: false }) as tf.Tensor;
      const features = out.rank === 4 ? tf.mean(out, [1, 2]) : out;
      return this.head.apply(features, { training }) as tf.Tensor;
    });
  }

  /** The head's variables in phase `"head"`, the backbone's trainable ones too in `"all"`. */
  override trainableVariables(): tf.Variable[] {
    const layers = this.phase === "head" ? [this.head] : [this.backbone, this.head];
    return layers.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  }
}
