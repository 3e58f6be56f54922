import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { fileIO } from "../tfjs/io.ts";
import { smallCnn2d } from "../models/small_cnn.ts";
import { toTfDataset } from "./batches.ts";
import {
  BestCheckpoint,
  EarlyStoppingCallback,
  MetricsJsonCallback,
  ProgressCallback,
  TensorBoardCallback,
} from "./callbacks.ts";
import { evaluateClassifier } from "./evaluate.ts";
import { blobDataset } from "./testdata/fixtures.ts";

await useWasm();

Deno.test("Keras style: fitDataset with TensorBoard, checkpoint, metrics.json, progress, early stop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "keras-" });
  try {
    const train = blobDataset(64, 1), val = blobDataset(30, 2);
    const model = smallCnn2d({ inputShape: [8, 8, 1], numClasses: 3, filters: [4, 8] });
    model.compile({
      optimizer: tf.train.adam(0.01),
      loss: "categoricalCrossentropy",
      metrics: ["accuracy"],
    });
    const lines: string[] = [];
    const tb = new TensorBoardCallback(`${dir}/tb`, { histogramFreq: 1, batchFreq: 2 });
    const early = new EarlyStoppingCallback({ monitor: "epoch_marker", mode: "min", patience: 0 });
    // A monitor that never improves after the first epoch: stops after epoch 1.
    const marker = new (class extends tf.Callback {
      override async onEpochEnd(epoch: number, logs?: tf.Logs) {
        if (logs) logs.epoch_marker = epoch;
        await early.onEpochEnd(epoch, logs);
      }
    })();
    early.setModel(model);
    const history = await model.fitDataset(toTfDataset(train, { batchSize: 16, seed: 4 }), {
      epochs: 5,
      validationData: [val.x, val.y],
      verbose: 0,
      callbacks: [
        tb,
        new BestCheckpoint(`${dir}/best`, { monitor: "val_loss" }),
        new MetricsJsonCallback(dir, { style: "keras" }),
        new ProgressCallback({ write: (l) => lines.push(l) }),
        marker,
      ],
    });
    if (history.epoch.length !== 2) throw new Error(`early stopping: ran ${history.epoch.length}`);
    if (lines.length !== 2 || !lines[0].startsWith("epoch 1/5")) throw new Error(lines.join("\n"));
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
    if (
      metrics.style !== "keras" || metrics.history.length !== 2 ||
      !("val_loss" in metrics.history[0])
    ) {
      throw new Error(JSON.stringify(metrics));
    }
    const best = JSON.parse(await Deno.readTextFile(`${dir}/best/best.json`));
    const restored = await tf.loadLayersModel(fileIO(`${dir}/best`));
    if (
      restored.getWeights().length !== model.getWeights().length || typeof best.value !== "number"
    ) {
      throw new Error("best checkpoint");
    }
    const size = [...Deno.readDirSync(`${dir}/tb`)].map((e) =>
      Deno.statSync(`${dir}/tb/${e.name}`).size
    );
    if (size.length !== 1 || size[0] < 200) throw new Error(`event file ${size}`);
    // The shared metrics path works on a Layers model too.
    const ev = await evaluateClassifier((b) => ({ pred: model.predict(b.x) as tf.Tensor }), val, {
      batchSize: 16,
      numClasses: 3,
    });
    if (ev.count !== 30 || ev.report?.confusion.flat().reduce((a, b) => a + b) !== 30) {
      throw new Error("evaluate");
    }
    tb.writer.close();
    restored.dispose();
    model.dispose();
    tf.dispose([train.x, train.y, val.x, val.y]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
