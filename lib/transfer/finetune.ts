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
 * The classifier head on pooled features: dropout, then a dense layer to class logits (seeded
 * initial weights).
 */
export function linearHead(
  opts: { inputDim: number; numClasses: number; dropout?: number; seed?: number; name?: string },
): tf.LayersModel {
  return tf.sequential({
    name: opts.name ?? "head",
    layers: [
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
 * Backbone (feature maps → feature maps) → global average pooling → head (→ logits), as one
 * `ClassifierModule` for `fitLightning`.
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
    const pooled = tf.layers.globalAveragePooling2d({}).apply(backbone.apply(input));
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
      const maps = this.backbone.apply(x, { training: false }) as tf.Tensor;
      return this.head.apply(tf.mean(maps, [1, 2]), { training }) as tf.Tensor;
    });
  }

  /** The head's variables in phase `"head"`, the backbone's trainable ones too in `"all"`. */
  override trainableVariables(): tf.Variable[] {
    const layers = this.phase === "head" ? [this.head] : [this.backbone, this.head];
    return layers.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  }
}
