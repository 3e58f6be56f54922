import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { useWasm } from "../tfjs/backend.ts";
import { cnnClassifier } from "../models/cnn_classifier.ts";
import { assert, assertEquals } from "../testing/asserts.ts";
import { blobDataset } from "./testdata/fixtures.ts";
import { fitKeras, fitLightning, type FitSettings, loadKerasFit } from "./classifier.ts";
import { evaluateClassifier } from "./evaluate.ts";
import { randomShift } from "./batches.ts";
import { writeMetricsJson } from "./results.ts";

await useWasm();

const settings: FitSettings = {
  epochs: 6,
  batchSize: 16,
  lr: 0.02,
  seed: 1,
  augment: randomShift(1),
  log: () => {},
};

const model = () =>
  cnnClassifier({
    numClasses: 3,
    imageSize: 8,
    channels: 1,
    filters: [8, 16],
    dropout: 0,
    seed: 3,
  });

async function accuracy(m: tf.LayersModel, data: { x: tf.Tensor; y: tf.Tensor }) {
  const ev = await evaluateClassifier((b) => ({ pred: m.predict(b.x) as tf.Tensor }), data, {
    batchSize: 32,
    numClasses: 3,
  });
  return ev.report!.accuracy;
}

async function eventFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("events.out.tfevents")) out.push(e.name);
  }
  return out;
}

for (const [style, fit] of [["keras", fitKeras], ["lightning", fitLightning]] as const) {
  Deno.test(`${style} style learns, logs, checkpoints and ends on the best val epoch`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `fit-${style}-` });
    const train = blobDataset(96, 1), val = blobDataset(30, 2);
    try {
      const m = model();
      const before = tf.memory().numTensors;
      const result = await fit(m, train, val, settings, dir);
      assertEquals(result.style, style);
      assertEquals(result.epochs, 6);
      assertEquals(result.history.length, 6);
      assert(result.trainSeconds > 0);
      // The model holds the best epoch's weights: its val accuracy is the history's best.
      const best = Math.max(...result.history.map((h) => h.val_acc));
      assertEquals(result.history[result.bestEpoch].val_acc, best);
      assert(Math.abs((await accuracy(m, val)) - best) < 1e-6, "best weights restored");
      assert(best > 0.8, `learned the blobs: val accuracy ${best}`);
      // Warm-up then cosine decay, logged per epoch.
      const lrs = result.history.map((h) => h.lr);
      assert(lrs[0] <= 0.02 + 1e-9 && lrs[5] < lrs[1], `lr schedule ${lrs}`);
      assert((await eventFiles(dir)).length >= 1, "TensorBoard event file");
      assert((await Deno.stat(join(dir, "best"))).isDirectory, "best checkpoint");
      assert(tf.memory().numTensors - before < 60, "no tensor leak per epoch");
      m.dispose();
    } finally {
      tf.dispose([train.x, train.y, val.x, val.y]);
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("early stopping ends both styles when val_acc stops improving", async () => {
  for (const fit of [fitKeras, fitLightning]) {
    const dir = await Deno.makeTempDir({ prefix: "fit-early-" });
    const train = blobDataset(48, 1), val = blobDataset(30, 2);
    try {
      // lr 0 after warm-up: nothing improves after the first epochs.
      const m = model();
      const r = await fit(m, train, val, { ...settings, epochs: 20, lr: 1e-9, patience: 1 }, dir);
      assert(r.stoppedEarly && r.epochs < 20, `${r.style} stopped after ${r.epochs} epochs`);
      m.dispose();
    } finally {
      tf.dispose([train.x, train.y, val.x, val.y]);
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("loadKerasFit reads a finished Keras run back: best weights and its record", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fit-reuse-" });
  const train = blobDataset(48, 1), val = blobDataset(30, 2);
  const trained = model(), fresh = model(), other = model();
  try {
    const s = { ...settings, epochs: 2 };
    // Nothing on disk yet: undefined, and the model is left alone.
    assertEquals(await loadKerasFit(fresh, dir, 2, 1), undefined);
    const fit = await fitKeras(trained, train, val, s, dir);
    await writeMetricsJson(dir, {
      style: "keras",
      seed: 1,
      best_epoch: fit.bestEpoch + 1,
      epochs: fit.epochs,
      train_seconds: fit.trainSeconds,
      history: fit.history,
    });
    const back = await loadKerasFit(fresh, dir, 2, 1);
    assert(back !== undefined, "the finished run is read back");
    assertEquals([back.style, back.epochs, back.bestEpoch], ["keras", 2, fit.bestEpoch]);
    assertEquals(back.history, fit.history);
    assertEquals(back.trainSeconds, fit.trainSeconds);
    assertEquals(await accuracy(fresh, val), await accuracy(trained, val));
    // Another seed or another number of epochs is not this run.
    assertEquals(await loadKerasFit(other, dir, 3, 1), undefined);
    assertEquals(await loadKerasFit(other, dir, 2, 2), undefined);
    // A run that is there but broken is an error naming the file.
    await writeMetricsJson(dir, { style: "keras", seed: 1, epochs: 2, history: [] });
    let message = "";
    await loadKerasFit(other, dir, 2, 1).catch((e) => message = String(e));
    assert(message.includes("metrics.json") && message.includes("not a finished"), message);
  } finally {
    tf.dispose([train.x, train.y, val.x, val.y]);
    [trained, fresh, other].forEach((m) => m.dispose());
    await Deno.remove(dir, { recursive: true });
  }
});
