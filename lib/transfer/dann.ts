/**
 * Domain-adversarial training (DANN, Ganin & Lempitsky 2015): a feature extractor `G_f`, a label
 * classifier `G_y` trained on labelled source images, and a domain classifier `G_d` that tells
 * source from target features. A gradient-reversal layer between `G_f` and `G_d` is the identity
 * going forward and multiplies the gradient by `-λ` going back, so one minimisation step trains
 * `G_d` to separate the domains while pushing `G_f` towards features that `G_d` cannot separate:
 *
 * `E(θ_f, θ_y, θ_d) = L_y(G_y(G_f(x_s)), y_s) + L_d(G_d(R_λ(G_f([x_s; x_t]))), d)`.
 *
 * λ follows the paper's schedule `λ_p = 2 / (1 + exp(−γ p)) − 1` (γ = 10, `p` = training progress
 * in [0, 1]), and the learning rate `μ_p = μ_0 / (1 + α p)^β` (α = 10, β = 0.75).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { epochOrder } from "./../train/batches.ts";

/**
 * The gradient-reversal op: `R_λ(x) = x` forward, `∂R_λ/∂x = −λ I` backward. Built with
 * `tf.customGrad`, so autodiff sees our gradient instead of the identity's.
 */
export function gradientReversal(x: tf.Tensor, lambda: number): tf.Tensor {
  const reverse = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([]);
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda) };
  });
  return reverse(x);
}

/** The λ schedule of DANN: 0 at the start, rising to about 1 (γ = 10). */
export function dannLambda(progress: number, gamma = 10): number {
  return 2 / (1 + Math.exp(-gamma * progress)) - 1;
}

/** The learning-rate annealing of DANN: `μ_0 / (1 + α p)^β`. */
export function dannLearningRate(lr0: number, progress: number, alpha = 10, beta = 0.75): number {
  return lr0 / Math.pow(1 + alpha * progress, beta);
}

/** The three networks of DANN for small grey images. */
export interface DannNets {
  /** `G_f`: image → feature vector. */
  features: tf.LayersModel;
  /** `G_y`: features → class logits. */
  classifier: tf.LayersModel;
  /** `G_d`: features → one domain logit (source = 0, target = 1). */
  domain: tf.LayersModel;
}

/**
 * The LeNet-style networks of the DANN paper's MNIST experiments: conv 5×5 (32) → max-pool →
 * conv 5×5 (48) → max-pool → dense 100 features; classifier dense 100 → 100 → 10; domain
 * classifier dense 100 → 1. Seeded initial weights.
 */
