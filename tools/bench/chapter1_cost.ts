/**
 * What chapter 1's full run costs, phase by phase, without running it: the CPU time of one
 * training step of each of the chapter's models (its `fitClassifier` loop, optimizers, label
 * smoothing and, for the CNN, the ±2 px shifts) and of `evaluate` per image, on synthetic digits,
 * multiplied by the full run's counts. A single-threaded process's CPU time approximates its wall
 * time on an idle core, so this estimates `deno task chapter1` on a busy machine in a minute. With
 * two threads (`BOOK_THREADS=2`, the default on 2+ cores) it also reports the main thread's CPU
 * time: on an idle 2-core machine, where the helper thread has a core of its own, that is what the
 * wall clock follows (on a busy one the helper finds no free core, and the main thread does the
 * units the helper would have taken).
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
import { gemmWorkerReady } from "../../lib/autograd/kernels/matmul.ts";
import { threadCpuMs } from "./thread_cpu.ts";

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
/** CPU ms of the main thread (10 ms ticks; NaN where `/proc` is not readable). */
const mainThreadMs = () => threadCpuMs().get(Deno.pid)?.ms ?? NaN;

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

/** CPU ms (all threads, and the main thread) per training step and per evaluated image. */
function measure(
  kind: "mlp" | "cnn",
): { stepMs: number; evalMs: number; mainStepMs: number; mainEvalMs: number } {
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
  const steps = rounds * Math.ceil(COUNT / batchSize);
  const t0 = cpuMs(), m0 = mainThreadMs();
  for (let i = 0; i < rounds; i++) epoch();
  const stepMs = (cpuMs() - t0) / steps, mainStepMs = (mainThreadMs() - m0) / steps;
  evaluate(model, val, 10); // warm-up
  const t1 = cpuMs(), m1 = mainThreadMs();
  evaluate(model, val, 10);
  evaluate(model, val, 10);
  return {
    stepMs,
    mainStepMs,
    evalMs: (cpuMs() - t1) / (2 * evalCount),
    mainEvalMs: (mainThreadMs() - m1) / (2 * evalCount),
  };
}

if (import.meta.main) {
  await gemmWorkerReady(); // with two threads, start the helper before anything is timed
  const m = measure("mlp"), c = measure("cnn");
  const project = (mlpStep: number, cnnStep: number, mlpEval: number, cnnEval: number) => {
    const seconds = {
      mlp_training: (COUNTS.mlpSteps * mlpStep) / 1000,
      cnn_training: (COUNTS.cnnSteps * cnnStep) / 1000,
      evaluation: (COUNTS.mlpEvalImages * mlpEval + COUNTS.cnnEvalImages * cnnEval) / 1000,
    };
    return { ...seconds, total_without_startup: Object.values(seconds).reduce((a, b) => a + b) };
  };
  console.log(JSON.stringify(
    {
      date: new Date().toISOString(),
      load_average: Deno.loadavg()[0],
      cpu_ms: {
        mlp_step: m.stepMs,
        cnn_step: c.stepMs,
        mlp_eval_per_image: m.evalMs,
        cnn_eval_per_image: c.evalMs,
      },
      main_thread_cpu_ms: {
        mlp_step: m.mainStepMs,
        cnn_step: c.mainStepMs,
        mlp_eval_per_image: m.mainEvalMs,
        cnn_eval_per_image: c.mainEvalMs,
      },
      counts: COUNTS,
      projected_cpu_seconds: project(m.stepMs, c.stepMs, m.evalMs, c.evalMs),
      projected_main_thread_seconds: project(
        m.mainStepMs,
        c.mainStepMs,
        m.mainEvalMs,
        c.mainEvalMs,
      ),
    },
    null,
    2,
  ));
}
