/**
 * Dropout whose masks repeat from run to run.
 *
 * tfjs's `tf.layers.dropout` draws its mask with `tf.randomUniform`, which, without a seed, seeds
 * itself from `Math.random()`: two runs of the same program drop different units and end with
 * different weights. With a seed it is no better for training: the generator restarts from that
 * seed at every call, so every step drops the *same* units. {@link SeededDropout} passes
 * `seed + k` at its k-th training call instead: a new mask at every step, the same sequence of
 * masks in every run with the same seed. In inference (`training` false) it is the identity, like
 * any dropout. Registered for serialization, so saved models that hold it load back.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Constructor arguments of {@link SeededDropout}. */
export interface SeededDropoutArgs {
  /** Share of units dropped during training, in [0, 1). */
  rate: number;
  /** Seed of the mask sequence (default 0). */
  seed?: number;
  /** Layer name. */
  name?: string;
  /** Other base-layer settings (`trainable`, `batchInputShape`, `dtype`: what a saved config holds). */
  [base: string]: unknown;
}

/** Dropout with a seeded, per-call mask (see the module docs). */
export class SeededDropout extends tf.layers.Layer {
  /** Name under which the layer is serialized. */
  static className = "SeededDropout";
  /** Share of units dropped. */
  readonly rate: number;
  /** Seed of the first mask. */
  readonly seed: number;
  /** Training calls so far: the next mask's seed is `seed · 1e6 + calls`. */
  calls = 0;

  constructor(args: SeededDropoutArgs) {
    const { rate: _r, seed: _s, ...base } = args;
    super(base as ConstructorParameters<typeof tf.layers.Layer>[0]);
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`SeededDropout: rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.seed = args.seed ?? 0;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return tf.clone(x);
    return tf.dropout(x, this.rate, undefined, this.seed * 1e6 + this.calls++);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/** Makes a {@link SeededDropout} layer (the `tf.layers.*` factory style). */
export function seededDropout(args: SeededDropoutArgs): SeededDropout {
  return new SeededDropout(args);
}