export function dannNets(opts: { side: number; numClasses: number; seed?: number }): DannNets {
  if (opts.side < 16) {
    throw new Error(`dannNets: images of side ${opts.side} are too small (at least 16 pixels)`);
  }
  const seed = opts.seed ?? 1;
  let s = seed * 100;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const features = tf.sequential({
    name: "G_f",
    layers: [
      tf.layers.conv2d({
        inputShape: [opts.side, opts.side, 1],
        filters: 32,
        kernelSize: 5,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: 48,
        kernelSize: 5,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 100, activation: "relu", kernelInitializer: init() }),
    ],
  });
  const classifier = tf.sequential({
    name: "G_y",
    layers: [
      tf.layers.dense({
        inputShape: [100],
        units: 100,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tf.layers.dense({ units: opts.numClasses, kernelInitializer: init() }),
    ],
  });
  const domain = tf.sequential({
    name: "G_d",
    layers: [
      tf.layers.dense({
        inputShape: [100],
        units: 100,
        activation: "relu",
        kernelInitializer: init(),
      }),
      tf.layers.dense({ units: 1, kernelInitializer: init() }),
    ],
  });
  return { features, classifier, domain };
}

/** Images and (for the source) labels of one domain. */
export interface DomainData {
  /** `[N, side, side, 1]`. */
  x: tf.Tensor4D;
  /** `[N]` int32 labels (unused for the target). */
  y: tf.Tensor1D;
}

/** Settings of {@link trainDann}. */
export interface DannSettings {
  /** Optimizer steps. */
  steps: number;
  /** Source images per step (the same number of target images joins them). */
  batchSize: number;
  /** Initial learning rate μ₀ (SGD with momentum 0.9, annealed by {@link dannLearningRate}). */
  lr: number;
  /** Train the domain branch (false = source-only baseline, same loop otherwise). */
  adapt: boolean;
  /** Multiplies the scheduled λ (default 1). */
  lambdaScale?: number;
  /** Seed of the batch order (default 0). */
  seed?: number;
  /** Called every `logEvery` steps with the running losses. */
  onLog?: (step: number, logs: Record<string, number>) => void;
  /** Logging period in steps (default 100). */
  logEvery?: number;
}

function batchIndices(n: number, batchSize: number, seed: number): () => tf.Tensor1D {
  let epoch = 0, pos = 0;
  let order = epochOrder(n, epoch, seed);
  return () => {
    if (pos + batchSize > n) {
      epoch++;
      pos = 0;
      order = epochOrder(n, epoch, seed);
    }
    const idx = tf.tensor1d(order.subarray(pos, pos + batchSize), "int32");
    pos += batchSize;
    return idx;
  };
}

/**
 * Trains the three nets (Lightning style: our own loop over `tf.variableGrads`). With
 * `adapt: false` the domain classifier is left out: the source-only baseline. Returns the
 * per-log history.
 */
export async function trainDann(
  nets: DannNets,
  source: DomainData,
  target: DomainData,
  s: DannSettings,
): Promise<Record<string, number>[]> {
  const optimizer = tf.train.momentum(s.lr, 0.9);
  const vars = [
    ...nets.features.trainableWeights,
    ...nets.classifier.trainableWeights,
    ...(s.adapt ? nets.domain.trainableWeights : []),
  ].map((w) => w.read() as tf.Variable);
  const nextSource = batchIndices(source.x.shape[0], s.batchSize, s.seed ?? 0);
  const nextTarget = batchIndices(target.x.shape[0], s.batchSize, (s.seed ?? 0) + 1);
  const domainLabels = tf.concat([tf.zeros([s.batchSize, 1]), tf.ones([s.batchSize, 1])]);
  const history: Record<string, number>[] = [];
  const every = s.logEvery ?? 100;
  let sums = { label: 0, domain: 0, domainAcc: 0 };
  for (let step = 0; step < s.steps; step++) {
    const p = step / s.steps;
    const lambda = s.adapt ? dannLambda(p) * (s.lambdaScale ?? 1) : 0;
    (optimizer as unknown as { learningRate: number }).learningRate = dannLearningRate(s.lr, p);
    const si = nextSource();
    const ti = nextTarget();
    const [labelLoss, domainLoss, domainAcc] = tf.tidy(() => {
      const xs = tf.gather(source.x, si);
      const ys = tf.oneHot(tf.gather(source.y, si), nets.classifier.outputs[0].shape[1] as number);
      const xt = tf.gather(target.x, ti);
      let parts: tf.Scalar[] = [];
      const { grads } = tf.variableGrads(() => {
        const f = nets.features.apply(s.adapt ? tf.concat([xs, xt]) : xs, {
          training: true,
        }) as tf.Tensor2D;
        const fs = s.adapt ? f.slice([0, 0], [s.batchSize, -1]) : f;
        const logits = nets.classifier.apply(fs, { training: true }) as tf.Tensor;
        const lLabel = tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
        if (!s.adapt) {
          parts = [tf.keep(lLabel), tf.keep(tf.scalar(0)), tf.keep(tf.scalar(0))];
          return lLabel;
        }
        const d = nets.domain.apply(gradientReversal(f, lambda), { training: true }) as tf.Tensor;
        const lDomain = tf.losses.sigmoidCrossEntropy(domainLabels, d) as tf.Scalar;
        const acc = tf.mean(
          tf.cast(tf.equal(tf.greater(d, 0), tf.greater(domainLabels, 0.5)), "float32"),
        );
        parts = [tf.keep(lLabel), tf.keep(lDomain), tf.keep(acc as tf.Scalar)];
        return tf.add(lLabel, lDomain) as tf.Scalar;
      }, vars);
      optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      return parts;
    });
    tf.dispose([si, ti]);
    sums.label += (await labelLoss.data())[0];
    sums.domain += (await domainLoss.data())[0];
    sums.domainAcc += (await domainAcc.data())[0];
    tf.dispose([labelLoss, domainLoss, domainAcc]);
    if ((step + 1) % every === 0 || step + 1 === s.steps) {
      const n = (step % every) + 1;
      const logs = {
        step: step + 1,
        lambda,
        lr: dannLearningRate(s.lr, p),
        label_loss: sums.label / n,
        domain_loss: sums.domain / n,
        domain_acc: sums.domainAcc / n,
      };
      history.push(logs);
      s.onLog?.(step + 1, logs);
      sums = { label: 0, domain: 0, domainAcc: 0 };
    }
  }
  domainLabels.dispose();
  optimizer.dispose();
  return history;
}

/** Accuracy of `G_y(G_f(x))` against `y`, in batches. */
export async function dannAccuracy(
  nets: DannNets,
  data: DomainData,
  batchSize = 256,
): Promise<number> {
  let correct = 0;
  const n = data.x.shape[0];
  for (let i = 0; i < n; i += batchSize) {
    const c = Math.min(batchSize, n - i);
    const hits = tf.tidy(() => {
      const x = data.x.slice([i, 0, 0, 0], [c, -1, -1, -1]);
      const pred = tf.argMax(nets.classifier.predict(nets.features.predict(x)) as tf.Tensor, -1);
      return tf.sum(tf.cast(tf.equal(pred, data.y.slice([i], [c])), "int32"));
    });
    correct += (await hits.data())[0];
    hits.dispose();
  }
  return correct / n;
}
