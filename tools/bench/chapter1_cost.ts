/**
 * What chapter 1's full run costs, phase by phase, without running it: the CPU time of one
 * training step of each of the chapter's models (its `fitClassifier` loop, optimizers, label
 * smoothing and, for the CNN, the ±2 px shifts) and of `evaluate` per image, on synthetic digits,
 * multiplied by the full run's counts. A single-threaded process's CPU time approximates its wall
 * time on an idle core, so this estimates `deno task chapter1` on a busy machine in a minute.
 *
 * ```sh
 * deno run -A tools/bench/chapter1_cost.ts            # BOOK_KERNELS=ts for the TypeScript kernels
 * ```
 *
 * @module
 */
import process from "node:process";
import * as ag from "../../lib/autograd/mod.ts";
import { evaluate, fitClassifier, type LabelledData } from "../../lib/autograd/classifier.ts";
import { randomTranslate } from "../../lib/data/mod.ts";

/** The full run's counts (chapters/01-autograd: 55,000 training digits, 5,000 validation). */
const COUNTS = {
  /** Six recipes × 4 epochs × ⌈10,000 / 128⌉, then 12 epochs × ⌈55,000 / 128⌉. */
  mlpSteps: 6 * 4 * 79 + 12 * 430,
  /** 12 epochs × ⌈55,000 / 64⌉. */
  cnnSteps: 12 * 860,
  /** Validation after every epoch (24 + 12), each recipe's calibration pass, test. */
  mlpEvalImages: (6 * 4 + 6 + 12) * 5000 + 10_000,
  /** Validation after every epoch, test, the test probabilities for the mistakes grid. */
  cnnEvalImages: 12 * 5000 + 2 * 10_000,
};

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const rng = new ag.Rng(3);
const COUNT = 64 * 60;
const images = Float32Array.from({ length: COUNT * 784 }, () => rng.next());
const labels = Uint8Array.from({ length: COUNT }, () => rng.int(10));

function cnn(): ag.Sequential {
  const r = new ag.Rng(7);
  return new ag.Sequential(
    new ag.Conv2d(1, 16, 3, r, { pad: 1 }),
    new ag.BatchNorm(16),
    new ag.ReLU(),
    new ag.MaxPool2d(2),
    new ag.Conv2d(16, 32, 3, r, { pad: 1 }),
    new ag.BatchNorm(32),
    new ag.ReLU(),
    new ag.MaxPool2d(2),
    new ag.Flatten(),
    new ag.Linear(32 * 7 * 7, 128, r),
    new ag.ReLU(),
    new ag.Dropout(0.3, r),
    new ag.Linear(128, 10, r),
  );
}

function mlp(): ag.Sequential {
  const r = new ag.Rng(42);
  return new ag.Sequential(
    new ag.Linear(784, 256, r),
    new ag.GELU(),
    new ag.Linear(256, 128, r),
    new ag.GELU(),
    new ag.Linear(128, 10, r),
  );
}

/** CPU ms per training step and per evaluated image of one of the chapter's models. */
function measure(kind: "mlp" | "cnn"): { stepMs: number; evalMs: number } {
  const model = kind === "cnn" ? cnn() : mlp();
  const exampleShape = kind === "cnn" ? [1, 28, 28] : [784];
  const batchSize = kind === "cnn" ? 64 : 128;
  const optimizer = kind === "cnn"
    ? new ag.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 1e-4 })
    : new ag.Adam(model.parameters(), { lr: 2e-3 });
  const shiftRng = new ag.Rng(11);
  const train: LabelledData = { inputs: images, labels, exampleShape };
  const evalCount = 3500;
  const val: LabelledData = {
    inputs: images.subarray(0, evalCount * 784),
    labels: labels.subarray(0, evalCount),
    exampleShape,
  };
  const tinyVal: LabelledData = {
    ...val,
    inputs: val.inputs.subarray(0, 784),
    labels: labels.subarray(0, 1),
  };
  const epoch = () =>
    fitClassifier(model, optimizer, train, tinyVal, 10, {
      epochs: 1,
      batchSize,
      rng: new ag.Rng(1),
      loss: (logits, y) => ag.labelSmoothingCrossEntropy(logits, y, 0.1),
      augment: kind === "cnn"
        ? (x) => randomTranslate(x, [1, 28, 28], 2, () => shiftRng.next())
        : undefined,
    });
  epoch(); // warm-up
  const rounds = kind === "cnn" ? 1 : 3;
  const t0 = cpuMs();
  for (let i = 0; i < rounds; i++) epoch();
  const stepMs = (cpuMs() - t0) / (rounds * Math.ceil(COUNT / batchSize));
  evaluate(model, val, 10); // warm-up
  const t1 = cpuMs();
  evaluate(model, val, 10);
  return { stepMs, evalMs: (cpuMs() - t1) / evalCount };
}

if (import.meta.main) {
  const m = measure("mlp"), c = measure("cnn");
  const seconds = {
    mlp_training: (COUNTS.mlpSteps * m.stepMs) / 1000,
    cnn_training: (COUNTS.cnnSteps * c.stepMs) / 1000,
    evaluation: (COUNTS.mlpEvalImages * m.evalMs + COUNTS.cnnEvalImages * c.evalMs) / 1000,
  };
  const total = Object.values(seconds).reduce((a, b) => a + b, 0);
  console.log(JSON.stringify(
    {
      cpu_ms: {
        mlp_step: m.stepMs,
        cnn_step: c.stepMs,
        mlp_eval_per_image: m.evalMs,
        cnn_eval_per_image: c.evalMs,
      },
      counts: COUNTS,
      projected_cpu_seconds: { ...seconds, total_without_startup: total },
    },
    null,
    2,
  ));
}
