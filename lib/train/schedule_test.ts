import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { assertAlmostEquals, assertEquals } from "../testing/asserts.ts";
import { blobDataset, BlobModule } from "./testdata/fixtures.ts";
import { Trainer } from "./lightning.ts";
import {
  getLearningRate,
  LearningRateSchedule,
  LearningRateScheduler,
  setLearningRate,
} from "./schedule.ts";

await useWasm();

Deno.test("setLearningRate changes what the next Adam step uses", () => {
  const opt = tf.train.adam(0.5);
  assertEquals(getLearningRate(opt), 0.5);
  const v = tf.variable(tf.scalar(1));
  setLearningRate(opt, 0);
  opt.minimize(() => tf.square(v) as tf.Scalar);
  assertEquals(v.dataSync()[0], 1); // a zero rate leaves the variable alone
  setLearningRate(opt, 0.1);
  opt.minimize(() => tf.square(v) as tf.Scalar);
  assertAlmostEquals(v.dataSync()[0], 0.9, 1e-5); // Adam's first step moves by the rate
  v.dispose();
  opt.dispose();
});

Deno.test("LearningRateScheduler sets the rate before each fit batch and logs it", async () => {
  const data = blobDataset(32, 1);
  const module = new BlobModule();
  const model = module.model;
  model.compile({ optimizer: tf.train.adam(1), loss: "categoricalCrossentropy" });
  const seen: number[] = [];
  const logged: number[] = [];
  await model.fit(data.x, data.y, {
    epochs: 2,
    batchSize: 8,
    verbose: 0,
    callbacks: [
      new LearningRateScheduler((step) => 0.001 * (step + 1)),
      new (class extends tf.Callback {
        override onBatchBegin() {
          seen.push(getLearningRate(model.optimizer));
          return Promise.resolve();
        }
        override onEpochEnd(_e: number, logs?: tf.Logs) {
          logged.push(logs!.lr as number);
          return Promise.resolve();
        }
      })(),
    ],
  });
  assertEquals(seen.map((x) => +x.toFixed(6)), [1, 2, 3, 4, 5, 6, 7, 8].map((i) => i / 1000));
  assertEquals(logged.map((x) => +x.toFixed(6)), [0.004, 0.008]);
  tf.dispose([data.x, data.y]);
  model.dispose();
});

Deno.test("LearningRateSchedule follows the Trainer's global step", async () => {
  const data = blobDataset(24, 2);
  const module = new BlobModule();
  const rates: number[] = [];
  const trainer = new Trainer({
    maxEpochs: 2,
    batchSize: 8,
    callbacks: [
      new LearningRateSchedule((step) => 0.01 / (step + 1)),
      { onBatchEnd: (t) => void rates.push(getLearningRate(t.optimizer!)) },
    ],
  });
  const history = await trainer.fit(module, data);
  // After step k the rate for step k (the next one) is set: 0.01 / (k + 1).
  assertEquals(rates.length, 6);
  rates.forEach((r, i) => assertAlmostEquals(r, 0.01 / (i + 2)));
  assertAlmostEquals(history[1].lr, 0.01 / 6);
  tf.dispose([data.x, data.y]);
  module.model.dispose();
});
