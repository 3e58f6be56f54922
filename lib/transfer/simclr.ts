/**
 * SimCLR-style self-supervised pretraining (Chen et al. 2020) on unlabelled images: two random
 * views of every image of a batch go through the encoder and a small projection head, and the
 * NT-Xent loss (`contrastive.ts`) pulls each pair together and pushes it away from the other
 * `2N − 2` views. Lightning style: our own loop over `tf.variableGrads`, seeded batch order and
 * augmentation.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../autograd/random.ts";
import { epochOrder } from "../train/batches.ts";
import { ntXent, simclrAugment, type SimclrAugmentOptions } from "./contrastive.ts";

/** The projection head `g`: dense → ReLU → dense (SimCLR's MLP), seeded. */
export function projectionHead(
  opts: { inputDim: number; hidden?: number; outputDim?: number; seed?: number },
): tf.LayersModel {
  const seed = opts.seed ?? 1;
  return tf.sequential({
    name: "projection",
    layers: [
      tf.layers.dense({
        inputShape: [opts.inputDim],
        units: opts.hidden ?? opts.inputDim,
        activation: "relu",
        kernelInitializer: tf.initializers.heNormal({ seed: seed * 10 + 1 }),
      }),
      tf.layers.dense({
        units: opts.outputDim ?? 64,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + 2 }),
      }),
    ],
  });
}

/** Settings of {@link pretrainSimclr}. */
export interface SimclrSettings {
  /** Passes over the images. */
  epochs: number;
  /** Images per batch (each gives two views). */
  batchSize: number;
  /** Adam's learning rate. */
  lr: number;
  /** NT-Xent temperature τ (default 0.2). */
  temperature?: number;
  /** Seed of batch order and views (default 0). */
  seed?: number;
  /** Augmentation settings. */
  augment?: SimclrAugmentOptions;
  /** At most this many batches per epoch (quick mode). */
  limitBatches?: number;
  /** Receives one line per epoch. */
  log?: (line: string) => void;
}

/**
 * Pretrains `encoder` (images → feature vectors) with `projector` on `images` (`[N, H, W, 3]`,
 * no labels). Returns the mean NT-Xent loss of each epoch and the seconds taken.
 */
export async function pretrainSimclr(
  encoder: tf.LayersModel,
  projector: tf.LayersModel,
  images: tf.Tensor4D,
  s: SimclrSettings,
): Promise<{ losses: number[]; seconds: number }> {
  const optimizer = tf.train.adam(s.lr);
  const vars = [...encoder.trainableWeights, ...projector.trainableWeights].map(
    (w) => w.read() as tf.Variable,
  );
  const n = images.shape[0];
  const tau = s.temperature ?? 0.2;
  const losses: number[] = [];
  const started = performance.now();
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    const order = epochOrder(n, epoch, s.seed ?? 0);
    const rng = Rng.derive((s.seed ?? 0) + 7919, epoch);
    let sum = 0, count = 0;
    const batches = Math.floor(n / s.batchSize);
    for (let b = 0; b < Math.min(batches, s.limitBatches ?? Infinity); b++) {
      const idx = tf.tensor1d(order.subarray(b * s.batchSize, (b + 1) * s.batchSize), "int32");
      const loss = tf.tidy(() => {
        const x = tf.gather(images, idx) as tf.Tensor4D;
        const v1 = simclrAugment(x, rng, s.augment), v2 = simclrAugment(x, rng, s.augment);
        const { value, grads } = tf.variableGrads(() => {
          const z = projector.apply(
            encoder.apply(tf.concat([v1, v2]), { training: true }),
            { training: true },
          ) as tf.Tensor2D;
          const half = s.batchSize;
          return ntXent(z.slice([0, 0], [half, -1]), z.slice([half, 0], [half, -1]), tau);
        }, vars);
        optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
        return value;
      });
      idx.dispose();
      sum += (await loss.data())[0];
      loss.dispose();
      count++;
    }
    losses.push(sum / Math.max(1, count));
    s.log?.(
      `simclr epoch ${epoch + 1}/${s.epochs}: NT-Xent ${losses.at(-1)!.toFixed(4)} ` +
        `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  optimizer.dispose();
  return { losses, seconds: (performance.now() - started) / 1000 };
}
